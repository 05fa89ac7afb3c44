"""Where Desk keeps its files and which database it talks to.

Resolution order for the database: --database-url, then DESK_DATABASE_URL, then the settings
file, then the embedded SQLite file in the user data directory. DESK_HOME puts every file under
one directory (tests, portable installs).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from desk_app.core.errors import InvalidInput, UsageError

APP_NAME = "desk"


@dataclass(frozen=True)
class Paths:
    data: Path
    config: Path
    logs: Path

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"

    @property
    def embedded_database(self) -> Path:
        return self.data / "desk.sqlite3"

    @property
    def demo_database(self) -> Path:
        return self.data / "demo.sqlite3"


def paths() -> Paths:
    home = os.environ.get("DESK_HOME")
    if home:
        root = Path(home)
        return Paths(data=root / "data", config=root / "config", logs=root / "logs")
    return Paths(
        data=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        config=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        logs=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
    )


def load_settings(where: Paths | None = None) -> dict[str, Any]:
    file = (where or paths()).settings_file
    if not file.exists():
        return {}
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"cannot read settings file {file}: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidInput(f"settings file {file} must hold a JSON object")
    return data


def save_settings(values: dict[str, Any], where: Paths | None = None) -> None:
    """Merge values into the settings file, writing atomically so a crash never truncates it."""
    where = where or paths()
    merged = {**load_settings(where), **values}
    where.config.mkdir(parents=True, exist_ok=True)
    tmp = where.settings_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(merged, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(where.settings_file)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def resolve_database_url(explicit: str | None = None, *, demo: bool = False) -> str:
    if explicit is not None and not explicit.strip():
        # An empty --database-url is a mistake (an unset shell variable), not "the default".
        raise UsageError("--database-url is empty: give a database URL or leave the option out")
    where = paths()
    if demo:
        return sqlite_url(where.demo_database)
    url = (
        explicit or os.environ.get("DESK_DATABASE_URL") or load_settings(where).get("database_url")
    )
    return str(url) if url else sqlite_url(where.embedded_database)


def configured_agent_email() -> str | None:
    value = os.environ.get("DESK_AGENT") or load_settings().get("agent_email")
    return str(value) if value else None
