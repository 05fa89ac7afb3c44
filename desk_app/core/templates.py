"""Reply templates: placeholders filled from the ticket, in a sandbox that cannot be escaped.

A template is Jinja2 source rendered by an ImmutableSandboxedEnvironment with almost every
global and filter taken away. What a template can reach is five read-only namespaces built from
plain facts (customer, ticket, agent, sla, company) plus `input`, the values the agent typed when
applying it. Nothing else: no attribute whose name starts with "_", no string formatting, no
namespace() or lipsum(). Work is bounded: output beyond MAX_OUTPUT characters, a range() longer
than MAX_RANGE, numbers big enough to build huge strings, and renders running past
RENDER_SECONDS are all refused with a TemplateError that says why.

A value the template asks for but the ticket does not have (no customer name known, an input not
typed yet) renders as a marker, ⟦customer.first_name⟧, and is listed in Rendered.missing: the
composer highlights markers and will not send them by accident. `default("there")` still works,
because a marker is only made when an unknown value is actually written out.
"""

from __future__ import annotations

import contextvars
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import TemplateSyntaxError, Undefined, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.exceptions import TemplateError as JinjaTemplateError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from desk_app.core.errors import InvalidInput
from desk_app.core.locale_names import MONTHS, SHORT_WEEKDAYS_JA, WEEKDAYS
from desk_app.core.sla import Target, describe_due, describe_target

MAX_OUTPUT = 20_000  # characters of rendered text; far more than any reply needs
MAX_SOURCE = 100_000  # characters of template source
MAX_RANGE = 1_000
MAX_NUMBER = 100_000  # bigger numbers passed to a call could build huge strings (ljust, ...)
RENDER_SECONDS = 0.25
MARK_OPEN, MARK_CLOSE = "⟦", "⟧"
MARKER = re.compile(f"{MARK_OPEN}([^{MARK_CLOSE}\n]{{1,80}}){MARK_CLOSE}")
LANGUAGES = ("en", "ja", "ru")

Kind = Literal["text", "subject", "html"]

# What each namespace offers; `input` takes any name. Used for the manager's warnings and docs.
KNOWN_FIELDS: dict[str, tuple[str, ...]] = {
    "customer": ("name", "first_name", "email", "language"),
    "ticket": ("number", "subject", "department", "status", "priority", "created"),
    "agent": ("name", "first_name", "email", "signature"),
    "sla": (
        "first_response_due",
        "next_response_due",
        "resolution_due",
        "expected_response",
        "response_target",
    ),
    "company": ("name",),
}
INPUT = "input"
_INPUT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,40}$")


class TemplateError(InvalidInput):
    """A template that cannot be rendered or saved; the message says where and why."""


@dataclass(frozen=True)
class SyntaxProblem:
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


@dataclass(frozen=True)
class Rendered:
    text: str
    # Placeholder paths that had no value ("customer.first_name", "input.order"), first seen first.
    missing: tuple[str, ...] = ()


# --- the facts a reply can use ---------------------------------------------------------------


@dataclass(frozen=True)
class ReplyFacts:
    """Everything about one ticket a template may show, as plain values (gathered by the store).
    Empty strings and None mean "not known": those placeholders stay unresolved."""

    customer_name: str = ""
    customer_email: str = ""
    customer_language: str | None = None
    ticket_number: int | None = None
    ticket_subject: str = ""
    ticket_department: str | None = None
    ticket_status: str = ""
    ticket_priority: str = ""
    ticket_created_at: datetime | None = None
    agent_name: str = ""
    agent_email: str = ""
    agent_signature: str = ""
    # The agent's signatures for particular languages ("ja", "pt-BR"); agent_signature is the
    # one for every other language.
    agent_signatures: Mapping[str, str] = field(default_factory=dict)
    # Dates are written in this zone: the team's (the agent's); customers' zones are not known.
    time_zone: str = "UTC"
    first_response_due_at: datetime | None = None
    next_response_due_at: datetime | None = None
    resolution_due_at: datetime | None = None
    # The policy's promise for the next reply ("within 2 business hours"), if a policy applies.
    response_target: Target | None = None
    company_name: str = ""
    extra: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def language(self) -> str:
        return writing_language(self.customer_language)


def writing_language(language: str | None) -> str:
    """The language dates and phrases are written in: the customer's if we have the words."""
    base = (language or "en").split("-")[0].lower()
    return base if base in LANGUAGES else "en"


def signature_for(facts: ReplyFacts, language: str | None) -> str:
    """The agent's signature for text written in `language`: their own for that language
    (the exact tag, then its base: "pt-BR", then "pt"), else their default one."""
    wanted = (language or "").strip().lower()
    signatures = {k.strip().lower(): v for k, v in facts.agent_signatures.items() if v.strip()}
    for key in (wanted, wanted.split("-")[0]):
        if key and key in signatures:
            return signatures[key]
    return facts.agent_signature


def first_name(name: str, language: str | None = None) -> str:
    """The name to greet someone by. Japanese names are written family name first and people
    are addressed by it, so for Japanese that first word is right as well."""
    name = name.strip()
    if not name or "@" in name:
        return ""
    return name.split()[0]


def format_date(value: datetime, zone: tzinfo, language: str) -> str:
    """A date and time as the customer reads it: "Tuesday 24 November 2026, 10:00",
    "2026年11月24日(火) 10:00", "24 ноября 2026, 10:00"."""
    local = value.astimezone(zone)
    clock = local.strftime("%H:%M")
    lang = writing_language(language)
    if lang == "ja":
        weekday = SHORT_WEEKDAYS_JA[local.weekday()]
        return f"{local.year}年{local.month}月{local.day}日({weekday}) {clock}"
    if lang == "ru":
        return f"{local.day} {MONTHS['ru'][local.month - 1]} {local.year}, {clock}"
    weekday = WEEKDAYS["en"][local.weekday()]
    return f"{weekday} {local.day} {MONTHS['en'][local.month - 1]} {local.year}, {clock}"


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def namespaces(
    facts: ReplyFacts, now: datetime, *, template_language: str | None = None
) -> dict[str, dict[str, str]]:
    """The values templates see, as text in the customer's language; unknown ones left out.
    The signature follows the template's language (a Japanese answer ends in the Japanese
    sign-off, whoever reads it), else the customer's."""
    lang = facts.language
    zone = _zone(facts.time_zone)

    def when(value: datetime | None) -> str:
        return format_date(value, zone, lang) if value else ""

    next_due = facts.next_response_due_at or facts.first_response_due_at
    raw: dict[str, dict[str, str]] = {
        "customer": {
            "name": "" if "@" in facts.customer_name else facts.customer_name.strip(),
            "first_name": first_name(facts.customer_name, lang),
            "email": facts.customer_email,
            "language": facts.customer_language or "",
        },
        "ticket": {
            "number": str(facts.ticket_number) if facts.ticket_number is not None else "",
            "subject": facts.ticket_subject,
            "department": facts.ticket_department or "",
            "status": facts.ticket_status,
            "priority": facts.ticket_priority,
            "created": when(facts.ticket_created_at),
        },
        "agent": {
            "name": facts.agent_name,
            "first_name": first_name(facts.agent_name),
            "email": facts.agent_email,
            "signature": signature_for(facts, template_language or facts.customer_language).strip(
                "\n"
            ),
        },
        "sla": {
            "first_response_due": when(facts.first_response_due_at),
            "next_response_due": when(facts.next_response_due_at),
            "resolution_due": when(facts.resolution_due_at),
            "expected_response": (
                describe_due(next_due, zone, lang, now)  # type: ignore[arg-type]
                if next_due
                else ""
            ),
            "response_target": (
                describe_target(facts.response_target, lang)  # type: ignore[arg-type]
                if facts.response_target
                else ""
            ),
        },
        "company": {"name": facts.company_name.strip()},
    }
    for name, values in facts.extra.items():
        raw.setdefault(name, {}).update(values)
    return {name: {k: v for k, v in values.items() if v} for name, values in raw.items()}


# --- the sandbox -------------------------------------------------------------------------------


class Namespace:
    """A read-only bag of values. Not a dict, so names like `items` cannot reach dict methods;
    its own attributes start with "_", which the sandbox refuses."""

    __slots__ = ("_name", "_values")

    def __init__(self, name: str, values: Mapping[str, str]) -> None:
        self._name = name
        self._values = dict(values)

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __str__(self) -> str:
        return f"{MARK_OPEN}{self._name}{MARK_CLOSE}"


@dataclass
class _RenderState:
    deadline: float
    missing: list[str] = field(default_factory=list)


_STATE: contextvars.ContextVar[_RenderState | None] = contextvars.ContextVar(
    "desk_template_render", default=None
)


def _check_time() -> None:
    state = _STATE.get()
    if state is not None and time.perf_counter() > state.deadline:
        raise TemplateError(
            f"the template took longer than {RENDER_SECONDS:g} s to fill in "
            "(a loop that never ends?); simplify it"
        )


class MissingValue(Undefined):
    """An unknown value: written out as a marker and remembered; refused access stays an error."""

    __slots__ = ()

    def path(self) -> str:
        owner = self._undefined_obj
        name = self._undefined_name or "?"
        if isinstance(owner, Namespace):
            return f"{owner._name}.{name}"
        return name

    @property
    def _undefined_message(self) -> str:
        if self._undefined_exception is UndefinedError and self._undefined_hint is None:
            return f"{self.path()} has no value here"
        return str(super()._undefined_message)

    def __str__(self) -> str:
        if self._undefined_exception is not UndefinedError:
            self._fail_with_undefined_error()  # SecurityError: unsafe attribute
        path = self.path()
        state = _STATE.get()
        if state is not None and path not in state.missing:
            state.missing.append(path)
        return f"{MARK_OPEN}{path}{MARK_CLOSE}"


def _guarded_range(*args: int) -> Iterator[int]:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise TemplateError(f"range() may count at most {MAX_RANGE:,} items in a template")
    for number in numbers:
        _check_time()
        yield number


def _size(value: object) -> int:
    return len(value) if isinstance(value, str | list | tuple) else 0


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%"})
    _unsafe_names = frozenset({"format", "format_map", "mro"})

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if attr in self._unsafe_names:
            return False
        return bool(super().is_safe_attribute(obj, attr, value))

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _check_time()
        if operator == "%" and isinstance(left, str):
            raise TemplateError("'%' formatting is not available in templates; use ~ to join")
        if operator == "**" and isinstance(right, int | float) and abs(right) > 64:
            raise TemplateError("that power is too large for a template")
        if operator == "*":
            count = right if _size(left) else left
            if isinstance(count, int) and max(_size(left), _size(right)) * count > MAX_OUTPUT:
                raise TemplateError(
                    f"the template would make text longer than {MAX_OUTPUT:,} characters"
                )
        if operator == "+" and _size(left) + _size(right) > MAX_OUTPUT:
            raise TemplateError(
                f"the template would make text longer than {MAX_OUTPUT:,} characters"
            )
        return super().call_binop(context, operator, left, right)

    def call(
        __self,  # Jinja's own signature: no keyword argument can clash with a name
        __context: Context,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        _check_time()
        for value in (*args, *kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool) and value > MAX_NUMBER:
                raise TemplateError(f"numbers above {MAX_NUMBER:,} are not allowed here")
            if _size(value) > MAX_OUTPUT:
                raise TemplateError(f"text longer than {MAX_OUTPUT:,} characters")
        if getattr(__obj, "__name__", "") == "replace" and isinstance(
            getattr(__obj, "__self__", None), str
        ):
            old, new = [*args, "", ""][:2]
            grows = len(str(new)) - len(str(old)) if old else len(str(new))
            if len(__obj.__self__) + max(0, grows) * (len(__obj.__self__) + 1) > MAX_OUTPUT:
                raise TemplateError(
                    f"the template would make text longer than {MAX_OUTPUT:,} characters"
                )
        return super().call(__context, __obj, *args, **kwargs)


def _safe_replace(value: object, old: str, new: str, count: int = -1) -> str:
    text = str(value)
    grows = len(new) - len(old) if old else len(new)
    if len(text) + max(0, grows) * (len(text) + 1) > MAX_OUTPUT:
        raise TemplateError(f"the template would make text longer than {MAX_OUTPUT:,} characters")
    return text.replace(old, new, count)


# Filters whose output cannot grow much beyond their input; the rest are taken away.
_FILTERS = (
    *("default", "d", "upper", "lower", "title", "capitalize", "trim", "truncate", "join"),
    *("first", "last", "length", "count", "e", "escape", "striptags", "round", "int"),
    *("float", "string", "wordcount", "abs", "min", "max", "sort", "unique", "reverse"),
    *("list", "wordwrap"),
)


def _environment(kind: Kind) -> _Sandbox:
    env = _Sandbox(
        undefined=MissingValue,
        autoescape=kind == "html",
        keep_trailing_newline=True,
        finalize=_flatten if kind == "subject" else None,
    )
    env.globals.clear()
    env.globals["range"] = _guarded_range
    kept = {name: env.filters[name] for name in _FILTERS}
    kept["replace"] = _safe_replace
    env.filters.clear()
    env.filters.update(kept)
    env.tests = {name: env.tests[name] for name in ("defined", "undefined", "none", "number")}
    return env


def _flatten(value: object) -> object:
    # A subject is one header line: any line break in a value would start a new header.
    if isinstance(value, Undefined):
        return value
    return " ".join(str(value).split())


class _Environments(dict[str, _Sandbox]):
    """Built on first use: making three sandboxes costs start-up time nobody needs until a
    template is filled or checked."""

    def __missing__(self, kind: str) -> _Sandbox:
        if kind not in ("text", "subject", "html"):
            raise KeyError(kind)
        env = self[kind] = _environment(kind)  # type: ignore[arg-type]
        return env


_ENVIRONMENTS = _Environments()


@lru_cache(maxsize=1024)
def _compiled(kind: str, source: str) -> Any:
    return _ENVIRONMENTS[kind].from_string(source)


# --- public API --------------------------------------------------------------------------------


def render(
    source: str,
    values: Mapping[str, Mapping[str, str]],
    inputs: Mapping[str, str] | None = None,
    *,
    kind: Kind = "text",
) -> Rendered:
    """Fill a template. Unknown values become markers (listed in `missing`); anything the
    sandbox refuses, and output or time over the limits, raise TemplateError."""
    if len(source) > MAX_SOURCE:
        raise TemplateError(f"the template is longer than {MAX_SOURCE:,} characters")
    try:
        compiled = _compiled(kind, source)
    except TemplateSyntaxError:
        raise TemplateError(f"the template has a mistake at {check_syntax(source)}") from None
    typed = {k: v for k, v in (inputs or {}).items() if v.strip()}
    context: dict[str, Any] = {name: Namespace(name, ns) for name, ns in values.items()}
    for name in KNOWN_FIELDS:
        context.setdefault(name, Namespace(name, {}))
    context[INPUT] = Namespace(INPUT, typed)
    state = _RenderState(deadline=time.perf_counter() + RENDER_SECONDS)
    token = _STATE.set(state)
    try:
        parts: list[str] = []
        length = 0
        for chunk in compiled.generate(context):
            length += len(chunk)
            if length > MAX_OUTPUT:
                raise TemplateError(
                    f"the filled-in template is longer than {MAX_OUTPUT:,} characters"
                )
            parts.append(chunk)
            _check_time()
    except TemplateError:
        raise
    except SecurityError as exc:
        raise TemplateError(f"not allowed in a template: {exc}") from None
    except UndefinedError as exc:
        raise TemplateError(f"the template cannot use an unknown value: {exc}") from None
    except RecursionError:
        raise TemplateError("the template calls itself too deeply") from None
    except (JinjaTemplateError, TypeError, ValueError, ArithmeticError) as exc:
        raise TemplateError(f"the template cannot be filled in: {exc}") from None
    finally:
        _STATE.reset(token)
    text = "".join(parts)
    if kind == "subject":
        text = " ".join(text.split())
    return Rendered(text, tuple(state.missing))


def precompile(sources: list[str], kind: Kind = "text") -> None:
    """Compile templates ahead of use (on a worker thread): the first fill of a template costs
    most of its time in compiling, which the picker's preview would otherwise pay."""
    for source in sources:
        if len(source) <= MAX_SOURCE:
            try:
                _compiled(kind, source)
            except TemplateSyntaxError:
                continue


def render_for(
    source: str,
    facts: ReplyFacts,
    now: datetime,
    inputs: Mapping[str, str] | None = None,
    *,
    kind: Kind = "text",
) -> Rendered:
    return render(source, namespaces(facts, now), inputs, kind=kind)


def check_syntax(source: str) -> SyntaxProblem | None:
    """The first syntax mistake with its line and column (1-based), or None."""
    try:
        _ENVIRONMENTS["text"].parse(source)
    except TemplateSyntaxError as exc:
        line = exc.lineno or 1
        return SyntaxProblem(line, _column(source, line), exc.message or "syntax error")
    return None


_TAG = re.compile(r"\{\{.*?(\}\}|$)|\{%.*?(%\}|$)", re.DOTALL | re.MULTILINE)


def _column(source: str, line: int) -> int:
    """Jinja reports only the line: find the tag on it that does not parse on its own."""
    lines = source.split("\n")
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    env = _ENVIRONMENTS["text"]
    fallback: int | None = None
    for match in _TAG.finditer(text):
        tag = match.group(0)
        if not tag.endswith(("}}", "%}")):
            return match.start() + 1  # opened and never closed on this line
        try:
            env.parse(tag)
        except TemplateSyntaxError as exc:
            if tag.startswith("{{") or "end of template" not in (exc.message or ""):
                return match.start() + 1
            fallback = fallback or match.start() + 1
    if fallback is not None:
        return fallback
    return max(1, len(text) - len(text.lstrip()) + 1)


def placeholders(source: str) -> list[tuple[str, int]]:
    """Every namespace.field the template reads, with its line, in order (syntax must be ok)."""
    found: list[tuple[str, int]] = []
    for node in _ENVIRONMENTS["text"].parse(source).find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name):
            found.append((f"{node.node.name}.{node.attr}", node.lineno))
    return found


_TAGS = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_INPUT_USE = re.compile(r"(?<![\w.])input\.([A-Za-z_][A-Za-z0-9_]{0,40})\b")


def input_names(source: str) -> tuple[str, ...]:
    """The `input.*` values the agent is asked for when applying the template, in order.
    Read from the tags with a regular expression, not the parser: lists of thousands of
    templates need this for every one of them."""
    names: list[str] = []
    for tag in _TAGS.findall(source):
        for name in _INPUT_USE.findall(tag):
            if name not in names:
                names.append(name)
    return tuple(names)


def unknown_placeholders(source: str) -> list[str]:
    """Warnings for names no ticket will ever fill ("line 2: customer.frist_name is unknown")."""
    if check_syntax(source) is not None:
        return []
    warnings = []
    for path, line in placeholders(source):
        namespace, _, name = path.partition(".")
        if namespace == INPUT:
            if not _INPUT_NAME.match(name):
                warnings.append(f"line {line}: input.{name} is not a usable input name")
        elif namespace in KNOWN_FIELDS and name not in KNOWN_FIELDS[namespace]:
            known = ", ".join(KNOWN_FIELDS[namespace])
            warnings.append(f"line {line}: {path} is unknown ({namespace} has {known})")
    return warnings


def markers(text: str) -> list[tuple[int, int, str]]:
    """Unresolved placeholders left in a text: (start, end, path) of each."""
    return [(m.start(), m.end(), m.group(1)) for m in MARKER.finditer(text)]


def drop_markers(text: str) -> str:
    """The agent accepted the fallbacks: unresolved placeholders are removed, with the space
    in front of each, so "Hello ⟦customer.first_name⟧," reads "Hello,"."""
    return re.sub(f" ?{MARKER.pattern}", "", text)


def escape_html(text: str) -> str:
    return str(Markup.escape(text))


def validate_source(source: str, what: str) -> None:
    """Refuse a template that cannot be saved: too long, or a syntax mistake with its place."""
    if len(source) > MAX_SOURCE:
        raise TemplateError(f"the {what} is longer than {MAX_SOURCE:,} characters")
    problem = check_syntax(source)
    if problem is not None:
        raise TemplateError(f"the {what} has a mistake at {problem}")
