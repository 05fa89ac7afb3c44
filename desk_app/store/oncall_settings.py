"""The after-hours and paging options, kept in team_settings like the company name.

Read inside the caller's transaction (the worker reads them once per pass, so a change applies
at the next pass); written through TemplateStore.set_team_setting, the one command that writes
team settings, so the same people may change them and the change is audited the same way.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desk_app.core.after_hours import SETTING_KEYS, AfterHoursSettings, parse_setting
from desk_app.core.clock import Clock, utc_now
from desk_app.store.database import Database
from desk_app.store.journal import Journal
from desk_app.store.models import TeamSetting

# When the last hand-off summary was sent: the next one starts there.
LAST_HANDOFF_AT = "oncall.last_handoff_at"


def stored_values(session: Session, keys: list[str] | None = None) -> dict[str, Any]:
    """Team settings as their JSON values; unreadable ones are left out."""
    wanted = keys or sorted(SETTING_KEYS)
    values: dict[str, Any] = {}
    for key, text in session.execute(
        select(TeamSetting.key, TeamSetting.value).where(TeamSetting.key.in_(wanted))
    ):
        try:
            values[key] = json.loads(text)
        except ValueError:
            continue
    return values


def load_settings(session: Session) -> AfterHoursSettings:
    return AfterHoursSettings.from_values(stored_values(session))


def read_settings(db: Database) -> AfterHoursSettings:
    with db.read() as session:
        return load_settings(session)


def settings_document(db: Database) -> dict[str, Any]:
    """Every option with its stored value (None: the default applies) and what it means."""
    with db.read() as session:
        values = stored_values(session)
    return {
        key: {"value": values.get(key), "meaning": meaning}
        for key, meaning in sorted(SETTING_KEYS.items())
    }


def save_setting(
    db: Database, actor_id: int | None, key: str, text: str, clock: Clock = utc_now
) -> Any:
    """Check and store one option typed as text; returns the stored value."""
    value = parse_setting(key, text)
    _set(db, actor_id, key, value, clock)
    return value


def last_handoff_at(db: Database) -> datetime | None:
    with db.read() as session:
        value = stored_values(session, [LAST_HANDOFF_AT]).get(LAST_HANDOFF_AT)
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def remember_handoff(db: Database, actor_id: int | None, at: datetime, clock: Clock) -> None:
    """Bookkeeping, not a team policy: whoever sends a hand-off may record it, so this does
    not go through set_team_setting's lead-or-admin check."""
    with db.write() as session:
        journal = Journal(session, actor_id, clock())
        row = session.get(TeamSetting, LAST_HANDOFF_AT)
        text = json.dumps(at.isoformat())
        if row is None:
            session.add(TeamSetting(key=LAST_HANDOFF_AT, value=text))
        else:
            row.value = text
        journal.audit("team_setting", 0, "update", field=LAST_HANDOFF_AT, new=text)
        journal.changed("team_setting", 0, "update")
        journal.finish()


def _set(db: Database, actor_id: int | None, key: str, value: Any, clock: Clock) -> None:
    # Imported here: the template store brings Jinja2, which readers of settings do not need.
    from desk_app.store.template_store import TemplateStore

    TemplateStore(db, actor_id, clock).set_team_setting(key, value)
