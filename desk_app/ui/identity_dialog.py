"""Who is using this desk: asked once, on the first run against a database that cannot tell by
itself (the embedded SQLite database has no users; a team database maps its sign-in instead).

With nobody in the team yet, the dialog creates the first admin; otherwise the person picks
themselves from the active agents. The answer is remembered in the settings file, so it is
asked once per machine, and can be changed with `desk --as EMAIL` or DESK_AGENT.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desk_app.config import save_settings
from desk_app.core.errors import DeskError
from desk_app.store import Database, Queries, Service
from desk_app.store.records import AgentRecord
from desk_app.ui.plain import plain_label


class IdentityDialog(QDialog):
    """Pick yourself among the active agents, or (empty team) create the first admin."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.chosen: AgentRecord | None = None
        self.agents = [a for a in Queries(db, None).agents() if a.is_active]
        self.setWindowTitle("Welcome to Desk")
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        self.error = plain_label()
        self.error.setObjectName("dialogError")
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        self.list: QListWidget | None = None
        self.name = QLineEdit()
        self.email = QLineEdit()
        if self.agents:
            layout.addWidget(_wrapped("Who are you? Desk records your name on everything you do."))
            self.list = QListWidget()
            for agent in self.agents:
                item = QListWidgetItem(f"{agent.display_name}  ·  {agent.email}  ·  {agent.role}")
                item.setData(Qt.ItemDataRole.UserRole, agent.id)
                self.list.addItem(item)
            self.list.setCurrentRow(0)
            self.list.itemDoubleClicked.connect(lambda _item: self._accept())
            layout.addWidget(self.list)
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("That's me")
        else:
            layout.addWidget(
                _wrapped(
                    "Nobody works here yet. Create the first admin: you can add departments, "
                    "agents and mail accounts next."
                )
            )
            form = QFormLayout()
            self.name.setPlaceholderText("Anna Ivanova")
            self.email.setPlaceholderText("anna@example.com")
            form.addRow("Your name", self.name)
            form.addRow("Work e-mail", self.email)
            layout.addLayout(form)
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create admin")
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def _accept(self) -> None:
        try:
            self.chosen = self._choose()
        except DeskError as error:
            self.error.setText(str(error))
            self.error.show()
            return
        save_settings({"agent_email": self.chosen.email})
        self.accept()

    def _choose(self) -> AgentRecord:
        queries = Queries(self.db, None)
        if self.list is not None:
            item = self.list.currentItem()
            agent_id = item.data(Qt.ItemDataRole.UserRole)
            return next(a for a in self.agents if a.id == agent_id)
        # The system creates the first admin: nobody exists yet who could.
        Service(self.db, None).add_agent(self.name.text(), self.email.text(), role="admin")
        return queries.agent_by_email(self.email.text().strip().lower())


def _wrapped(text: str) -> QLabel:
    label = plain_label(text)
    label.setWordWrap(True)
    return label


def ask_who_you_are(db: Database, parent: QWidget | None = None) -> AgentRecord | None:
    """Show the dialog; the chosen or created agent (remembered), or None when cancelled."""
    dialog = IdentityDialog(db, parent)
    dialog.exec()
    return dialog.chosen
