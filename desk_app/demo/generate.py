"""Realistic demo data: a support team, and a stream of tickets in English, Japanese and Russian.

demo_tickets() is deterministic for a seed and lazy, and fast enough to seed 100,000 tickets for
the benchmarks: all phrase tables are built once, every random choice comes from one
random.Random, and a ticket costs a few dozen table look-ups and string formats.

Tickets come out oldest first, so the store's ticket numbers grow with their creation times.
Each ticket's age is set by its position; its status is drawn from what is likely at that age
(recent tickets are mostly new or open, old ones solved or closed).
"""

from __future__ import annotations

import re
from bisect import bisect
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import pairwise
from math import exp, log
from operator import attrgetter
from random import Random

from desk_app.core.enums import Channel, DeliveryState, Direction, Priority, Role, Status
from desk_app.demo import content as C
from desk_app.demo.pacing import Timing, TimingRequest
from desk_app.store.seeds import SeedAgent, SeedCustomer, SeedEvent, SeedMessage, SeedTicket

DEMO_COMPANY = "Northwind"
DEMO_DOMAIN = "northwind.example"
DEPARTMENTS: tuple[str, ...] = ("Support", "Billing", "Technical")

# One row per agent: display name, e-mail local part, role, departments, time zone,
# language, gender (for Russian verb forms), and the name they sign with.
_TEAM: tuple[tuple[str, str, Role, tuple[str, ...], str, str, str, str], ...] = (
    (
        "Emma Clarke",
        "emma.clarke",
        Role.LEAD,
        ("Support", "Billing"),
        "Europe/London",
        "en",
        "f",
        "Emma",
    ),
    (
        "James Whitaker",
        "james.whitaker",
        Role.AGENT,
        ("Support", "Technical"),
        "America/New_York",
        "en",
        "m",
        "James",
    ),
    (
        "Olivia Bennett",
        "olivia.bennett",
        Role.AGENT,
        ("Billing",),
        "America/New_York",
        "en",
        "f",
        "Olivia",
    ),
    (
        "Daniel Hughes",
        "daniel.hughes",
        Role.ADMIN,
        ("Technical", "Support"),
        "Europe/London",
        "en",
        "m",
        "Daniel",
    ),
    (
        "田中 美咲",
        "misaki.tanaka",
        Role.LEAD,
        ("Support", "Technical"),
        "Asia/Tokyo",
        "ja",
        "f",
        "田中",
    ),
    ("佐々木 健", "ken.sasaki", Role.AGENT, ("Technical",), "Asia/Tokyo", "ja", "m", "佐々木"),
    (
        "小林 由美",
        "yumi.kobayashi",
        Role.AGENT,
        ("Billing", "Support"),
        "Asia/Tokyo",
        "ja",
        "f",
        "小林",
    ),
    ("中村 翔", "sho.nakamura", Role.AGENT, ("Support",), "Asia/Tokyo", "ja", "m", "中村"),
    (
        "Анна Кузнецова",
        "anna.kuznetsova",
        Role.LEAD,
        ("Technical", "Billing"),
        "Europe/Moscow",
        "ru",
        "f",
        "Анна",
    ),
    (
        "Дмитрий Соколов",
        "dmitry.sokolov",
        Role.AGENT,
        ("Technical",),
        "Europe/Moscow",
        "ru",
        "m",
        "Дмитрий",
    ),
    (
        "Екатерина Волкова",
        "ekaterina.volkova",
        Role.AGENT,
        ("Billing", "Support"),
        "Europe/Moscow",
        "ru",
        "f",
        "Екатерина",
    ),
    (
        "Алексей Морозов",
        "alexey.morozov",
        Role.AGENT,
        ("Support", "Technical"),
        "Europe/Moscow",
        "ru",
        "m",
        "Алексей",
    ),
)


def demo_agents() -> list[SeedAgent]:
    """The demo team: 12 agents in three departments and four time zones. The first one is the
    agent the demo signs in as (a lead in Support and Billing)."""
    return [
        SeedAgent(
            display_name=name,
            email=f"{local}@{DEMO_DOMAIN}",
            role=role,
            departments=departments,
            time_zone=zone,
        )
        for name, local, role, departments, zone, _lang, _gender, _sign in _TEAM
    ]


# --- tables, built once ----------------------------------------------------------------------

_GENDERED = re.compile(r"\[([^|\]]*)\|([^\]]*)\]")
_LANGS = ("en", "ja", "ru")
_SEP = {"en": " ", "ja": "", "ru": " "}  # between sentences


def _gendered(texts: tuple[str, ...], gender: str) -> tuple[str, ...]:
    group = 1 if gender == "m" else 2
    return tuple(_GENDERED.sub(lambda m: m.group(group), text) for text in texts)


class _Agent:
    __slots__ = (
        "depts",
        "email",
        "first",
        "gender",
        "is_lead",
        "lang",
        "latin_first",
        "latin_name",
        "name",
    )

    def __init__(self, row: tuple[str, str, Role, tuple[str, ...], str, str, str, str]) -> None:
        name, local, role, depts, _zone, lang, gender, first = row
        self.name = name
        # How they sign when writing in a language other than their own: "Anna Kuznetsova".
        given, _, family = local.partition(".")
        self.latin_first = given.capitalize()
        self.latin_name = f"{given.capitalize()} {family.capitalize()}"
        self.email = f"{local}@{DEMO_DOMAIN}"
        self.is_lead = role is not Role.AGENT
        self.depts = depts
        self.lang = lang
        self.gender = gender
        self.first = first


class _Tables:
    """Everything the generator looks up, prepared for speed."""

    def __init__(self) -> None:
        # texts[lang][gender][part] for generic parts and notes; topic[topic][lang][gender][part]
        self.texts: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {}
        for lang in _LANGS:
            self.texts[lang] = {}
            for gender in "mf":
                parts = {k: _gendered(v, gender) for k, v in C.GENERIC[lang].items()}
                for topic, notes in C.NOTES[lang].items():
                    parts["note:" + topic] = _gendered(notes, gender)
                # Whole-message frames around a "{core}", so a message is one pick and one format.
                parts["frame:customer"] = tuple(
                    f"{greet}\n\n{{core}}\n\n{close}\n{sign}"
                    for greet in parts["c_greet"]
                    for close in parts["c_close"]
                    for sign in parts["c_sign"]
                )
                parts["frame:signed"] = tuple(f"{{core}}\n\n{sign}" for sign in parts["c_sign"])
                parts["frame:agent"] = tuple(
                    f"{greet}\n\n{{core}}\n\n{close}\n\n{sign}"
                    for greet in parts["a_greet"]
                    for close in parts["a_close"]
                    for sign in parts["a_sign"]
                )
                parts["frame:agent_next"] = tuple(
                    f"{greet}\n\n{{core}}\n\n{close}\n\n{sign}"
                    for greet in parts["a_greet_next"]
                    for close in parts["a_close"]
                    for sign in parts["a_sign"]
                )
                self.texts[lang][gender] = parts
        self.topic: dict[str, dict[str, dict[str, dict[str, tuple[str, ...]]]]] = {
            topic: {
                lang: {
                    gender: {k: _gendered(v, gender) for k, v in by_lang[lang].items()}
                    for gender in "mf"
                }
                for lang in _LANGS
            }
            for topic, by_lang in C.TOPICS.items()
        }
        self.topics = tuple(C.TOPIC_WEIGHTS)
        self.topic_cum = _cumulative([C.TOPIC_WEIGHTS[t] for t in self.topics])
        self.priorities = (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT)
        self.priority_cum = {t: _cumulative(list(C.TOPIC_PRIORITY[t])) for t in self.topics}
        self.agents = tuple(_Agent(row) for row in _TEAM)
        self.members = {d: tuple(a for a in self.agents if d in a.depts) for d in DEPARTMENTS}
        self.members_by_lang = {
            (d, lang): tuple(a for a in self.members[d] if a.lang == lang)
            for d in DEPARTMENTS
            for lang in _LANGS
        }
        self.leads = {d: tuple(a for a in self.members[d] if a.is_lead) for d in DEPARTMENTS}
        self.by_email = {a.email: a for a in self.agents}
        self.other_depts = {d: tuple(o for o in DEPARTMENTS if o != d) for d in DEPARTMENTS}


def _cumulative(weights: list[int]) -> tuple[float, ...]:
    total = float(sum(weights))
    running = 0.0
    out = []
    for weight in weights:
        running += weight
        out.append(running / total)
    return tuple(out)


@cache
def _tables() -> _Tables:
    return _Tables()


# Status by youth (0 = newest ticket, 1 = oldest): bucket upper bounds and weights for
# new, open, pending, on_hold, solved, closed.
_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED)
_YOUTH_BUCKETS = (0.10, 0.30, 0.55, 0.75, 1.01)
_STATUS_CUM = tuple(
    _cumulative(w)
    for w in (
        [60, 30, 10, 0, 0, 0],
        [15, 50, 25, 5, 5, 0],
        [4, 48, 24, 8, 16, 0],
        [0, 20, 12, 8, 50, 10],
        [0, 4, 4, 4, 40, 48],
    )
)
# Age (seconds) at youth knots, interpolated geometrically: minutes to six months.
_AGE_KNOTS = ((0.0, 120.0), (0.10, 86_400.0), (0.30, 7 * 86_400.0), (0.55, 28 * 86_400.0),
              (0.75, 60 * 86_400.0), (1.0, 182 * 86_400.0))  # fmt: skip
# Messages in a thread (count -> cumulative probability) by status.
_N_OPEN = (1, 2, 3, 4, 5, 6, 7, 8), _cumulative([14, 30, 22, 13, 9, 6, 3, 3])
_N_OTHER = (2, 3, 4, 5, 6, 7, 8), _cumulative([36, 26, 16, 10, 6, 3, 3])
_CHANNELS = (Channel.EMAIL, Channel.WEB, Channel.CHAT, Channel.PHONE)
_CHANNEL_CUM = _cumulative([50, 20, 16, 14])
_CLOSE_AFTER = 4 * 86_400
# With `timing` (the demo's normal day), the share of unsolved urgent tickets made high.
_PACED_URGENT_EASED = 0.85

_IN, _OUT, _NOTE = Direction.INBOUND, Direction.OUTBOUND, Direction.NOTE


# (upper youth, youth at start, log age at start, log age per unit of youth) per segment
_AGE_SEGMENTS = tuple(
    (y1, y0, log(a0), (log(a1) - log(a0)) / (y1 - y0))
    for (y0, a0), (y1, a1) in pairwise(_AGE_KNOTS)
)


def _age_at(youth: float) -> int:
    for upper, start, log_age, slope in _AGE_SEGMENTS:
        if youth <= upper:
            return int(exp(log_age + slope * (youth - start)))
    return int(_AGE_KNOTS[-1][1])


# --- customers ---------------------------------------------------------------------------------


class _Customer:
    __slots__ = ("currency", "first", "gender", "lang", "local", "seed")

    def __init__(
        self, seed: SeedCustomer, lang: str, gender: str, first: str, local: str, currency: str
    ) -> None:
        self.seed = seed
        self.lang = lang
        self.gender = gender
        self.first = first
        self.local = local
        self.currency = currency


_CUSTOMER_NOTES = (
    "Prefers e-mail over phone.",
    "Key account – reply within one business day.",
    "Had a shipping problem last year; handle with care.",
    "Beta tester for the mobile app.",
    "Reseller; orders on behalf of several end customers.",
)


class _CustomerMaker:
    def __init__(self, rng: Random) -> None:
        self.rng = rng
        self.emails: set[str] = set()
        self.phones: set[str] = set()

    def make(self) -> _Customer:
        r = self.rng.random
        roll = r()
        if roll < 0.5:
            region = "us" if r() < 0.6 else "uk"
            lang = "en"
            given, gender = C.EN_GIVEN[int(r() * len(C.EN_GIVEN))]
            family = C.EN_FAMILY[int(r() * len(C.EN_FAMILY))]
            name, first = f"{given} {family}", given
            g, f = given.lower(), family.lower().replace("'", "")
            currency = "usd" if region == "us" else "gbp"
        elif roll < 0.75:
            region = lang = "ja"
            kanji_f, f = C.JA_FAMILY[int(r() * len(C.JA_FAMILY))]
            kanji_g, g, gender = C.JA_GIVEN[int(r() * len(C.JA_GIVEN))]
            name, first = f"{kanji_f} {kanji_g}", kanji_f
            currency = "jpy"
        else:
            region = lang = "ru"
            given, g, gender = C.RU_GIVEN[int(r() * len(C.RU_GIVEN))]
            fam_m, fam_f, lat_m, lat_f = C.RU_FAMILY[int(r() * len(C.RU_FAMILY))]
            family, f = (fam_m, lat_m) if gender == "m" else (fam_f, lat_f)
            name, first = f"{given} {family}", given
            currency = "rub"
        organisation, domain = "", ""
        if r() < 0.25:
            organisation, domain = C.ORGANISATIONS[region][int(r() * len(C.ORGANISATIONS[region]))]
            if r() < 0.3:
                domain = ""
        if not domain:
            domains = C.EMAIL_DOMAINS[region]
            domain = domains[int(r() * len(domains))]
        pattern = int(r() * 5)
        local = (f"{g}.{f}", f"{f}.{g}", f"{g[0]}.{f}", f"{g}{f}", f"{g}_{f}")[pattern]
        email = f"{local}@{domain}"
        suffix = 1
        while email in self.emails:
            suffix += 1
            email = f"{local}{suffix}@{domain}"
        self.emails.add(email)
        phone = None
        if r() < 0.45:
            phone = self._phone(region)
        notes = _CUSTOMER_NOTES[int(r() * len(_CUSTOMER_NOTES))] if r() < 0.08 else ""
        seed = SeedCustomer(
            name=name, email=email, phone=phone, organisation=organisation, notes=notes
        )
        return _Customer(seed, lang, gender, first, local, currency)

    def _phone(self, region: str) -> str:
        r = self.rng.random
        while True:
            if region == "us":
                area = (212, 312, 415, 617, 206, 512, 303, 404, 646, 718)[int(r() * 10)]
                number = f"+1{area}{int(r() * 8_000_000) + 2_000_000}"
            elif region == "uk":
                number = f"+447{int(r() * 900_000_000) + 100_000_000}"
            elif region == "ja":
                number = f"+81{(90, 80, 70)[int(r() * 3)]}{int(r() * 90_000_000) + 10_000_000}"
            else:
                number = f"+79{int(r() * 900_000_000) + 100_000_000}"
            if number not in self.phones:
                self.phones.add(number)
                return number


# --- placeholder values ----------------------------------------------------------------------


class _Vars(dict[str, str]):
    """Placeholder values for one ticket, made on first use (so a ticket pays only for the
    placeholders its texts contain, and repeats of a placeholder agree within the ticket)."""

    __slots__ = ("created", "currency", "lang", "local", "rng")
    created: datetime
    currency: str
    lang: str
    local: str
    rng: Callable[[], float]

    def __missing__(self, key: str) -> str:
        value = _MAKERS[key](self)
        self[key] = value
        return value


def _pick(values: tuple[str, ...]) -> Callable[[_Vars], str]:
    n = len(values)
    return lambda v: values[int(v.rng() * n)]


def _date(v: _Vars) -> str:
    day = v.created - timedelta(days=1 + int(v.rng() * 20))
    if v.lang == "ja":
        return f"{day.month}月{day.day}日"
    if v.lang == "ru":
        return f"{day.day} {C.MONTHS['ru'][day.month - 1]}"
    return f"{C.MONTHS['en'][day.month - 1]} {day.day}"


def _tracking(v: _Vars) -> str:
    r = v.rng
    if v.lang == "ja":
        return f"{int(r() * 9e11) + 100_000_000_000}"
    if v.lang == "ru":
        return f"RA{int(r() * 9e8) + 100_000_000}RU"
    return f"1Z{int(r() * 2**60):015X}"


def _amount(v: _Vars) -> str:
    values = C.AMOUNTS[v.currency]
    return values[int(v.rng() * len(values))]


def _carrier(v: _Vars) -> str:
    values = C.CARRIERS[v.lang]
    return values[int(v.rng() * len(values))]


def _newmail(v: _Vars) -> str:
    domains = C.EMAIL_DOMAINS["ja" if v.lang == "ja" else "ru" if v.lang == "ru" else "us"]
    return f"{v.local}@{domains[int(v.rng() * len(domains))]}"


_MAKERS: dict[str, Callable[[_Vars], str]] = {
    "order": lambda v: f"NW-{int(v.rng() * 9_000_000) + 1_000_000}",
    "amount": _amount,
    "date": _date,
    "invoice": lambda v: f"INV-{v.created.year}-{int(v.rng() * 90_000) + 10_000}",
    "last4": lambda v: f"{int(v.rng() * 10_000):04d}",
    "product": _pick(C.PRODUCTS),
    "plan": _pick(C.PLANS),
    "endpoint": _pick(C.ENDPOINTS),
    "code": _pick(C.HTTP_CODES),
    "version": _pick(C.VERSIONS),
    "device": _pick(C.DEVICES),
    "carrier": _carrier,
    "tracking": _tracking,
    "reqid": lambda v: f"req_{int(v.rng() * 2**64):016x}",
    "bugid": lambda v: f"BUG-{int(v.rng() * 9000) + 1000}",
    "refno": lambda v: f"RF-{int(v.rng() * 90_000_000) + 10_000_000}",
    "newmail": _newmail,
    "newtracking": _tracking,
}


def _quote_header_date(at: datetime, lang: str) -> str:
    if lang == "ja":
        return f"{at.year}年{at.month}月{at.day}日 {at.hour:02d}:{at.minute:02d}"
    if lang == "ru":
        return (
            f"{at.day} {C.MONTHS['ru'][at.month - 1]} {at.year} г., {at.hour:02d}:{at.minute:02d}"
        )
    return f"{at.day} {C.MONTHS['en'][at.month - 1][:3]} {at.year} at {at.hour:02d}:{at.minute:02d}"


def _quoted(body: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in body.split("\n"))


# --- tickets -----------------------------------------------------------------------------------


def demo_tickets(
    count: int,
    now: datetime,
    seed: int = 7,
    *,
    timing: Callable[[TimingRequest], Timing | None] | None = None,
) -> Iterator[SeedTicket]:
    """Yield `count` tickets, oldest first, all times UTC and not after `now`.

    `timing` (see demo.pacing) places each unsolved ticket's creation and messages instead of
    its position in the stream; those tickets then come out of creation order."""
    if count <= 0:
        return
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    now = now.replace(microsecond=0)
    T = _tables()
    rng = Random(seed)
    r = rng.random
    maker = _CustomerMaker(rng)
    pool_size = max(20, count // 3)
    regulars = max(5, pool_size // 10)
    pool: list[_Customer | None] = [None] * pool_size
    topics, topic_cum = T.topics, T.topic_cum
    priorities, priority_cum = T.priorities, T.priority_cum
    texts, topic_texts = T.texts, T.topic
    topic_department, paired = C.TOPIC_DEPARTMENT, C.PAIRED_TOPICS
    members, members_by_lang, leads = T.members, T.members_by_lang, T.leads
    failed_done = False
    at_key = attrgetter("at")
    one = _one
    msgid = _msgid
    second = timedelta(seconds=1)
    Message, Event = SeedMessage, SeedEvent
    IN, OUT, NOTE = _IN, _OUT, _NOTE
    NEW, OPEN, PENDING, ON_HOLD, SOLVED, CLOSED = _STATUSES
    HIGH, URGENT, NORMAL = Priority.HIGH, Priority.URGENT, Priority.NORMAL
    EMAIL, CHAT, WEB, PHONE = Channel.EMAIL, Channel.CHAT, Channel.WEB, Channel.PHONE
    SENT, QUEUED, FAILED = DeliveryState.SENT, DeliveryState.QUEUED, DeliveryState.FAILED
    v_new, v_open, v_solved, v_closed = NEW.value, OPEN.value, SOLVED.value, CLOSED.value
    n_open_values, n_open_cum = _N_OPEN
    n_other_values, n_other_cum = _N_OTHER

    def agent_in(dept: str, lang: str) -> _Agent:
        same = members_by_lang[(dept, lang)]
        if same and r() < 0.8:
            return same[int(r() * len(same))]
        team = members[dept]
        return team[int(r() * len(team))]

    def colleague(dept: str, not_this: _Agent) -> _Agent:
        others = [a for a in members[dept] if a is not not_this]
        return others[int(r() * len(others))]

    def lead_of(dept: str) -> _Agent:
        team = leads[dept]
        return team[int(r() * len(team))]

    for index in range(count):
        # --- who, what, when ----------------------------------------------------------------
        youth = (count - 1 - index + r()) / count
        age = _age_at(youth)
        status = _STATUSES[bisect(_STATUS_CUM[bisect(_YOUTH_BUCKETS, youth)], r())]
        slot = int(r() * regulars) if r() < 0.2 else int(r() * pool_size)
        customer = pool[slot]
        if customer is None:
            customer = pool[slot] = maker.make()
        cseed = customer.seed
        lang = customer.lang
        topic = topics[bisect(topic_cum, r())]
        priority = priorities[bisect(priority_cum[topic], r())]
        channel = _CHANNELS[bisect(_CHANNEL_CUM, r())]
        if channel is PHONE and cseed.phone is None:
            channel = EMAIL
        email = channel is EMAIL
        chat = channel is CHAT
        finished = status is SOLVED or status is CLOSED
        if timing is not None and priority is URGENT and not finished and r() < _PACED_URGENT_EASED:
            # On a normal day urgent tickets are solved within hours: few are open at once.
            priority = HIGH
        department: str = topic_department[topic]
        assignee: _Agent | None = None
        if status is NEW:
            roll = r()
            if roll < 0.35:
                department = ""  # not triaged yet (loaded as no department)
            elif roll < 0.45:
                assignee = agent_in(department, lang)
        elif status is not OPEN or r() < 0.93:
            assignee = agent_in(department, lang)

        # --- the shape of the thread --------------------------------------------------------
        if status is NEW:
            n = 1
        elif status is OPEN:
            n = n_open_values[bisect(n_open_cum, r())]
        else:
            n = n_other_values[bisect(n_other_cum, r())]
        roles = [IN]
        public_last = IN
        while len(roles) < n:
            if public_last is IN:
                if r() < 0.22 and len(roles) < n - 1:
                    roles.append(NOTE)
                roles.append(OUT)
                public_last = OUT
            else:
                roles.append(IN)
                public_last = IN
        if status is PENDING and roles[-1] is IN:
            if len(roles) >= 3:
                roles.pop()
            else:
                roles.append(OUT)
        elif status is ON_HOLD and roles[-1] is not NOTE and r() < 0.7:
            roles.append(NOTE)
        elif status is OPEN and roles[-1] is IN and len(roles) > 1 and r() < 0.15:
            roles.append(IN)  # the customer writes again before anybody answered
        n = len(roles)
        last_public = n - 1
        while roles[last_public] is NOTE:
            last_public -= 1

        # --- times, in seconds after creation ------------------------------------------------
        paced = None
        if timing is not None and not finished:
            paced = timing(TimingRequest(status, priority, department or None, channel, roles, r))
        if paced is not None:
            age, offs, span = paced.age, list(paced.offsets), paced.offsets[-1]
        elif status is NEW:
            span = 0
        elif finished:
            span = int(min(exp(6.4 + r() * 6.6), age * 0.8))  # ~10 minutes to ~12 days
        else:  # still being worked on: a thread of hours to a few weeks, from the start
            span = int(min(age * (0.15 + 0.85 * r()), exp(8.2 + r() * 6.4)))
        if paced is None:
            span = min(span, age - n - 1)
            offs = [0]
        if paced is None and n > 1:
            offs += sorted([int(span * r()) for _ in range(n - 2)])
            offs.append(span)
            for k in range(1, n):
                if offs[k] <= offs[k - 1]:
                    offs[k] = offs[k - 1] + 1
        solved_off = 0
        if finished:
            solved_off = offs[-1] + min(int(120 + r() * 5280), max(1, (age - offs[-1]) // 2))
        created_at = now - second * age
        solved_at = created_at + second * solved_off if finished else None

        # --- the words ----------------------------------------------------------------------
        v = _Vars()
        v.rng = r
        v.lang = lang
        v.created = created_at
        v.currency = customer.currency
        v.local = customer.local
        v["company"] = DEMO_COMPANY
        v["cname"] = cseed.name
        v["cfirst"] = customer.first
        sep = _SEP[lang]
        ct = texts[lang][customer.gender]
        tt = topic_texts[topic][lang][customer.gender]
        subjects = tt["subject"]
        s_index = int(r() * len(subjects))
        subject = subjects[s_index].format_map(v)
        re_subject = "Re: " + subject if email else ""
        cmail = cseed.email

        prev_assignee: _Agent | None = None
        handover_at = n
        if assignee is not None and n >= 3 and r() < 0.1:
            prev_assignee = colleague(department, assignee)
            handover_at = 1 + int(r() * (n - 1))

        messages: list[SeedMessage] = []
        ats: list[datetime] = []
        last_out_body = last_out_name = ""
        last_out_at: datetime | None = None
        first_agent_k = last_agent_k = -1
        first_author: _Agent | None = None
        start = int(r() * 12)
        asked = -1  # which question the agent asked last (the customer answers that one)
        answered_reply = False
        walked: dict[str, int] = {}
        for k in range(n):
            role = roles[k]
            at = created_at + second * offs[k]
            ats.append(at)
            if role is IN:
                if k == 0:
                    if channel is PHONE:
                        body = one(ct["phone"], r) + "\n" + one(tt["phone"], r).format_map(v)
                    else:
                        problems = tt["problem"]
                        if topic in paired:
                            text = problems[s_index % len(problems)].format_map(v)
                        else:
                            text = one(problems, r).format_map(v)
                        if r() < 0.75:
                            text += sep + one(tt["detail"], r).format_map(v)
                        text += sep + one(tt["ask"], r).format_map(v)
                        if chat:
                            body = text
                        else:
                            v["core"] = text
                            frames = ct["frame:signed" if channel is WEB else "frame:customer"]
                            body = one(frames, r).format_map(v)
                    messages.append(
                        Message(IN, body, at, None, subject, msgid(r, cmail) if email else None)
                    )
                    continue
                if roles[k - 1] is IN:
                    text = one(ct["c_nudge"], r)
                elif k == last_public and finished:
                    text = one(ct["c_thanks"], r)
                else:
                    # Follow-ups are written so that the i-th answers the i-th question and the
                    # last one reacts to an answer ("still not working").
                    followups = tt["followup"]
                    if 0 <= asked < len(followups) - 1:
                        text = followups[asked].format_map(v)
                    elif not answered_reply:
                        text = followups[-1].format_map(v)
                        answered_reply = True
                    else:
                        text = one(ct["c_nudge"], r)
                if chat:
                    body = text
                else:
                    v["core"] = text
                    body = one(ct["frame:signed"], r).format_map(v)
                    if email and last_out_at is not None and r() < 0.4:
                        v["qdate"] = _quote_header_date(last_out_at, lang)
                        v["qname"] = last_out_name
                        body += (
                            "\n\n" + ct["quote"][0].format_map(v) + "\n" + _quoted(last_out_body)
                        )
                messages.append(
                    Message(IN, body, at, None, re_subject, msgid(r, cmail) if email else None)
                )
                continue

            # an agent writes: the assignee (or the one before a handover), now and then a
            # colleague from the same department
            if first_agent_k < 0:
                first_agent_k = k
            last_agent_k = k
            author = prev_assignee if (prev_assignee and k < handover_at) else assignee
            if author is None:
                author = agent_in(department, lang)
            elif r() < 0.08:
                author = colleague(department, author)
            if first_author is None:
                first_author = author
            if role is NOTE:
                note_lang = author.lang if author.lang != "en" and r() < 0.4 else "en"
                notes = texts[note_lang][author.gender]
                if status is ON_HOLD and k == n - 1:
                    kind = "note:_hold"
                elif r() < 0.75:
                    kind = "note:" + topic
                else:
                    kind = "note:_any"
                body = one(notes[kind], r).format_map(v)
                messages.append(Message(NOTE, body, at, author.email))
                continue
            native = author.lang == lang
            v["aname"] = author.name if native else author.latin_name
            v["afirst"] = author.first if native else author.latin_first
            atx = texts[lang][author.gender]
            atp = topic_texts[topic][lang][author.gender]
            # Agents do not repeat themselves within a thread: lists are walked from a random
            # start rather than drawn from again.
            if k == last_public and finished:
                kind, source = "resolution", atp
            elif k == last_public and status is PENDING:
                kind, source = "question", atp
            elif k == last_public and status is ON_HOLD:
                kind, source = "a_update", atx
            elif last_out_at is None:
                kind, source = ("question" if r() < 0.55 else "reply"), atp
            elif r() < 0.7:
                kind, source = "reply", atp
            else:
                kind, source = "a_update", atx
            used = walked.get(kind, 0)
            if kind == "reply" and used >= len(source[kind]):
                kind, source = "a_update", atx
                used = walked.get(kind, 0)
            choices = source[kind]
            walked[kind] = used + 1
            chosen = (start + used) % len(choices)
            core = choices[chosen]
            asked = chosen if kind == "question" else -1
            if chat:
                body = core.format_map(v)
                if last_out_at is None:
                    body = one(atx["chat_hi"], r).format_map(v) + body
            else:
                middle = core.format_map(v)
                if last_out_at is None:
                    ack = one(atx["a_ack"], r)
                    if ack:
                        middle = ack.format_map(v) + sep + middle
                v["core"] = middle
                frames = atx["frame:agent" if last_out_at is None else "frame:agent_next"]
                body = one(frames, r).format_map(v)
            state = SENT
            if age - offs[k] < 300:
                state = QUEUED
            elif (
                email
                and k == n - 1
                and (status is OPEN or status is PENDING)
                and (not failed_done or r() < 1 / 600)
            ):
                state = FAILED
                failed_done = True
            messages.append(
                Message(
                    OUT,
                    body,
                    at,
                    author.email,
                    re_subject,
                    msgid(r, DEMO_DOMAIN) if email else None,
                    state,
                )
            )
            last_out_body, last_out_at, last_out_name = body, at, v["aname"]

        # --- the audit trail ----------------------------------------------------------------
        events: list[SeedEvent] = []
        # The first agent action happens between message k0 - 1 and k0 (or after the only one).
        k0 = first_agent_k if first_agent_k > 0 else n
        window_start = offs[k0 - 1]
        window_end = offs[k0] if k0 < n else (solved_off or age)
        window = max(0, window_end - window_start)
        assignee_email = assignee.email if assignee else None
        if department and status is not NEW and r() < 0.12:
            others = T.other_depts[department]
            wrong = others[int(r() * len(others))]
            events.append(
                Event(
                    created_at + second * (window_start + window // 4),
                    "department",
                    wrong,
                    department,
                    lead_of(department).email,
                    one(C.REASSIGN_REASONS[(wrong, department)], r),
                )
            )
        first_owner = prev_assignee or assignee
        if first_owner is not None:
            by = lead_of(department) if r() < 0.4 else first_owner
            events.append(
                Event(
                    created_at + second * (window_start + window // 2),
                    "assignee",
                    None,
                    first_owner.email,
                    by.email,
                )
            )
        if prev_assignee is not None and assignee is not None:
            h = handover_at
            events.append(
                Event(
                    created_at + second * (offs[h - 1] + (offs[h] - offs[h - 1]) // 2),
                    "assignee",
                    prev_assignee.email,
                    assignee_email,
                    lead_of(department).email,
                    one(C.ASSIGN_REASONS, r),
                )
            )
        if status is not NEW:
            actor = assignee_email or (first_author.email if first_author else None)
            if first_agent_k >= 0:
                opened_at = ats[first_agent_k]
            else:
                opened_at = created_at + second * (window_start + window // 2)
            events.append(Event(opened_at, "status", v_new, v_open, actor))
            if status is PENDING or status is ON_HOLD:
                at = ats[last_agent_k] if last_agent_k >= 0 else opened_at
                events.append(Event(at, "status", v_open, status.value, actor))
            elif solved_at is not None:
                events.append(Event(solved_at, "status", v_open, v_solved, actor))
                if status is CLOSED:
                    closed_off = solved_off + _CLOSE_AFTER
                    if closed_off > age:
                        closed_off = (solved_off + age) // 2
                    events.append(
                        Event(
                            created_at + second * closed_off,
                            "status",
                            v_solved,
                            v_closed,
                            None,
                            C.CLOSE_REASON,
                        )
                    )
            if (priority is HIGH or priority is URGENT) and r() < 0.3:
                lower = NORMAL if priority is HIGH else HIGH
                events.append(
                    Event(
                        ats[-1] if n > 1 else opened_at,
                        "priority",
                        lower.value,
                        priority.value,
                        actor or lead_of(department).email,
                        one(C.PRIORITY_REASONS, r),
                    )
                )
            events.sort(key=at_key)

        yield SeedTicket(
            subject=subject,
            customer=cseed,
            status=status,
            priority=priority,
            channel=channel,
            created_at=created_at,
            department=department or None,
            assignee_email=assignee_email,
            messages=tuple(messages),
            events=tuple(events),
            solved_at=solved_at,
        )


def _one(values: tuple[str, ...], r: Callable[[], float]) -> str:
    return values[int(r() * len(values))]


def _msgid(r: Callable[[], float], address: str | None) -> str:
    domain = (address or DEMO_DOMAIN).rpartition("@")[2]
    return f"<{int(r() * 2**62):016x}@{domain}>"
