"""The on-call calendar offscreen: four weeks of a rotation with its overrides marked, and the
status-bar indicator's link that opens it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from desk_app.core.oncall import Override
from desk_app.store.oncall_store import OncallStore
from desk_app.ui.oncall_calendar import OnCallCalendarDialog
from tests.conftest import FakeClock
from tests.ui.conftest import settle
from tests.worker.oncall_setup import FRIDAY_EVENING, nights_rotation

TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(FRIDAY_EVENING)


def test_four_weeks_with_the_override_marked(qtbot, db, team, clock, ctx):
    nights_rotation(db, clock, (team.anna, team.boris))
    start = datetime(2026, 11, 25, 18, 0, tzinfo=TOKYO)
    OncallStore(db, team.lead, clock).add_override(
        "Nights",
        Override(team.lead, start, start + timedelta(hours=14), team.boris, "Boris at a wedding"),
    )
    dialog = OnCallCalendarDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.load()
    qtbot.waitUntil(lambda: bool(dialog.shifts), timeout=5000)
    assert dialog.rotation_box.currentText() == "Nights (team-wide)"
    table = dialog.table
    people = [table.item(row, 2).text() for row in range(table.rowCount())]
    # Anna until Monday 09:00 Tokyo, then Boris's week cut by Lena's night, and so on.
    assert people[:4] == ["Anna Ivanova", "Boris Sato", "Lena Lead", "Boris Sato"]
    assert table.item(2, 3).text() == "instead of Boris Sato: Boris at a wedding"
    assert table.item(2, 2).font().bold() and not table.item(1, 2).font().bold()
    assert dialog.status.text() == "Next 4 weeks · 1 override"
    assert dialog.shifts[-1].ends_at == FRIDAY_EVENING + timedelta(weeks=4)


def test_without_rotations_it_says_how_to_make_one(qtbot, db, team, clock, ctx):
    dialog = OnCallCalendarDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.load()
    qtbot.waitUntil(lambda: dialog.status.text() != "Loading…", timeout=5000)
    assert dialog.status.text() == "No rotations yet: desk oncall set …"
    assert dialog.table.rowCount() == 0


def test_the_indicator_link_opens_the_calendar(qtbot, db, team, clock, ctx, open_window):
    nights_rotation(db, clock, (team.anna, team.boris))
    window = open_window(ctx)
    qtbot.waitUntil(lambda: bool(window.oncall.on_call), timeout=5000)
    assert window.oncall.indicator.text() == 'On call: <a href="calendar">Anna Ivanova</a>'
    assert "Nights: Anna Ivanova until Mon 00:00" in window.oncall.indicator.toolTip()
    window.oncall.indicator.linkActivated.emit("calendar")
    settle(qtbot, window)
    [dialog] = window.findChildren(OnCallCalendarDialog)
    qtbot.waitUntil(lambda: bool(dialog.shifts), timeout=5000)
    dialog.close()
