"""Routing rules: where a new ticket goes, decided from what the customer sent.

An ordered list, first match wins. A rule matches when every condition it has holds (an empty
rule matches everything, which makes a catch-all last rule). Keywords match in any language our
users write: text is compared after NFKC and case folding, so a Japanese keyword matches inside
unspaced Japanese text, and a Russian or English keyword also matches other forms of the same
word by its Snowball stem ("доставка" matches "доставки", "refund" matches "refunded").

The decision says which rule fired and why, for the ticket's timeline and the rule tester.
Choosing an assignee (round-robin or least-loaded among members on duty) is here too, as a pure
function of the candidates the store passes in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from desk_app.core.enums import Channel, Priority
from desk_app.core.errors import InvalidInput
from desk_app.core.search_text import stem

_WORDS = re.compile(r"\w+")


class AssignBy(StrEnum):
    NOBODY = "nobody"
    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"


@dataclass(frozen=True)
class Incoming:
    """What routing looks at, for one new ticket."""

    recipient: str = ""  # the mailbox address it was sent to
    sender: str = ""
    subject: str = ""
    body: str = ""
    channel: Channel = Channel.EMAIL
    customer_tags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RoutingRule:
    name: str
    # Conditions; empty means "any".
    recipients: frozenset[str] = frozenset()  # exact addresses, folded
    senders: frozenset[str] = frozenset()  # addresses, or domains written as "@example.com"
    keywords: tuple[str, ...] = ()  # any of them, in the subject or the body
    subject_keywords: tuple[str, ...] = ()  # any of them, in the subject only
    channels: frozenset[Channel] = frozenset()
    customer_tags: frozenset[str] = frozenset()  # any of them
    # Actions; None leaves the value as it is.
    department: str | None = None
    priority: Priority | None = None
    tags: tuple[str, ...] = ()
    assign_by: AssignBy = AssignBy.NOBODY
    # The keywords folded and stemmed once: the mail worker tries every rule on every new
    # ticket, and folding the same keywords again each time was most of route()'s cost.
    _any_keys: tuple[_Keyword, ...] = field(init=False, repr=False, compare=False, hash=False)
    _subject_keys: tuple[_Keyword, ...] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidInput("a routing rule needs a name")
        setter = object.__setattr__
        setter(self, "recipients", frozenset(_fold(a) for a in self.recipients))
        setter(self, "senders", frozenset(_fold(s) for s in self.senders))
        setter(self, "customer_tags", frozenset(_fold(t) for t in self.customer_tags))
        setter(self, "keywords", tuple(k for k in self.keywords if k.strip()))
        setter(self, "subject_keywords", tuple(k for k in self.subject_keywords if k.strip()))
        setter(self, "_any_keys", tuple(_Keyword.of(k) for k in self.keywords))
        setter(self, "_subject_keys", tuple(_Keyword.of(k) for k in self.subject_keywords))
        if self.assign_by is not AssignBy.NOBODY and self.department is None:
            raise InvalidInput(
                f"rule '{self.name}': choosing an assignee needs a department to choose from"
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "recipients": sorted(self.recipients),
            "senders": sorted(self.senders),
            "keywords": list(self.keywords),
            "subject_keywords": list(self.subject_keywords),
            "channels": sorted(c.value for c in self.channels),
            "customer_tags": sorted(self.customer_tags),
            "department": self.department,
            "priority": self.priority.value if self.priority else None,
            "tags": list(self.tags),
            "assign_by": self.assign_by.value,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RoutingRule:
        known = {f.name for f in fields(cls) if f.init}
        unknown = set(data) - known
        if unknown:
            raise InvalidInput(f"routing rule: unknown field(s) {', '.join(sorted(unknown))}")
        name = str(data.get("name") or "")
        try:
            return cls(
                name=name,
                recipients=frozenset(_strings(data, "recipients")),
                senders=frozenset(_strings(data, "senders")),
                keywords=tuple(_strings(data, "keywords")),
                subject_keywords=tuple(_strings(data, "subject_keywords")),
                channels=frozenset(Channel(c) for c in _strings(data, "channels")),
                customer_tags=frozenset(_strings(data, "customer_tags")),
                department=data.get("department") or None,
                priority=Priority(data["priority"]) if data.get("priority") else None,
                tags=tuple(_strings(data, "tags")),
                assign_by=AssignBy(data.get("assign_by") or AssignBy.NOBODY.value),
            )
        except ValueError as error:
            raise InvalidInput(f"routing rule '{name}': {error}") from None


@dataclass(frozen=True)
class Decision:
    rule: RoutingRule | None
    why: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        if self.rule is None:
            return "no routing rule matched"
        because = "; ".join(self.why) if self.why else "it matches everything"
        return f"rule '{self.rule.name}': {because}"


def route(rules: Sequence[RoutingRule], incoming: Incoming) -> Decision:
    """The first rule whose conditions all hold, with the reasons it matched."""
    text = _Text(incoming)
    for rule in rules:
        why = _matches(rule, incoming, text)
        if why is not None:
            return Decision(rule, tuple(why))
    return Decision(None)


@dataclass(frozen=True)
class Candidate:
    agent_id: int
    open_load: int
    on_duty: bool


def choose_assignee(
    assign_by: AssignBy, candidates: Iterable[Candidate], last_assigned: int | None = None
) -> int | None:
    """Round-robin: the next agent on duty after the one who got the last ticket (by id, so
    the order is stable as people come and go). Least-loaded: the agent on duty with the fewest
    open tickets (ties to the lower id, so the choice is repeatable). None if nobody is on duty."""
    on_duty = sorted((c for c in candidates if c.on_duty), key=lambda c: c.agent_id)
    if assign_by is AssignBy.NOBODY or not on_duty:
        return None
    if assign_by is AssignBy.LEAST_LOADED:
        return min(on_duty, key=lambda c: (c.open_load, c.agent_id)).agent_id
    if last_assigned is None:
        return on_duty[0].agent_id
    after = [c for c in on_duty if c.agent_id > last_assigned]
    return (after or on_duty)[0].agent_id


# --- matching -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Keyword:
    text: str  # as the rule says it, for the explanation
    folded: str
    stems: tuple[str, ...]  # of its words; empty when it has none (punctuation only)

    @classmethod
    def of(cls, keyword: str) -> _Keyword:
        folded = _fold(keyword)
        return cls(keyword, folded, tuple(stem(word) for word in _WORDS.findall(folded)))


class _Text:
    """The incoming message folded once, with the stems of its words, for every rule."""

    def __init__(self, incoming: Incoming) -> None:
        self.subject = _fold(incoming.subject)
        self.body = _fold(incoming.body)
        self.subject_and_body = self.subject + "\n" + self.body
        self.subject_stems = _stems(self.subject)
        self.all_stems = self.subject_stems | _stems(self.body)


def _matches(rule: RoutingRule, incoming: Incoming, text: _Text) -> list[str] | None:
    why: list[str] = []
    if rule.recipients:
        recipient = _fold(incoming.recipient)
        if recipient not in rule.recipients:
            return None
        why.append(f"sent to {recipient}")
    if rule.senders:
        sender = _fold(incoming.sender)
        domain = "@" + sender.rpartition("@")[2]
        if sender not in rule.senders and domain not in rule.senders:
            return None
        why.append(f"from {sender}")
    if rule.channels:
        if incoming.channel not in rule.channels:
            return None
        why.append(f"channel {incoming.channel.value}")
    if rule.customer_tags:
        tags = {_fold(t) for t in incoming.customer_tags} & rule.customer_tags
        if not tags:
            return None
        why.append(f"customer tagged {', '.join(sorted(tags))}")
    if rule.subject_keywords:
        found = _found(rule._subject_keys, text.subject, text.subject_stems)
        if found is None:
            return None
        why.append(f"subject mentions '{found}'")
    if rule.keywords:
        found = _found(rule._any_keys, text.subject_and_body, text.all_stems)
        if found is None:
            return None
        why.append(f"mentions '{found}'")
    return why


def _found(keywords: Sequence[_Keyword], folded: str, stems: frozenset[str]) -> str | None:
    for keyword in keywords:
        if keyword.folded in folded:
            return keyword.text
        if keyword.stems and all(s in stems for s in keyword.stems):
            return keyword.text
    return None


def _stems(folded: str) -> frozenset[str]:
    return frozenset(stem(word) for word in _WORDS.findall(folded))


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


def _strings(data: Mapping[str, Any], key: str) -> list[str]:
    value = data.get(key) or []
    if isinstance(value, str) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"routing rule: '{key}' must be a list of strings")
    return list(value)
