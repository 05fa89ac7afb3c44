"""Where the window remembers its layout. DESK_HOME (tests, portable installs) keeps the file
beside Desk's other settings so a test never touches the real user's layout."""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings

from desk_app.config import paths

ORGANISATION = "Desk"
APPLICATION = "desk"


def ui_settings() -> QSettings:
    if os.environ.get("DESK_HOME"):
        file = paths().config / "desk-ui.ini"
        file.parent.mkdir(parents=True, exist_ok=True)
        return QSettings(str(file), QSettings.Format.IniFormat)
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANISATION, APPLICATION
    )
