"""SLA policies and the due times they give a ticket, derived from the ticket's history.

Nothing here is stored: ``compute_sla`` replays a ticket's events against a policy and a calendar
and says, for each target, when it started, when it is due, whether it is paused, met or
breached. The service layer stores the result and recomputes it from the whole history whenever
something that affects it changes (a message, a reply, a status, a re-matched policy).

Rules of the replay:
- first response starts when the ticket is created and is met by the first agent reply;
- next response starts at a customer message that follows an agent reply (further customer
  messages before the next reply do not restart it) and is met by the next agent reply;
- resolution starts at creation, is met when the ticket becomes solved or closed, and reopening
  resumes it with the time it had left;
- while the status is one of the policy's pause statuses no target's clock runs; while the ticket
  is solved or closed no response clock runs either (they show ``not_applicable`` then);
- a target breaches the moment its due time passes while its clock is running. The breach is
  recorded at the due time and kept even when the target is met later, so reports can count it.
  A target met exactly at its due time is met in time.
- a breach is a fact, not a state of the current policy: ``recorded`` breaches (found earlier,
  perhaps under another policy before the ticket moved) are given back in ``SlaState.records``
  with the time the target was met filled in once it is, and while one of them is unmet the
  target shows as breached at its due time (in the header, the Breached view, escalation)
  whatever the current policy says. A target's start never moves: a ticket that waited ten
  hours is late under a new four-hour policy too.
Business-hours targets run on the calendar's working time; calendar-time targets on plain elapsed
time. Either way the time spent paused is added back exactly, because the clock only consumes time
while it runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from operator import attrgetter
from typing import Any, Literal, NamedTuple, TypeVar

from desk_app.core.calendar import BusinessCalendar, InvalidConfig, require_aware
from desk_app.core.enums import Channel, Priority, Status
from desk_app.core.locale_names import MONTHS, SHORT_WEEKDAYS_JA, WEEKDAYS

E = TypeVar("E", bound=StrEnum)
CLOSING_STATUSES: frozenset[Status] = frozenset({Status.SOLVED, Status.CLOSED})
DEFAULT_PAUSE_STATUSES: frozenset[Status] = frozenset({Status.PENDING, Status.ON_HOLD})


class TargetKind(StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


_KINDS: tuple[TargetKind, ...] = tuple(TargetKind)


class ClockState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"
    NOT_APPLICABLE = "not_applicable"


class EventKind(StrEnum):
    CREATED = "created"
    CUSTOMER_MESSAGE = "customer_message"
    AGENT_REPLY = "agent_reply"
    STATUS_CHANGE = "status_change"


# -- policies ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    minutes: int
    business_hours: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", _enum(TargetKind, self.kind, "targets.kind"))
        if isinstance(self.minutes, bool) or not isinstance(self.minutes, int):
            raise InvalidConfig(f"targets.{self.kind}.minutes", "expected a whole number")
        if self.minutes <= 0:
            raise InvalidConfig(f"targets.{self.kind}.minutes", "must be more than zero")
        if not isinstance(self.business_hours, bool):
            raise InvalidConfig(f"targets.{self.kind}.business_hours", "expected true or false")

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.minutes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "minutes": self.minutes,
            "business_hours": self.business_hours,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Target:
        _only_known(data, {"kind", "minutes", "business_hours"}, "targets")
        if "kind" not in data or "minutes" not in data:
            raise InvalidConfig("targets", "each target needs a kind and minutes")
        return cls(
            kind=_enum(TargetKind, data["kind"], "targets.kind"),
            minutes=data["minutes"],
            business_hours=data.get("business_hours", True),
        )


# An escalation's raise_priority: one step up (low -> normal -> high -> urgent), or a level.
RAISE_ONE_STEP = "one_step"
_PRIORITY_ORDER: tuple[Priority, ...] = tuple(Priority)


@dataclass(frozen=True, kw_only=True)
class Escalation:
    """What the worker does when a policy's target breaches: raise the priority, tell the
    department's leads, move the ticket to another department. ``breach_of`` empty means a
    breach of any of the policy's targets. (Not "on": YAML reads a bare ``on`` key as true.)"""

    breach_of: frozenset[TargetKind] = frozenset()
    raise_priority: str | None = None  # RAISE_ONE_STEP or a Priority value
    notify_leads: bool = False
    move_to: str | None = None  # a department's name

    def __post_init__(self) -> None:
        breach_of = _enums(TargetKind, self.breach_of, "escalation.breach_of")
        object.__setattr__(self, "breach_of", breach_of)
        if self.raise_priority is not None and self.raise_priority != RAISE_ONE_STEP:
            if self.raise_priority not in {p.value for p in Priority}:
                allowed = ", ".join([RAISE_ONE_STEP, *(p.value for p in Priority)])
                raise InvalidConfig(
                    "escalation.raise_priority",
                    f"unknown value {self.raise_priority!r}; expected one of {allowed}",
                )
            object.__setattr__(self, "raise_priority", Priority(self.raise_priority).value)
        if not isinstance(self.notify_leads, bool):
            raise InvalidConfig("escalation.notify_leads", "expected true or false")
        if self.move_to is not None:
            if not isinstance(self.move_to, str) or not self.move_to.strip():
                raise InvalidConfig("escalation.move_to", "expected a department's name")
            object.__setattr__(self, "move_to", self.move_to.strip())
        if self.raise_priority is None and not self.notify_leads and self.move_to is None:
            raise InvalidConfig(
                "escalation", "say what to do on a breach: raise_priority, notify_leads or move_to"
            )

    def applies_to(self, kind: TargetKind) -> bool:
        return not self.breach_of or kind in self.breach_of

    def raised_priority(self, current: Priority) -> Priority | None:
        """The priority after the raise; None when it would not go up (never lowers one)."""
        if self.raise_priority is None:
            return None
        rank = _PRIORITY_ORDER.index(current)
        if self.raise_priority == RAISE_ONE_STEP:
            wanted = _PRIORITY_ORDER[min(rank + 1, len(_PRIORITY_ORDER) - 1)]
        else:
            wanted = Priority(self.raise_priority)
        return wanted if _PRIORITY_ORDER.index(wanted) > rank else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "breach_of": [kind.value for kind in _KINDS if kind in self.breach_of],
            "raise_priority": self.raise_priority,
            "notify_leads": self.notify_leads,
            "move_to": self.move_to,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Escalation:
        if not isinstance(data, Mapping):
            raise InvalidConfig("escalation", "expected a mapping of actions")
        known = {"breach_of", "raise_priority", "notify_leads", "move_to"}
        _only_known(data, known, "escalation")
        kinds = data.get("breach_of") or []
        if isinstance(kinds, str) or not isinstance(kinds, Iterable):
            raise InvalidConfig("escalation.breach_of", "expected a list of target kinds")
        return cls(
            breach_of=frozenset(kinds),
            raise_priority=data.get("raise_priority") or None,
            notify_leads=data.get("notify_leads", False),
            move_to=data.get("move_to") or None,
        )


@dataclass(frozen=True)
class TicketFacts:
    """What a policy matches on."""

    department: str | None
    priority: Priority
    channel: Channel
    customer_tags: frozenset[str] = frozenset()


@dataclass(frozen=True, kw_only=True)
class SlaPolicy:
    """Targets for the tickets it matches. Empty match sets mean "any"."""

    name: str
    targets: tuple[Target, ...]
    departments: frozenset[str] = frozenset()
    priorities: frozenset[Priority] = frozenset()
    channels: frozenset[Channel] = frozenset()
    customer_tags: frozenset[str] = frozenset()
    pause_statuses: frozenset[Status] = DEFAULT_PAUSE_STATUSES
    # The name of a BusinessCalendar; None means calendar time only (no business-hours targets).
    calendar: str | None = None
    # What the worker does on a breach; None means nothing beyond the red light.
    escalation: Escalation | None = None

    _departments_key: frozenset[str] = field(init=False, repr=False, compare=False, hash=False)
    _tags_key: frozenset[str] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        setter = object.__setattr__
        if not isinstance(self.name, str) or not self.name.strip():
            raise InvalidConfig("name", "a policy needs a name")
        setter(self, "departments", _names(self.departments, "departments"))
        setter(self, "customer_tags", _names(self.customer_tags, "customer_tags"))
        setter(self, "_departments_key", frozenset(d.casefold() for d in self.departments))
        setter(self, "_tags_key", frozenset(t.casefold() for t in self.customer_tags))
        setter(self, "priorities", _enums(Priority, self.priorities, "priorities"))
        setter(self, "channels", _enums(Channel, self.channels, "channels"))
        pauses = _enums(Status, self.pause_statuses, "pause_statuses")
        if pauses & CLOSING_STATUSES:
            bad = ", ".join(sorted(pauses & CLOSING_STATUSES))
            raise InvalidConfig("pause_statuses", f"{bad} ends the clock; it cannot pause it")
        setter(self, "pause_statuses", pauses)
        targets = tuple(self.targets)
        if not targets:
            raise InvalidConfig("targets", "a policy needs at least one target")
        for target in targets:
            if not isinstance(target, Target):
                raise InvalidConfig("targets", f"expected a Target, got {target!r}")
        kinds = [target.kind for target in targets]
        if len(set(kinds)) != len(kinds):
            raise InvalidConfig("targets", "each kind of target may appear once")
        order = list(TargetKind)
        setter(self, "targets", tuple(sorted(targets, key=lambda t: order.index(t.kind))))
        if self.calendar is not None and (
            not isinstance(self.calendar, str) or not self.calendar.strip()
        ):
            raise InvalidConfig("calendar", "expected a calendar name")
        if self.calendar is None and any(t.business_hours for t in targets):
            raise InvalidConfig("calendar", "business-hours targets need a calendar")
        if self.escalation is not None:
            if not isinstance(self.escalation, Escalation):
                raise InvalidConfig("escalation", f"expected an Escalation: {self.escalation!r}")
            missing = self.escalation.breach_of - set(kinds)
            if missing:
                raise InvalidConfig(
                    "escalation.breach_of", f"the policy has no {', '.join(sorted(missing))} target"
                )

    def target(self, kind: TargetKind) -> Target | None:
        for target in self.targets:
            if target.kind == kind:
                return target
        return None

    def matches(self, facts: TicketFacts) -> bool:
        if self.departments and (
            facts.department is None or facts.department.casefold() not in self._departments_key
        ):
            return False
        if self.priorities and facts.priority not in self.priorities:
            return False
        if self.channels and facts.channel not in self.channels:
            return False
        if self.customer_tags:
            tags = {tag.casefold() for tag in facts.customer_tags}
            if not tags & self._tags_key:
                return False
        return True

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "departments": sorted(self.departments),
            "priorities": sorted(self.priorities, key=list(Priority).index),
            "channels": sorted(self.channels, key=list(Channel).index),
            "customer_tags": sorted(self.customer_tags),
            "targets": [target.to_dict() for target in self.targets],
            "pause_statuses": sorted(self.pause_statuses, key=list(Status).index),
            "calendar": self.calendar,
            **({"escalation": self.escalation.to_dict()} if self.escalation else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SlaPolicy:
        """Validate and build; errors are ``InvalidConfig`` (a ValueError) naming the field."""
        if not isinstance(data, Mapping):
            raise InvalidConfig("policy", "expected a mapping of fields")
        known = {
            "name",
            "departments",
            "priorities",
            "channels",
            "customer_tags",
            "targets",
            "pause_statuses",
            "calendar",
            "escalation",
        }
        _only_known(data, known, "policy")
        if "name" not in data:
            raise InvalidConfig("name", "is required")
        raw_targets = data.get("targets")
        if not isinstance(raw_targets, Sequence) or isinstance(raw_targets, str):
            raise InvalidConfig("targets", "expected a list of targets")
        targets = []
        for raw in raw_targets:
            if not isinstance(raw, Mapping):
                raise InvalidConfig("targets", f"expected a mapping, got {raw!r}")
            targets.append(Target.from_dict(raw))
        lists: dict[str, Any] = {}
        for key in ("departments", "priorities", "channels", "customer_tags", "pause_statuses"):
            if key in data:
                value = data[key] if data[key] is not None else []
                if isinstance(value, str) or not isinstance(value, Iterable):
                    raise InvalidConfig(key, "expected a list")
                lists[key] = frozenset(value)
        return cls(
            name=data["name"],
            targets=tuple(targets),
            calendar=data.get("calendar") or None,
            escalation=Escalation.from_dict(data["escalation"]) if data.get("escalation") else None,
            **lists,
        )


def match_policy(policies: Iterable[SlaPolicy], facts: TicketFacts) -> SlaPolicy | None:
    """The first policy, in order, that matches the ticket; None when none does."""
    for policy in policies:
        if policy.matches(facts):
            return policy
    return None


def resolve_calendar(
    policy: SlaPolicy, calendars: Mapping[str, BusinessCalendar]
) -> BusinessCalendar | None:
    """The calendar a policy runs on; None for calendar-time-only policies without one."""
    if policy.calendar is None:
        return None
    found = calendars.get(policy.calendar)
    if found is None:
        raise InvalidConfig("calendar", f"policy {policy.name!r} names unknown calendar")
    return found


def validate_policy_set(
    policies: Sequence[SlaPolicy], calendars: Iterable[BusinessCalendar]
) -> None:
    """Checks across a whole import: unique names, and every policy's calendar exists."""
    calendar_names: set[str] = set()
    for index, calendar in enumerate(calendars):
        if calendar.name in calendar_names:
            raise InvalidConfig(f"calendars[{index}].name", f"{calendar.name!r} appears twice")
        calendar_names.add(calendar.name)
    policy_names: set[str] = set()
    for index, policy in enumerate(policies):
        if policy.name in policy_names:
            raise InvalidConfig(f"policies[{index}].name", f"{policy.name!r} appears twice")
        policy_names.add(policy.name)
        if policy.calendar is not None and policy.calendar not in calendar_names:
            raise InvalidConfig(
                f"policies[{index}].calendar", f"unknown calendar {policy.calendar!r}"
            )


# -- ticket history ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketEvent:
    """One thing that happened to a ticket. ``status`` is the new status of a status change, and
    optionally the initial status of a created ticket (new when left out)."""

    at: datetime
    kind: EventKind
    status: Status | None = None

    def __post_init__(self) -> None:
        require_aware(self.at, "at")
        object.__setattr__(self, "kind", EventKind(self.kind))
        if self.status is not None:
            object.__setattr__(self, "status", Status(self.status))
        if self.kind is EventKind.STATUS_CHANGE and self.status is None:
            raise ValueError("status: a status change needs the new status")
        if self.kind not in (EventKind.STATUS_CHANGE, EventKind.CREATED) and self.status:
            raise ValueError(f"status: a {self.kind} event carries no status")

    @classmethod
    def created(cls, at: datetime, status: Status = Status.NEW) -> TicketEvent:
        return cls(at, EventKind.CREATED, status)

    @classmethod
    def customer_message(cls, at: datetime) -> TicketEvent:
        return cls(at, EventKind.CUSTOMER_MESSAGE)

    @classmethod
    def agent_reply(cls, at: datetime) -> TicketEvent:
        return cls(at, EventKind.AGENT_REPLY)

    @classmethod
    def status_change(cls, at: datetime, status: Status) -> TicketEvent:
        return cls(at, EventKind.STATUS_CHANGE, status)

    @classmethod
    def trusted(cls, at: datetime, kind: EventKind, status: Status | None = None) -> TicketEvent:
        """An event built without the checks, for histories read back from the database
        (UTC-aware times, enum members): a full recompute builds half a million of them, and
        the checks cost more than the replay itself."""
        event = cls.__new__(cls)
        vars(event).update(at=at, kind=kind, status=status)
        return event


# -- the computed state -----------------------------------------------------------------------


# The records below are NamedTuples rather than frozen dataclasses: a full recompute builds
# hundreds of thousands of them, and a tuple is several times cheaper to make.


class Breach(NamedTuple):
    kind: TargetKind
    at: datetime


class BreachRecord(NamedTuple):
    """A breach as the history keeps it: which target (kind and the start of its clock), the
    due time it missed, the policy that set that due time, and when the target was finally met
    (None while it is not). The same target and due time is one breach, whatever policy found
    it first."""

    kind: TargetKind
    started_at: datetime
    due_at: datetime
    policy: str
    met_at: datetime | None = None


class TargetState(NamedTuple):
    """One target at ``now``. ``due_at`` is set while the clock runs (in the past once breached);
    ``remaining`` is the target's time left (business time for business-hours targets), frozen
    while paused and zero or less once overdue."""

    kind: TargetKind
    state: ClockState
    target: Target | None = None
    started_at: datetime | None = None
    due_at: datetime | None = None
    paused: bool = False
    met_at: datetime | None = None
    breached_at: datetime | None = None
    remaining: timedelta | None = None

    @property
    def breached(self) -> bool:
        return self.breached_at is not None

    @property
    def met_in_time(self) -> bool:
        return self.met_at is not None and self.breached_at is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "state": str(self.state),
            "target": self.target.to_dict() if self.target else None,
            "started_at": _iso(self.started_at),
            "due_at": _iso(self.due_at),
            "paused": self.paused,
            "met_at": _iso(self.met_at),
            "breached_at": _iso(self.breached_at),
            "remaining_minutes": (
                None if self.remaining is None else self.remaining / timedelta(minutes=1)
            ),
        }


@dataclass(frozen=True)
class SlaState:
    """Every target of one ticket at ``computed_at``; one entry per TargetKind, in enum order."""

    policy: str | None
    targets: tuple[TargetState, ...]
    breaches: tuple[Breach, ...] = ()
    paused_intervals: tuple[tuple[datetime, datetime | None], ...] = ()
    computed_at: datetime | None = None
    # Every breach the ticket's history holds after this replay: the recorded ones given to
    # compute_sla (met_at filled in once met), then this policy's breaches not among them.
    records: tuple[BreachRecord, ...] = ()

    def target(self, kind: TargetKind) -> TargetState:
        for state in self.targets:
            if state.kind == kind:
                return state
        raise KeyError(kind)

    @property
    def first_response_due(self) -> datetime | None:
        return self.target(TargetKind.FIRST_RESPONSE).due_at

    @property
    def next_response_due(self) -> datetime | None:
        return self.target(TargetKind.NEXT_RESPONSE).due_at

    @property
    def resolution_due(self) -> datetime | None:
        return self.target(TargetKind.RESOLUTION).due_at

    @property
    def earliest_due(self) -> datetime | None:
        """The earliest due time among targets whose clock runs (breached ones included): the
        ticket's place in the Due soon and Breached views."""
        dues = [state.due_at for state in self.targets if state.due_at is not None]
        return min(dues) if dues else None

    @property
    def breached(self) -> bool:
        """Whether a running target is overdue right now."""
        return any(state.state is ClockState.BREACHED for state in self.targets)

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "computed_at": _iso(self.computed_at),
            "earliest_due": _iso(self.earliest_due),
            "targets": [state.to_dict() for state in self.targets],
            "breaches": [
                {
                    "kind": str(r.kind),
                    "at": _iso(r.due_at),
                    "policy": r.policy,
                    "started_at": _iso(r.started_at),
                    "met_at": _iso(r.met_at),
                }
                for r in sorted(self.records, key=lambda r: (r.due_at, _KINDS.index(r.kind)))
            ],
            "paused_intervals": [[_iso(a), _iso(b)] for a, b in self.paused_intervals],
        }


# Enum members looked up once: attribute access on an enum class is slow on Python 3.11, and
# the replay below runs for every ticket in a full recompute.
_CREATED, _CUSTOMER_MESSAGE, _AGENT_REPLY, _STATUS_CHANGE = tuple(EventKind)
_RUNNING, _PAUSED, _MET, _BREACHED, _NOT_APPLICABLE = tuple(ClockState)
_FIRST_RESPONSE, _NEXT_RESPONSE, _RESOLUTION = _KINDS


class _TargetClock:
    """The budget of one target, consumed only while its clock runs."""

    def __init__(
        self,
        target: Target,
        calendar: BusinessCalendar | None,
        breaches: list[tuple[Breach, datetime]],
    ) -> None:
        self.target = target
        self.calendar = calendar if target.business_hours else None
        self.breaches = breaches
        self.started_at: datetime | None = None
        self.active = False
        self.halted = False
        self.running_since: datetime | None = None
        self.duration = target.duration
        self.remaining = self.duration
        self.met_at: datetime | None = None
        self.breached_at: datetime | None = None

    def _due_from(self, since: datetime) -> datetime:
        if self.calendar is None:
            return since + self.remaining
        return self.calendar.add_business_time(since, self.remaining)

    def _consume(self, until: datetime) -> None:
        since = self.running_since
        if since is None:
            return
        if self.calendar is None:
            used = until - since
        else:
            used = self.calendar.business_time_between(since, until)
        # Less time used than was left means the due time is still ahead; only otherwise is it
        # worth finding the due time (business time stands still while closed, real time not).
        if self.breached_at is None and used >= self.remaining:
            due = self._due_from(since)
            if until > due:
                self.breached_at = due
                assert self.started_at is not None  # a clock runs only once started
                self.breaches.append((Breach(self.target.kind, due), self.started_at))
        self.remaining -= used
        self.running_since = until

    def start(self, at: datetime) -> None:
        self.started_at = at
        self.active = True
        self.remaining = self.duration
        self.met_at = None
        self.breached_at = None
        self.running_since = None if self.halted else at

    def set_halted(self, at: datetime, halted: bool) -> None:
        if halted == self.halted:
            return
        self.halted = halted
        if halted:
            self._consume(at)
            self.running_since = None
        elif self.active:
            self.running_since = at

    def meet(self, at: datetime) -> None:
        if not self.active:
            return
        self._consume(at)
        self.running_since = None
        self.active = False
        self.met_at = at

    def reopen(self, at: datetime) -> None:
        if self.started_at is None or self.active:
            return
        self.active = True
        self.met_at = None
        self.running_since = None if self.halted else at

    def state(self, now: datetime, paused: bool, closed: bool) -> TargetState:
        self._consume(now)
        kind = self.target.kind
        common: dict[str, Any] = {
            "kind": kind,
            "target": self.target,
            "started_at": self.started_at,
            "breached_at": self.breached_at,
        }
        if self.started_at is None:
            return TargetState(kind=kind, state=_NOT_APPLICABLE, target=self.target)
        if not self.active:
            return TargetState(state=_MET, met_at=self.met_at, **common)
        if closed:
            return TargetState(state=_NOT_APPLICABLE, **common)
        if paused:
            return TargetState(state=_PAUSED, paused=True, remaining=self.remaining, **common)
        assert self.running_since is not None
        if self.breached_at is not None:
            return TargetState(
                state=_BREACHED,
                due_at=self.breached_at,
                remaining=self.remaining,
                **common,
            )
        return TargetState(
            state=_RUNNING,
            due_at=self._due_from(self.running_since),
            remaining=self.remaining,
            **common,
        )


def compute_sla(
    policy: SlaPolicy | None,
    calendar: BusinessCalendar | None,
    events: Iterable[TicketEvent],
    now: datetime,
    recorded: Iterable[BreachRecord] = (),
) -> SlaState:
    """Replay ``events`` (in time order; ties keep their given order) up to ``now``.

    ``calendar`` is the policy's calendar (see ``resolve_calendar``); it may be None only when
    every target is in calendar time. Events after ``now`` are ignored. A history without a
    ``created`` event starts at its first event. ``policy`` None gives every target
    ``not_applicable``, which is what a ticket no policy matches stores.

    ``recorded``: the breaches the ticket's history already holds (under any policy). They come
    back in ``SlaState.records``, met once the history meets them; while one is unmet and the
    ticket is neither paused nor closed, its target shows as breached at that due time.
    """
    require_aware(now, "now")
    now = now.astimezone(UTC)
    recorded = tuple(recorded)
    if policy is None and not recorded:
        empty = tuple(TargetState(kind=k, state=_NOT_APPLICABLE) for k in _KINDS)
        return SlaState(policy=None, targets=empty, computed_at=now)
    if policy is not None and calendar is None and any(t.business_hours for t in policy.targets):
        raise ValueError(f"calendar: policy {policy.name!r} has business-hours targets")

    found: list[tuple[Breach, datetime]] = []
    clocks = {t.kind: _TargetClock(t, calendar, found) for t in policy.targets} if policy else {}
    pause_statuses = policy.pause_statuses if policy else DEFAULT_PAUSE_STATUSES
    first = clocks.get(_FIRST_RESPONSE)
    following = clocks.get(_NEXT_RESPONSE)
    resolution = clocks.get(_RESOLUTION)
    response_clocks = [clock for clock in (first, following) if clock is not None]

    status: Status | None = None
    paused = closed = False
    awaiting_reply = False
    pauses: list[tuple[datetime, datetime | None]] = []
    # What meets a target whatever the policy: a reply meets the response targets, closing
    # the ticket its resolution. Recorded breaches are met by the first of these after them.
    replies: list[datetime] = []
    closings: list[datetime] = []

    def apply_status(at: datetime, new_status: Status) -> None:
        nonlocal status, paused, closed
        if new_status == status:
            return
        was_closed = closed
        status = new_status
        now_paused = new_status in pause_statuses
        closed = new_status in CLOSING_STATUSES
        if now_paused and not paused:
            pauses.append((at, None))
        elif paused and not now_paused:
            pauses[-1] = (pauses[-1][0], at)
        paused = now_paused
        if closed and not was_closed:
            closings.append(at)
        if resolution is not None:
            if closed and not was_closed:
                resolution.meet(at)
            elif was_closed and not closed:
                resolution.reopen(at)
            resolution.set_halted(at, paused)
        for clock in response_clocks:
            clock.set_halted(at, paused or closed)

    # Aware datetimes compare as instants whatever their zones; sorted() keeps ties in order.
    ordered = sorted((event for event in events if event.at <= now), key=attrgetter("at"))
    for event in ordered:
        at = event.at.astimezone(UTC)
        if status is None:
            initial = event.status if event.kind is _CREATED else None
            for clock in (first, resolution):
                if clock is not None:
                    clock.start(at)
            apply_status(at, initial or Status.NEW)
            awaiting_reply = True
            if event.kind is _CREATED:
                continue
        if event.kind is _CUSTOMER_MESSAGE:
            if not awaiting_reply:
                awaiting_reply = True
                if following is not None:
                    following.start(at)
        elif event.kind is _AGENT_REPLY:
            awaiting_reply = False
            replies.append(at)
            for clock in response_clocks:
                clock.meet(at)
        elif event.kind is _STATUS_CHANGE:
            assert event.status is not None
            apply_status(at, event.status)

    states = []
    for kind in _KINDS:
        clock = clocks.get(kind)
        if clock is None:
            states.append(TargetState(kind=kind, state=_NOT_APPLICABLE))
        elif kind is _RESOLUTION:
            states.append(clock.state(now, paused, closed=False))
        else:
            states.append(clock.state(now, paused, closed))
    found.sort(key=lambda pair: pair[0].at)
    breaches = tuple(breach for breach, _started in found)
    records: tuple[BreachRecord, ...] = ()
    if found or recorded:
        records = _records(recorded, found, policy, replies, closings)
        if not (paused or closed):
            states = _with_open_breaches(states, records)
    return SlaState(
        policy=policy.name if policy else None,
        targets=tuple(states),
        breaches=breaches,
        paused_intervals=tuple(pauses),
        computed_at=now,
        records=records,
    )


def _records(
    recorded: tuple[BreachRecord, ...],
    found: list[tuple[Breach, datetime]],
    policy: SlaPolicy | None,
    replies: list[datetime],
    closings: list[datetime],
) -> tuple[BreachRecord, ...]:
    """The recorded breaches, then this replay's new ones (one per kind and due time), each
    with the time its target was met if it has been: the first reply (or closing, for the
    resolution) at or after the due time. A breach means nothing met the target before it."""

    def met(kind: TargetKind, due: datetime) -> datetime | None:
        meetings = closings if kind is _RESOLUTION else replies
        return next((at for at in meetings if at >= due), None)

    records = [
        record
        if record.met_at is not None
        else record._replace(met_at=met(record.kind, record.due_at))
        for record in recorded
    ]
    if policy is not None and found:
        seen = {(record.kind, record.due_at) for record in recorded}
        for breach, started in found:
            if breach not in seen:  # a Breach is its (kind, due time)
                seen.add(breach)
                records.append(
                    BreachRecord(breach.kind, started, breach.at, policy.name, met(*breach))
                )
    return tuple(records)


def _with_open_breaches(
    states: list[TargetState], records: tuple[BreachRecord, ...]
) -> list[TargetState]:
    """Each target with an unmet recorded breach, shown breached at the earliest such due time
    (or its own, if earlier). The current policy may give a later due time, or no such target
    at all: the customer has waited past a promise all the same."""
    earliest_open: dict[TargetKind, BreachRecord] = {}
    for record in records:
        if record.met_at is None:
            known = earliest_open.get(record.kind)
            if known is None or record.due_at < known.due_at:
                earliest_open[record.kind] = record
    if not earliest_open:
        return states
    result = []
    for state in states:
        earliest = earliest_open.get(state.kind)
        if earliest is None:
            result.append(state)
            continue
        if state.state is _RUNNING or state.state is _BREACHED:
            assert state.due_at is not None
            due = min(state.due_at, earliest.due_at)
            breached = min(state.breached_at or due, due)
            result.append(state._replace(state=_BREACHED, due_at=due, breached_at=breached))
        elif state.state is _NOT_APPLICABLE:
            result.append(
                TargetState(
                    kind=state.kind,
                    state=_BREACHED,
                    started_at=earliest.started_at,
                    due_at=earliest.due_at,
                    breached_at=earliest.due_at,
                )
            )
        else:  # met (then so is the record) or paused: nothing runs late now
            result.append(state)
    return result


# -- phrases for templates --------------------------------------------------------------------

Language = Literal["en", "ja", "ru"]


def _language(language: str) -> str:
    if language not in ("en", "ja", "ru"):
        raise ValueError(f"language: expected en, ja or ru, got {language!r}")
    return language


def describe_due(due_at: datetime, tz: tzinfo | str, language: Language, now: datetime) -> str:
    """When a reply is due, as the customer reads it in their own time zone.

    "by 10:00 today", "by 10:00 tomorrow", "by 10:00 on Monday" (within the coming week),
    "by 10:00 on 12 March" (later; the year is added when it differs), and "as soon as possible"
    when the time has already come. Japanese and Russian read the same way.
    """
    require_aware(due_at, "due_at")
    require_aware(now, "now")
    lang = _language(language)
    zone = _tz(tz)
    local_due = due_at.astimezone(zone)
    if due_at <= now:
        return {"en": "as soon as possible", "ja": "できるだけ早く", "ru": "как можно скорее"}[lang]
    clock = local_due.strftime("%H:%M")
    days_ahead = (local_due.date() - now.astimezone(zone).date()).days
    day = local_due.date()
    if lang == "en":
        if days_ahead == 0:
            return f"by {clock} today"
        if days_ahead == 1:
            return f"by {clock} tomorrow"
        if days_ahead < 7:
            return f"by {clock} on {WEEKDAYS['en'][day.weekday()]}"
        return f"by {clock} on {_date_text_en(day, now.astimezone(zone).year)}"
    if lang == "ja":
        if days_ahead == 0:
            return f"本日{clock}までに"
        if days_ahead == 1:
            return f"明日{clock}までに"
        if days_ahead < 7:
            return f"{WEEKDAYS['ja'][day.weekday()]}{clock}までに"
        year = f"{day.year}年" if day.year != now.astimezone(zone).year else ""
        weekday = SHORT_WEEKDAYS_JA[day.weekday()]
        return f"{year}{day.month}月{day.day}日({weekday}){clock}までに"
    if days_ahead == 0:
        return f"сегодня до {clock}"
    if days_ahead == 1:
        return f"завтра до {clock}"
    if days_ahead < 7:
        return f"{WEEKDAYS['ru'][day.weekday()]} до {clock}"
    year = f" {day.year} г." if day.year != now.astimezone(zone).year else ""
    return f"{day.day} {MONTHS['ru'][day.month - 1]}{year} до {clock}"


def describe_target(target: Target, language: Language) -> str:
    """The promise a target makes: "within 2 business hours", "within 30 minutes", "within 3
    days"; in Japanese and Russian alike."""
    lang = _language(language)
    minutes = target.minutes
    business = target.business_hours
    if minutes % (24 * 60) == 0 and not business:
        count, unit = minutes // (24 * 60), "day"
    elif minutes % 60 == 0:
        count, unit = minutes // 60, "hour"
    else:
        count, unit = minutes, "minute"
    if lang == "en":
        words = f"{'business ' if business else ''}{unit}{'' if count == 1 else 's'}"
        return f"within {count} {words}"
    if lang == "ja":
        if business and unit == "hour":
            return f"{count}営業時間以内に"
        suffix = {"day": "日", "hour": "時間", "minute": "分"}[unit]
        return f"{'営業時間内の' if business else ''}{count}{suffix}以内に"
    singular = count % 10 == 1 and count % 100 != 11
    nouns = {
        "day": ("дня", "дней"),
        "hour": ("часа", "часов"),
        "minute": ("минуты", "минут"),
    }[unit]
    noun = nouns[0] if singular else nouns[1]
    adjective = ("рабочего " if singular else "рабочих ") if business else ""
    return f"в течение {count} {adjective}{noun}"


def _date_text_en(day: date, this_year: int) -> str:
    text = f"{day.day} {MONTHS['en'][day.month - 1]}"
    return text if day.year == this_year else f"{text} {day.year}"


def _tz(value: tzinfo | str) -> tzinfo:
    if isinstance(value, tzinfo):
        return value
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"tz: unknown time zone {value!r}") from None


# -- helpers ----------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _only_known(data: Mapping[str, Any], known: set[str], where: str) -> None:
    for key in data:
        if key not in known:
            raise InvalidConfig(f"{where}.{key}", "unknown field")


def _names(values: Iterable[str], where: str) -> frozenset[str]:
    if isinstance(values, str):
        raise InvalidConfig(where, "expected a list of names, got one string")
    found: set[str] = set()
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise InvalidConfig(where, f"expected names, got {value!r}")
        found.add(value.strip())
    return frozenset(found)


def _enum(kind: type[E], value: Any, where: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidConfig(where, f"unknown value {value!r}; expected one of {allowed}") from None


def _enums(kind: type[E], values: Iterable[Any], where: str) -> frozenset[E]:
    if isinstance(values, str):
        raise InvalidConfig(where, "expected a list, got one string")
    return frozenset(_enum(kind, value, where) for value in values)
