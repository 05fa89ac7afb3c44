"""What the after-hours and paging tests share: a Tokyo office with Japanese public holidays,
the demo's after-hours templates, a rotation, and mails of every automatic kind."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from desk_app.core.oncall import Rotation
from desk_app.demo.templates import install_demo_templates
from desk_app.store import Database
from desk_app.store.oncall_store import OncallStore
from desk_app.store.sla_store import import_rules

# Friday 20 November 2026, 19:30 in Tokyo: the office closed at 18:00, and Monday 23 November
# is Labour Thanksgiving Day, a public holiday. Nobody is in until Tuesday 09:00.
FRIDAY_EVENING = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)
HELP_CENTRE = "https://help.northwind.example"

TOKYO_RULES: dict[str, Any] = {
    "calendars": [
        {
            "name": "Tokyo office",
            "timezone": "Asia/Tokyo",
            "hours": {"mon-fri": "09:00-12:00, 13:00-18:00"},
            "country": "JP",
        },
        {"name": "24/7", "timezone": "UTC", "hours": {"mon-sun": "00:00-24:00"}},
    ],
    "policies": [
        {
            # As in the demo: urgent work runs on a 24/7 clock, which must not make the night
            # count as office hours.
            "name": "Urgent",
            "priorities": ["urgent"],
            "calendar": "24/7",
            "targets": [{"kind": "first_response", "minutes": 60, "business_hours": False}],
        },
        {
            "name": "Office",
            "calendar": "Tokyo office",
            "targets": [
                {"kind": "first_response", "minutes": 60, "business_hours": True},
                {"kind": "resolution", "minutes": 2400, "business_hours": True},
            ],
        },
    ],
}


def tokyo_office(db: Database, actor_id: int | None, clock) -> None:
    import_rules(db, TOKYO_RULES, actor_id, clock)


def after_hours_templates(db: Database) -> None:
    """The demo library (its after-hours templates in three languages), the company's name and
    the help-centre address."""
    install_demo_templates(db, [])


def nights_rotation(db: Database, clock, agent_ids: tuple[int, ...], department=None) -> int:
    return OncallStore(db, None, clock).save_rotation(
        Rotation(
            name="Nights" if department is None else f"{department} nights",
            agent_ids=agent_ids,
            handoff=time(9, 0),
            length="weekly",
            time_zone="Asia/Tokyo",
            starts_on=date(2026, 11, 16),
            department=department,
        )
    )


def mail(
    *,
    subject: str = "Order 77 missing",
    body: str = "Hello, where is my order?",
    sender: str = "Olga Petrova <olga@example.ru>",
    at: datetime = FRIDAY_EVENING,
    headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@desk.test"
    message["Subject"] = subject
    message["Date"] = format_datetime(at)
    message["Message-ID"] = make_msgid(domain="example.ru")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()
