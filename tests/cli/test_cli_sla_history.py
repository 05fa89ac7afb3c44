"""`desk tickets assign` and `desk sla import` keep a breach: `desk sla show`, `desk report sla`
and the Breached view say the same before and after, on both databases."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from desk_app.cli import main
from desk_app.core.views import View, ViewKind
from desk_app.store import Database, Queries, Service
from desk_app.store.sla_store import import_rules
from tests.conftest import FakeClock, Team


def minutes(kind: str, count: int) -> dict[str, Any]:
    return {"kind": kind, "minutes": count, "business_hours": False}


# Calendar time: the CLI runs on the real clock, whatever day the tests run.
RULES: dict[str, Any] = {
    "calendars": [{"name": "24/7", "timezone": "UTC", "hours": {"mon-sun": "00:00-24:00"}}],
    "policies": [
        {
            "name": "Support",
            "departments": ["Support"],
            "calendar": "24/7",
            "targets": [minutes("first_response", 60)],
        },
        {
            "name": "Billing",
            "departments": ["Billing"],
            "calendar": "24/7",
            "targets": [minutes("first_response", 600)],
        },
    ],
}


def desk(capsys: pytest.CaptureFixture[str], url: str, *argv: str) -> Any:
    code = main([*argv, "--database-url", url, "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def test_assign_and_import_through_the_cli_keep_the_breach(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    database_url: str,
    db: Database,
    team: Team,
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    clock = FakeClock(now - timedelta(hours=3))
    import_rules(db, RULES, team.admin, clock)
    ticket_id = (
        Service(db, None, clock)
        .create_ticket(
            subject="Still waiting",
            customer_email="w@example.com",
            body="Hello?",
            department="Support",
        )
        .ticket_id
    )
    due = (clock.now + timedelta(hours=1)).isoformat()
    window = ["--since", (now - timedelta(days=1)).isoformat()]
    window += ["--until", (now + timedelta(days=1)).isoformat()]

    def seen() -> tuple[Any, ...]:
        shown = desk(capsys, database_url, "sla", "show", str(ticket_id))
        report = desk(capsys, database_url, "report", "sla", *window)
        breached = View(ViewKind.BREACHED)
        queries = Queries(db, None)
        first = next(t for t in shown["targets"] if t["kind"] == "first_response")
        return (
            [(b["kind"], b["at"], b.get("policy")) for b in shown["breaches"]],
            first["due_at"],
            report["department"],
            [row.id for row in queries.view_page(breached)],
            queries.view_count(breached),
        )

    before = seen()
    moved = desk(
        capsys,
        database_url,
        "tickets",
        "assign",
        str(ticket_id),
        "--department",
        "Billing",
        "--reason",
        "billing question",
        "--as",
        "lena@desk.test",
    )
    assert moved["ticket_id"] == ticket_id
    assert seen() == before
    assert before[0] == [("first_response", due, "Support")]
    assert before[1] == due  # what the header counts down to: past, so negative
    assert before[2]["Support"]["first_response"]["breached"] == 1
    assert before[3:] == ([ticket_id], 1)

    relaxed = copy.deepcopy(RULES)
    relaxed["policies"][0]["targets"] = [minutes("first_response", 6000)]
    relaxed["policies"][1]["targets"] = [minutes("first_response", 6000)]
    path = tmp_path / "sla.yaml"
    path.write_text(yaml.safe_dump(relaxed), encoding="utf-8")
    desk(capsys, database_url, "sla", "import", str(path), "--as", "ada@desk.test")
    assert seen() == before
