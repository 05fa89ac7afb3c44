"""What the inbox shows when a view has no tickets.

On a working team an empty view is good news: one short line. On a desk where nothing has
happened yet (no ticket at all) a blank list is a dead end, so the admin gets the setup
checklist, each step ticked from the database and with the button that opens its dialog, or
the exact command where the window has no dialog for it; an agent gets what they can do
meanwhile. The counts are read on the task runner (store/setup_state.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desk_app.core.permissions import Permission
from desk_app.store.setup_state import SetupState, setup_state
from desk_app.ui.context import DeskContext
from desk_app.ui.plain import plain_label

DONE = "\u2713"  # ✓
TO_DO = "\u25cb"  # ○


@dataclass(frozen=True)
class GuideStep:
    """One line of the guide: what to do, whether it is done, and how (a window action by
    name, or a command to type)."""

    text: str
    done: bool | None  # None: not a checklist item
    action: str = ""
    button: str = ""
    command: str = ""


class EmptyState(QScrollArea):
    """The empty inbox: a friendly line, or the guide for a desk with nothing in it yet.
    `trigger` runs a window action by name (ui/window_menus.py)."""

    guide_shown = Signal(bool)  # the window gives the guide the room of the empty ticket pane

    def __init__(
        self, ctx: DeskContext, trigger: Callable[[str], None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._trigger = trigger
        self._asked = 0  # only the latest answer counts
        self.state: SetupState | None = None
        self.steps: list[GuideStep] = []
        self.intro = ""
        self.setObjectName("emptyState")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.line = plain_label("")
        self.line.setObjectName("muted")
        self.line.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.line.setWordWrap(True)
        self._show_line("")

    # --- what to show ------------------------------------------------------------------

    def show_for(self, search_text: str | None) -> None:
        """The view (or a search for `search_text`) came back empty."""
        self._asked += 1
        if search_text is not None:
            self._show_line(self.tr("Nothing matches “%1”.").replace("%1", search_text))
            return
        self._show_line(self.tr("No tickets here. Nice work."))
        asked = self._asked
        db = self.ctx.queries.db
        self.ctx.runner.run(lambda: setup_state(db), lambda state: self._loaded(asked, state))

    def _loaded(self, asked: int, state: SetupState) -> None:
        if asked != self._asked or not state.is_new:
            return  # a newer question is under way, or a working team's view is just empty
        self.state = state
        if self.ctx.agent is None or self.ctx.may(Permission.ADMINISTER):
            intro = (
                self.tr(
                    "A mail account is connected: tickets appear here as customers write "
                    "in. These steps get the rest of the desk ready; each is ticked as it "
                    "is done."
                )
                if state.mail_accounts
                else self.tr(
                    "Tickets arrive once a mail account is connected. These steps get the "
                    "desk ready; each is ticked as it is done."
                )
            )
            self._show_guide(
                self.tr("Welcome to Desk: let's set up your team"),
                intro,
                self.admin_steps(state),
            )
        else:
            intro = (
                self.tr("Tickets appear here as soon as customers write in.")
                if state.mail_accounts
                else self.tr(
                    "Your desk is still being set up: tickets appear here once an admin "
                    "connects the team's mail account."
                )
            )
            self._show_guide(self.tr("No tickets yet"), intro, self.agent_steps())

    def admin_steps(self, state: SetupState) -> list[GuideStep]:
        return [
            GuideStep(
                self.tr(
                    "Connect the mailbox customers write to (the password is asked for "
                    "and kept in the system keyring)."
                ),
                state.mail_accounts > 0,
                command=(
                    "desk account add support --address support@example.com "
                    "--imap-host imap.example.com --smtp-host smtp.example.com "
                    "--username support@example.com"
                ),
            ),
            GuideStep(
                self.tr("Add the departments tickets are sorted into."),
                state.departments > 0,
                command="desk departments add Support",
            ),
            GuideStep(
                self.tr("Add the agents who answer them."),
                state.agents > 1,
                command='desk agents add anna@example.com --name "Anna Ivanova" '
                "--department Support",
            ),
            GuideStep(
                self.tr("Set office hours and response targets."),
                state.sla_policies > 0,
                action="sla_rules",
                button=self.tr("Calendars and policies…"),
            ),
            GuideStep(
                self.tr("Write answers to the questions customers ask most."),
                state.templates > 0,
                action="manage_templates",
                button=self.tr("Manage templates…"),
            ),
            GuideStep(
                self.tr(
                    "To look around first, open the demo: a team with tickets, in a "
                    "database of its own."
                ),
                None,
                command="desk --demo",
            ),
        ]

    def agent_steps(self) -> list[GuideStep]:
        return [
            GuideStep(
                self.tr(
                    "The views on the left sort the work: yours, unassigned, each "
                    "department, due soon. Ctrl+1 to Ctrl+9 switch between them."
                ),
                None,
            ),
            GuideStep(
                self.tr("Keep your own answers to frequent questions as templates."),
                None,
                action="manage_templates",
                button=self.tr("Manage templates…"),
            ),
            GuideStep(
                self.tr("Find customers and past tickets by name, address or words."),
                None,
                action="search",
                button=self.tr("Search"),
            ),
            GuideStep(
                self.tr("Every command has a key."),
                None,
                action="shortcuts",
                button=self.tr("Keyboard shortcuts"),
            ),
        ]

    # --- building -----------------------------------------------------------------------

    def _show_line(self, text: str) -> None:
        self.state = None
        self.steps = []
        self.intro = ""
        self.line.setText(text)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(self.line, 0, Qt.AlignmentFlag.AlignCenter)
        self._replace(page)

    def _show_guide(self, title: str, intro: str, steps: list[GuideStep]) -> None:
        self.steps = steps
        self.intro = intro
        page = QWidget()
        outer = QHBoxLayout(page)
        outer.setContentsMargins(24, 20, 24, 20)
        column = QWidget()
        column.setMaximumWidth(760)
        layout = QVBoxLayout(column)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        heading = plain_label(title)
        heading.setObjectName("emptyTitle")
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        heading.setFont(font)
        heading.setWordWrap(True)
        layout.addWidget(heading)
        lead = plain_label(intro)
        lead.setWordWrap(True)
        layout.addWidget(lead)
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(10)
        grid.setColumnStretch(1, 1)
        for row, step in enumerate(steps):
            self._add_step(grid, row, step)
        layout.addLayout(grid)
        layout.addStretch(1)
        outer.addWidget(column, 1, Qt.AlignmentFlag.AlignTop)
        outer.addStretch(0)
        self._replace(page)

    def _add_step(self, grid: QGridLayout, row: int, step: GuideStep) -> None:
        mark = plain_label("" if step.done is None else DONE if step.done else TO_DO)
        mark.setObjectName("stepDone" if step.done else "stepToDo")
        mark.setAccessibleName(
            "" if step.done is None else self.tr("Done") if step.done else self.tr("To do")
        )
        grid.addWidget(mark, row, 0, Qt.AlignmentFlag.AlignTop)
        body = QVBoxLayout()
        body.setSpacing(4)
        text = plain_label(step.text)
        text.setWordWrap(True)
        if step.done:
            text.setObjectName("muted")
        body.addWidget(text)
        if step.command:
            command = _command_label(step.command)
            body.addWidget(command)
        if step.action:
            button = QPushButton(step.button)
            button.setObjectName(f"guide_{step.action}")
            button.clicked.connect(lambda _checked=False, name=step.action: self._trigger(name))
            body.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
        grid.addLayout(body, row, 1)

    def _replace(self, page: QWidget) -> None:
        old = self.takeWidget()
        if old is not None:
            if self.line.parent() is old:
                self.line.setParent(None)
            old.deleteLater()
        self.setWidget(page)
        self.guide_shown.emit(bool(self.steps))

    def buttons(self) -> dict[str, QPushButton]:
        """The guide's buttons by action name (for tests)."""
        page = self.widget()
        found = page.findChildren(QPushButton) if page is not None else []
        return {b.objectName().removeprefix("guide_"): b for b in found}

    def command_texts(self) -> list[str]:
        page = self.widget()
        found = page.findChildren(QLabel, "guideCommand") if page is not None else []
        return [label.text() for label in found]


def _command_label(command: str) -> QLabel:
    """A command to copy: fixed-width, selectable, never rich text."""
    label = plain_label(command)
    label.setObjectName("guideCommand")
    label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label
