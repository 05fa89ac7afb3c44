"""The first run asks who you are, or creates the first admin; the answer is remembered."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from desk_app.app import identify
from desk_app.config import configured_agent_email
from desk_app.core.errors import NotFound, PermissionDenied
from desk_app.store import Queries, Service
from desk_app.ui.identity_dialog import IdentityDialog


def _ok(dialog: IdentityDialog) -> None:
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()


def test_an_empty_team_creates_the_first_admin(qtbot, db):
    dialog = IdentityDialog(db)
    qtbot.addWidget(dialog)
    assert dialog.list is None
    _ok(dialog)  # nothing typed: a clear message, no agent, still open
    assert dialog.chosen is None and "not an e-mail address" in dialog.error.text()
    dialog.name.setText("Анна Иванова")
    dialog.email.setText("Anna@Example.com")
    _ok(dialog)
    assert dialog.chosen is not None and dialog.chosen.role == "admin"
    assert dialog.chosen.display_name == "Анна Иванова"
    assert configured_agent_email() == "anna@example.com"
    assert [a.email for a in Queries(db, None).agents()] == ["anna@example.com"]
    # Remembered: the next start needs no question.
    assert identify(db, configured_agent_email(), interactive=True).email == "anna@example.com"


def test_an_existing_team_picks_a_person(qtbot, db):
    system = Service(db, None)
    system.add_agent("Anna", "anna@desk.test")
    kenji = system.add_agent("Kenji", "kenji@desk.test", role="lead")
    gone = system.add_agent("Gone", "gone@desk.test")
    system.edit_agent(gone, active=False)
    dialog = IdentityDialog(db)
    qtbot.addWidget(dialog)
    assert dialog.list is not None
    assert dialog.list.count() == 2  # deactivated people are not offered
    dialog.list.setCurrentRow(1)
    assert "Kenji" in dialog.list.currentItem().text()
    qtbot.keyClick(dialog.list, Qt.Key.Key_Return)
    _ok(dialog)
    assert dialog.chosen is not None and dialog.chosen.id == kenji
    assert configured_agent_email() == "kenji@desk.test"


def test_identify_without_questions(db):
    system = Service(db, None)
    anna = system.add_agent("Anna", "anna@desk.test")
    gone = system.add_agent("Gone", "gone@desk.test")
    system.edit_agent(gone, active=False)
    # Screenshots, tests and benchmarks: the first active agent, nothing asked.
    assert identify(db, None, interactive=False).id == anna
    with pytest.raises(PermissionDenied, match="deactivated"):
        identify(db, "gone@desk.test", interactive=False)
    with pytest.raises(NotFound):
        identify(db, "nobody@desk.test", interactive=False)
