"""After hours: whether the office is closed, what an automatic acknowledgement promises, which
mail must never get one, and what is urgent enough to wake the person on call.

Pure decisions; store/ gathers the facts and worker/ carries them out. The team's options live in
team settings (see SETTING_KEYS) and arrive here as an AfterHoursSettings.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from desk_app.core.calendar import BusinessCalendar
from desk_app.core.enums import Priority
from desk_app.core.errors import InvalidInput
from desk_app.core.identities import normalise_email
from desk_app.core.sla import SlaPolicy, TicketFacts, match_policy

ACK_KIND = "after_hours"  # auto_replies.kind of the acknowledgement
TEMPLATE_TAG = "after-hours"
FALLBACK_LANGUAGE = "en"
URGENT_TAG = "urgent"

# Team-setting keys (team_settings.key) and what each holds.
HELP_CENTRE_URL = "help_centre_url"
ACK_ENABLED = "after_hours.enabled"
ACK_WINDOW_HOURS = "after_hours.ack_window_hours"
MAX_AGE_HOURS = "after_hours.max_age_hours"
URGENT_KEYWORDS = "after_hours.urgent_keywords"
PAGE_REPEAT_MINUTES = "oncall.page_repeat_minutes"
PAGE_ESCALATE_MINUTES = "oncall.page_escalate_minutes"
# Not an after-hours option, but a team setting set the same way (`desk oncall settings`).
OUTBOX_RETRY_HOURS = "outbox_retry_hours"
DEFAULT_OUTBOX_RETRY_HOURS = 48
SETTING_KEYS: dict[str, str] = {
    HELP_CENTRE_URL: "where self-service help lives (shown in acknowledgements)",
    ACK_ENABLED: "send after-hours acknowledgements (true/false)",
    ACK_WINDOW_HOURS: "at most one acknowledgement per customer in this many hours",
    MAX_AGE_HOURS: "tickets older than this are never acknowledged or paged for",
    URGENT_KEYWORDS: "words that make a ticket urgent (comma-separated)",
    PAGE_REPEAT_MINUTES: "page again every this many minutes until acknowledged",
    PAGE_ESCALATE_MINUTES: "page the next person in the rotation after this many minutes",
    OUTBOX_RETRY_HOURS: "give up on a reply after this many hours of temporary send failures",
}

# Senders that are mail systems, not people: an answer to them goes nowhere or starts a loop.
_SYSTEM_SENDERS = frozenset(
    {"mailer-daemon", "mailerdaemon", "mail-daemon", "postmaster", "noreply", "no-reply"}
    | {"donotreply", "do-not-reply", "bounce", "bounces"}
)
_AUTO_REPLY_HEADERS = ("x-autoreply", "x-autorespond", "x-autoreply-from", "x-mail-autoreply")
_AUTO_KINDS = {
    "bounce": "it is a bounce",
    "auto_reply": "it is an automatic reply",
    "bulk": "it is bulk or mailing-list mail",
}


@dataclass(frozen=True)
class AfterHoursSettings:
    enabled: bool = True
    help_centre_url: str = ""
    ack_window: timedelta = timedelta(hours=24)
    # A ticket first seen by the worker later than this after it arrived (the worker was down
    # over the weekend) gets neither a late "we got your message" nor a page about old news.
    max_age: timedelta = timedelta(hours=12)
    urgent_keywords: tuple[str, ...] = ()
    page_repeat: timedelta = timedelta(minutes=10)
    page_escalate_after: timedelta = timedelta(minutes=20)

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> AfterHoursSettings:
        """From stored team settings; a value that cannot be read falls back to the default
        rather than stopping the worker (the CLI refuses bad values when they are set)."""
        default = cls()

        def number(key: str, fallback: float) -> float:
            value = values.get(key)
            if isinstance(value, bool) or not isinstance(value, int | float):
                return fallback
            return float(value) if math.isfinite(value) and value > 0 else fallback

        keywords = values.get(URGENT_KEYWORDS)
        enabled = values.get(ACK_ENABLED)
        url = values.get(HELP_CENTRE_URL)
        return cls(
            enabled=enabled if isinstance(enabled, bool) else default.enabled,
            help_centre_url=url.strip() if isinstance(url, str) else "",
            ack_window=timedelta(hours=number(ACK_WINDOW_HOURS, 24)),
            max_age=timedelta(hours=number(MAX_AGE_HOURS, 12)),
            urgent_keywords=(
                tuple(_fold(k) for k in keywords if isinstance(k, str) and k.strip())
                if isinstance(keywords, list)
                else ()
            ),
            page_repeat=timedelta(minutes=number(PAGE_REPEAT_MINUTES, 10)),
            page_escalate_after=timedelta(minutes=number(PAGE_ESCALATE_MINUTES, 20)),
        )


def parse_setting(key: str, text: str) -> Any:
    """A value typed on the command line, checked and converted to what is stored."""
    if key not in SETTING_KEYS:
        raise InvalidInput(f"unknown setting '{key}'; known: {', '.join(sorted(SETTING_KEYS))}")
    text = text.strip()
    if key == HELP_CENTRE_URL:
        if text and not text.startswith(("https://", "http://")):
            raise InvalidInput(f"{key}: give a web address starting with https://")
        return text
    if key == ACK_ENABLED:
        if text.lower() not in ("true", "false", "yes", "no", "on", "off"):
            raise InvalidInput(f"{key}: say true or false")
        return text.lower() in ("true", "yes", "on")
    if key == URGENT_KEYWORDS:
        return [word.strip() for word in text.split(",") if word.strip()]
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(f"{key}: expected a number, got '{text}'") from None
    if not math.isfinite(value) or value <= 0:
        raise InvalidInput(f"{key}: must be more than zero")
    return int(value) if value.is_integer() else value


# --- the office's hours -------------------------------------------------------------------------


def office_calendar(
    policies: Sequence[SlaPolicy],
    calendars: Mapping[str, BusinessCalendar],
    facts: TicketFacts,
) -> BusinessCalendar | None:
    """The calendar the ticket's department works by: that of the policy an ordinary (normal
    priority) ticket like this one matches. An urgent policy on a 24/7 clock says how fast urgent
    work is due, not when people are in, so it must not make the night count as office hours.
    None: no calendar applies, and the team counts as always there."""
    for candidate in (replace(facts, priority=Priority.NORMAL), facts):
        policy = match_policy(policies, candidate)
        if policy is not None and policy.calendar is not None:
            return calendars.get(policy.calendar)
    return None


def is_after_hours(calendar: BusinessCalendar | None, at: datetime) -> bool:
    return calendar is not None and not calendar.is_open(at)


def promised_reply(
    calendar: BusinessCalendar, arrived_at: datetime, first_response_due: datetime | None
) -> datetime:
    """When we tell the customer a person will answer: the first-response due time, but never
    before the office opens (a calendar-minutes target may fall due at 2 a.m., when nobody who
    could keep the promise is there). Without a target, the opening time itself."""
    opening = calendar.next_open(arrived_at)
    if first_response_due is None:
        return opening
    return max(first_response_due, opening)


def guess_language(text: str) -> str:
    """The language a customer wrote in, by script: kana or kanji Japanese, Cyrillic Russian,
    anything else English. Only used while the customer's language is not known."""
    for ch in text:
        if "\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff":
            return "ja"
        if "\u0400" <= ch <= "\u04ff":
            return "ru"
    return FALLBACK_LANGUAGE


# --- mail that must not be answered automatically ----------------------------------------------


def refusal_reason(
    *,
    auto_kind: str | None,
    sender: str | None,
    headers: Mapping[str, str],
    own_addresses: frozenset[str],
) -> str | None:
    """Why this mail must get no automatic answer, or None when it may. `headers` are the raw
    mail's headers with lower-case names; they are read again here, beside the parser's
    auto_kind, because an answer sent to a robot can start a mail loop that runs all night."""
    if auto_kind in _AUTO_KINDS:
        return _AUTO_KINDS[auto_kind]
    try:
        address = normalise_email(sender or "")
    except InvalidInput:
        return "it has no sender address to answer"
    if address.endswith(".invalid"):
        return "it has no sender address to answer"
    if address in own_addresses:
        return "it came from one of our own mail addresses"
    if address.partition("@")[0] in _SYSTEM_SENDERS:
        return "it came from a mail system, not a person"

    def header(name: str) -> str:
        return " ".join(headers.get(name, "").split()).lower()

    if "return-path" in headers and header("return-path").strip("<> ") == "":
        return "it has a null return path (automatic mail)"
    submitted = header("auto-submitted")
    if submitted and not submitted.startswith("no"):
        return "it is an automatic reply"
    if any(name in headers for name in _AUTO_REPLY_HEADERS) or header("x-autogenerated"):
        return "it is an automatic reply"
    if header("precedence") in ("bulk", "list", "junk", "auto_reply"):
        return "it is bulk or mailing-list mail"
    if "list-id" in headers or "list-unsubscribe" in headers:
        return "it is bulk or mailing-list mail"
    return None


@dataclass(frozen=True)
class TemplateCandidate:
    template_id: int
    language: str
    department_id: int | None  # None: a team-wide template


def choose_template(
    candidates: Sequence[TemplateCandidate], department_id: int | None, language: str
) -> int | None:
    """The after-hours template for this department and language: the customer's language
    first (a team-wide note they can read beats a department's they cannot), the department's
    own before the team's, then the same again in English."""
    preferences = [
        (language, department_id),
        (language, None),
        (FALLBACK_LANGUAGE, department_id),
        (FALLBACK_LANGUAGE, None),
    ]
    for wanted_language, wanted_department in preferences:
        found = sorted(
            c.template_id
            for c in candidates
            if c.language.split("-")[0].lower() == wanted_language
            and c.department_id == wanted_department
        )
        if found:
            return found[0]
    return None


# --- urgency ------------------------------------------------------------------------------------


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


def urgency_reasons(priority: str, tags: str, text: str, keywords: Sequence[str]) -> list[str]:
    """Why a ticket is urgent (empty: it is not). Keywords match anywhere in the text, case- and
    width-folded, so "URGENT", "urgent" and "ｕｒｇｅｎｔ" are one word and Japanese "至急",
    written without spaces, is found inside a sentence."""
    reasons = []
    if priority == Priority.URGENT.value:
        reasons.append("priority urgent")
    if URGENT_TAG in tags.split():
        reasons.append("tagged urgent")
    folded = _fold(text)
    for keyword in keywords:
        word = _fold(keyword)
        if word and word in folded:
            reasons.append(f'keyword "{keyword}"')
    return reasons
