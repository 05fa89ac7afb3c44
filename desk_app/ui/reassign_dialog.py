"""The reassignment dialog: department, then agent, a reason and an optional internal note.

One dialog for one ticket or many. Agents are listed with their open load and whether they are
working now (store.duty), on duty first and least loaded first, so the obvious choice is at
the top; typing filters them and Enter moves. The checks here (may this person move between
departments, is a reason needed) only switch the Move button off with a hint: the service
layer makes the same decisions and has the last word, and what it refuses is shown here too.

A single ticket moves with the version that was shown (a colleague's change in between is a
conflict, never overwritten); many move in one transaction with Service.assign_many.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desk_app.core.enums import Role
from desk_app.core.errors import ConflictError, DeskError
from desk_app.core.permissions import Actor, Permission, TeamRules, decide
from desk_app.store.authorisation import read_team_rules
from desk_app.store.duty import AgentDuty, DutyState, department_duty
from desk_app.store.records import DepartmentRecord, TicketDetail
from desk_app.ui.context import DeskContext
from desk_app.ui.plain import plain_label, tooltip
from desk_app.ui.plurals import english_plural, fill
from desk_app.ui.styles import LIGHT_COLOURS
from desk_app.ui.window_sizing import pin_minimum_size

T = TypeVar("T")
UNASSIGNED = -1
AGENT_ROLE = Qt.ItemDataRole.UserRole + 1
DUTY_LABELS: dict[DutyState, str] = {
    DutyState.ON_DUTY: "on duty",
    DutyState.ON_CALL: "on call",
    DutyState.AWAY: "away",
    DutyState.OFF_HOURS: "off hours",
}
DUTY_COLOURS: dict[DutyState, str] = {
    DutyState.ON_DUTY: LIGHT_COLOURS["green"],
    DutyState.ON_CALL: LIGHT_COLOURS["green"],
    DutyState.AWAY: LIGHT_COLOURS["amber"],
    DutyState.OFF_HOURS: "#8d96a0",
}
ERROR_COLOUR = LIGHT_COLOURS["red"]
REASON_HINT = "A reason is required to move tickets to another department."
# Keys that move through the agent list while the filter field has the focus.
_LIST_KEYS = {
    Qt.Key.Key_Up: -1,
    Qt.Key.Key_Down: 1,
    Qt.Key.Key_PageUp: -5,
    Qt.Key.Key_PageDown: 5,
}


@dataclass(frozen=True)
class MovingTicket:
    """What the dialog needs to know of a ticket it moves; version None: not known (bulk)."""

    ticket_id: int
    department_id: int | None
    assignee_id: int | None = None
    version: int | None = None

    @classmethod
    def of(cls, detail: TicketDetail) -> MovingTicket:
        return cls(detail.id, detail.department_id, detail.assignee_id, detail.version)


@dataclass(frozen=True)
class MoveOutcome:
    ticket_ids: list[int]  # the tickets that changed
    summary: str  # for the window's message strip


def acting(ctx: DeskContext, departments: Iterable[DepartmentRecord]) -> Actor | None:
    """The signed-in agent as core.permissions sees them (None: nobody signed in)."""
    agent = ctx.agent
    if agent is None:
        return None
    mine = frozenset(d.id for d in departments if d.name in agent.departments)
    return Actor(agent.id, Role(agent.role), mine, agent.is_active)


def move_refusal(
    actor: Actor | None,
    from_departments: Iterable[int | None],
    to_department: int,
    to_name: str | None = None,
) -> str | None:
    """Why the actor may not move tickets from these departments to that one, or None.
    The same questions core.permissions.require_move and the ticket lock ask, asked early so
    the window can say no before anything is sent."""
    if actor is None:
        return None
    for origin in set(from_departments):
        if origin == to_department or origin is None:
            # Within a department, or filing an unsorted ticket: work on the target department.
            decision = decide(
                actor, Permission.WORK_TICKET, department_id=to_department, department_name=to_name
            )
        else:
            decision = decide(actor, Permission.MOVE_TICKET)
        if not decision:
            return decision.reason
    return None


def reason_needed(
    rules: TeamRules, from_departments: Iterable[int | None], to_department: int | None
) -> bool:
    """A reason is asked only for a move out of one department into another (as require_move)."""
    return rules.reason_required_between_departments and any(
        origin is not None and origin != to_department for origin in from_departments
    )


class ReassignDialog(QDialog):
    moved = Signal(object)  # MoveOutcome
    changed = Signal(list)  # ticket ids a colleague changed (found out by a conflict)
    settled = Signal()  # a load or a move finished: for tests

    def __init__(
        self,
        ctx: DeskContext,
        tickets: list[MovingTicket],
        *,
        department: int | None = None,
        agent: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        if not tickets:
            raise ValueError("the dialog needs at least one ticket")
        self.ctx = ctx
        self.setObjectName("reassignDialog")
        self._tickets = list(tickets)
        self._departments: list[DepartmentRecord] = list(ctx.departments)
        self._rules = TeamRules()
        self._rules_known = False
        origins = {t.department_id for t in tickets}
        self._wanted_department = department
        if department is None and len(origins) == 1:
            self._wanted_department = next(iter(origins))
        # The single ticket's assignee stays chosen while the department is theirs.
        self._wanted_agent = agent
        if agent is None and len(tickets) == 1:
            self._wanted_agent = tickets[0].assignee_id
        self._generation = 0
        self._listed_department: int | None = None  # whose members the list shows (or loads)
        self._pending = 0
        self._busy = False
        self._error = ""
        self.duty: list[AgentDuty] = []
        many = len(tickets) > 1
        if many:
            title = english_plural(self.tr("Move %n ticket(s)", "", len(tickets)), len(tickets))
        else:
            title = self.tr("Move ticket")
        self.setWindowTitle(title)

        self.summary = plain_label()
        self.summary.setObjectName("muted")
        self.summary.setWordWrap(True)
        self.department = QComboBox()
        self.department.setObjectName("reassignDepartment")
        self.department.currentIndexChanged.connect(self._department_changed)
        self.filter = QLineEdit()
        self.filter.setObjectName("reassignFilter")
        self.filter.setPlaceholderText(self.tr("Type to filter agents"))
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter_changed)
        self.filter.installEventFilter(self)
        self.agents = QTreeWidget()
        self.agents.setObjectName("reassignAgents")
        self.agents.setColumnCount(3)
        self.agents.setHeaderLabels(["Agent", "Open", "Now"])
        self.agents.setRootIsDecorated(False)
        self.agents.setUniformRowHeights(True)
        self.agents.setAllColumnsShowFocus(True)
        self.agents.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.agents.currentItemChanged.connect(lambda *_: self._update_state())
        self.agents.itemDoubleClicked.connect(lambda *_: self._move_if_ready())
        self.agents.installEventFilter(self)
        header_item = self.agents.headerItem()
        if header_item is not None:
            header_item.setTextAlignment(1, Qt.AlignmentFlag.AlignCenter)
        header = self.agents.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # Fixed widths with room to spare, so the load never touches the duty mark beside it.
        metrics = self.agents.fontMetrics()
        for column, widest in ((1, "Open"), (2, "department queue")):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            header.resizeSection(column, metrics.horizontalAdvance(widest) + 28)
        self.agents.setMinimumHeight(170)
        self.reason = QLineEdit()
        self.reason.setObjectName("reassignReason")
        self.reason.textChanged.connect(lambda _text: self._update_state())
        self.hint = plain_label()
        self.hint.setObjectName("muted")
        self.hint.setWordWrap(True)
        self.note = QPlainTextEdit()
        self.note.setObjectName("reassignNote")
        self.note.setPlaceholderText(
            "Added as an internal note to each ticket (optional)" if many else "Optional"
        )
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 14)
        self.error = plain_label()
        self.error.setObjectName("reassignError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {ERROR_COLOUR};")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()

        buttons = QDialogButtonBox()
        self.move_button = QPushButton(self.tr("Move"))
        self.move_button.setObjectName("primary")
        self.move_button.setDefault(True)
        self.move_button.setAutoDefault(True)
        buttons.addButton(self.move_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._move_if_ready)
        buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(8)
        form.addRow("&Department", self.department)
        form.addRow("&Agent", self.filter)
        form.addRow("", self.agents)
        self.reason_label = plain_label("&Reason")
        self.reason_label.setBuddy(self.reason)
        form.addRow(self.reason_label, self.reason)
        form.addRow("", self.hint)
        note_label = plain_label("Internal &note")
        note_label.setBuddy(self.note)
        form.addRow(note_label, self.note)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.setSpacing(10)
        layout.addWidget(self.summary)
        layout.addLayout(form, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setTabOrder(self.department, self.filter)
        self.setTabOrder(self.filter, self.agents)
        self.setTabOrder(self.agents, self.reason)
        self.setTabOrder(self.reason, self.note)
        pin_minimum_size(self, width=460, height=480)
        self.resize(500, 560)
        self._show_summary()
        self._fill_departments()
        self._update_state()
        self._load_people()

    # --- state -----------------------------------------------------------------------------

    @property
    def tickets(self) -> list[MovingTicket]:
        return list(self._tickets)

    @property
    def rules(self) -> TeamRules:
        return self._rules

    def is_settled(self) -> bool:
        """Nothing loading or moving: for tests and screenshots."""
        return self._pending == 0

    def chosen_department(self) -> int | None:
        value = self.department.currentData()
        return value if isinstance(value, int) else None

    def chosen_agent(self) -> int | None:
        """The agent chosen, None for "Unassigned"; see has_choice for "nothing chosen"."""
        item = self.agents.currentItem()
        value = item.data(0, AGENT_ROLE) if item is not None and not item.isHidden() else None
        return value if isinstance(value, int) and value != UNASSIGNED else None

    def has_choice(self) -> bool:
        item = self.agents.currentItem()
        return item is not None and not item.isHidden()

    def reason_required(self) -> bool:
        origins = [t.department_id for t in self._tickets]
        return reason_needed(self._rules, origins, self.chosen_department())

    def refusal(self) -> str | None:
        department = self.chosen_department()
        if department is None:
            return None
        return move_refusal(
            acting(self.ctx, self._departments),
            [t.department_id for t in self._tickets],
            department,
            self._department_name(department),
        )

    def _department_name(self, department_id: int | None) -> str | None:
        return next((d.name for d in self._departments if d.id == department_id), None)

    def _show_summary(self) -> None:
        names = sorted(
            {self._department_name(t.department_id) or "no department" for t in self._tickets}
        )
        if len(self._tickets) == 1:
            ticket = self._tickets[0]
            self.summary.setText(f"Ticket #{ticket.ticket_id}, now in {names[0]}.")
        else:
            where = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
            count = len(self._tickets)
            words = english_plural(self.tr("%n ticket(s), now in %1.", "", count), count)
            self.summary.setText(words.replace("%1", where))

    def _update_state(self) -> None:
        """The Move button and the hint beneath the reason follow every change in the form."""
        required = self.reason_required()
        self.reason_label.setText("&Reason (required)" if required else "&Reason")
        self.reason.setPlaceholderText(
            "Why it goes there; shown in each ticket's timeline"
            if required
            else "Optional; shown in the ticket's timeline"
        )
        refusal = self.refusal()
        hint, bad = "", False
        if self.chosen_department() is None:
            hint = "Choose a department."
        elif refusal:
            hint, bad = refusal[:1].upper() + refusal[1:] + ".", True
        elif required and not self.reason.text().strip():
            hint = REASON_HINT
        elif not self.has_choice() and self.filter.text().strip():
            hint = f"No agent of this department matches “{self.filter.text().strip()}”."
        self.hint.setText(hint)
        self.hint.setVisible(bool(hint))
        # Over the muted style: a refusal is not a hint but a no.
        self.hint.setStyleSheet(f"color: {ERROR_COLOUR};" if bad else "")
        ready = not hint and self.has_choice() and not self._busy and self._rules_known
        self.move_button.setEnabled(ready)
        self.move_button.setText("Moving…" if self._busy else "Move")

    def _show_error(self, text: str) -> None:
        self._error = text
        self.error.setText(text)
        self.error.setVisible(bool(text))

    @property
    def error_text(self) -> str:
        return self._error

    # --- loading ---------------------------------------------------------------------------

    def _run(
        self,
        work: Callable[[], T],
        done: Callable[[T], None],
        failed: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Database work on the window's task runner, counted so tests can wait for it."""
        self._pending += 1

        def finish() -> None:
            self._pending -= 1
            if self._pending == 0:
                self.settled.emit()

        def on_done(result: T) -> None:
            try:
                done(result)
            finally:
                finish()

        def on_failed(error: BaseException) -> None:
            try:
                (failed or self._load_failed)(error)
            finally:
                finish()

        self.ctx.runner.run(work, on_done, on_failed)

    def _load_people(self) -> None:
        queries, db = self.ctx.queries, self.ctx.queries.db

        def work() -> tuple[list[DepartmentRecord], TeamRules]:
            return queries.departments(), read_team_rules(db)

        self._run(work, lambda result: self._people_loaded(*result))

    def _people_loaded(self, departments: list[DepartmentRecord], rules: TeamRules) -> None:
        self._departments, self._rules, self._rules_known = departments, rules, True
        self._fill_departments()
        self._show_summary()
        self._update_state()

    def _fill_departments(self) -> None:
        wanted = self.chosen_department()
        if wanted is None:
            wanted = self._wanted_department
        self.department.blockSignals(True)
        self.department.clear()
        for department in self._departments:
            self.department.addItem(department.name, department.id)
        index = self.department.findData(wanted) if wanted is not None else -1
        self.department.setCurrentIndex(index)
        if index < 0:
            self.department.setPlaceholderText(self.tr("Choose a department"))
        self.department.blockSignals(False)
        self._department_changed()

    def _department_changed(self, _index: int = -1) -> None:
        department = self.chosen_department()
        if department is not None and department == self._listed_department:
            return  # the departments were re-read and the choice stayed: the list stands
        self._listed_department = department
        self._generation += 1
        generation = self._generation
        self.agents.clear()
        self.duty = []
        self._update_state()
        if department is None:
            return
        db, clock = self.ctx.queries.db, self.ctx.clock
        self._run(
            lambda: department_duty(db, department, clock),
            lambda found: self._duty_loaded(generation, found),
        )

    def _duty_loaded(self, generation: int, found: list[AgentDuty]) -> None:
        if generation != self._generation:
            return  # the agent chose another department meanwhile
        self.duty = found
        self.agents.clear()
        # A little air between the rows: the list is read and picked from, not scanned.
        row = QSize(0, self.agents.fontMetrics().height() + 8)
        nobody = QTreeWidgetItem(["Unassigned", "", "department queue"])
        nobody.setSizeHint(0, row)
        nobody.setData(0, AGENT_ROLE, UNASSIGNED)
        nobody.setForeground(2, QColor("#8d96a0"))
        self.agents.addTopLevelItem(nobody)
        current = nobody
        for person in found:
            item = QTreeWidgetItem([person.name, str(person.open_load), DUTY_LABELS[person.state]])
            item.setData(0, AGENT_ROLE, person.agent_id)
            item.setSizeHint(0, row)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignCenter)
            item.setForeground(2, QColor(DUTY_COLOURS[person.state]))
            item.setToolTip(
                0, tooltip(f"{person.name}: {person.open_load} open, {DUTY_LABELS[person.state]}")
            )
            self.agents.addTopLevelItem(item)
            if person.agent_id == self._wanted_agent:
                current = item
        self.agents.setCurrentItem(current)
        self._filter_changed(self.filter.text())

    def _load_failed(self, error: BaseException) -> None:
        if isinstance(error, DeskError):
            self._show_error(str(error))
        else:
            self._show_error("Something went wrong; it has been reported.")
            self.ctx.runner.report(error)
        self._update_state()

    # --- filtering and keys ------------------------------------------------------------------

    def _items(self) -> list[QTreeWidgetItem]:
        found = (self.agents.topLevelItem(row) for row in range(self.agents.topLevelItemCount()))
        return [item for item in found if item is not None]

    def _filter_changed(self, text: str) -> None:
        wanted = text.strip().casefold()
        first_visible: QTreeWidgetItem | None = None
        for item in self._items():
            hidden = bool(wanted) and wanted not in item.text(0).casefold()
            item.setHidden(hidden)
            if not hidden and first_visible is None:
                first_visible = item
        current = self.agents.currentItem()
        if first_visible is not None and (wanted or current is None or current.isHidden()):
            # Typing names someone: the best match (the list's order) is the one Enter takes.
            self.agents.setCurrentItem(first_visible)
        self._update_state()

    def _step(self, delta: int) -> None:
        visible = [item for item in self._items() if not item.isHidden()]
        if not visible:
            return
        current = self.agents.currentItem()
        at = visible.index(current) if current in visible else -1
        self.agents.setCurrentItem(visible[max(0, min(len(visible) - 1, at + delta))])

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if watched is self.filter and event.key() in _LIST_KEYS:
                self._step(_LIST_KEYS[Qt.Key(event.key())])
                return True
            plain = not event.modifiers() & (
                Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
            )
            text = event.text()
            if watched is self.agents and plain and text.isprintable() and text.strip():
                # Typing in the list filters it, as it would in the field above.
                self.filter.setFocus()
                self.filter.insert(text)
                return True
        return super().eventFilter(watched, event)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # A department already chosen elsewhere (a drop, the header) leaves only the reason.
        moving_away = any(
            t.department_id is not None and t.department_id != self.chosen_department()
            for t in self._tickets
        )
        (self.reason if moving_away else self.filter).setFocus()

    # --- moving ----------------------------------------------------------------------------

    def _move_if_ready(self) -> None:
        if self.move_button.isEnabled():
            self.submit()

    def submit(self) -> None:
        """Send the move (the Move button, Enter); the dialog closes once it is stored."""
        department = self.chosen_department()
        if department is None or not self.has_choice():
            return
        agent = self.chosen_agent()
        reason = self.reason.text().strip() or None
        note = self.note.toPlainText().strip() or None
        service = self.ctx.service
        tickets = list(self._tickets)
        self._busy = True
        self._show_error("")
        self._update_state()

        def work() -> tuple[list[int], int, str | None]:
            if len(tickets) == 1 and tickets[0].version is not None:
                ticket = tickets[0]
                # The move and its note in one transaction: both land, or neither.
                service.assign(
                    ticket.ticket_id,
                    department=department,
                    agent=agent,
                    unassign=agent is None,
                    reason=reason,
                    expected_version=ticket.version,
                    note=note or None,
                )
                note_error = None
                return [ticket.ticket_id], 0, note_error
            bulk = service.assign_many(
                [t.ticket_id for t in tickets],
                department=department,
                agent=agent,
                unassign=agent is None,
                reason=reason,
                note=note,
            )
            return bulk.changed, bulk.unchanged, None

        self._run(work, lambda result: self._moved(department, agent, *result), self._failed)

    def _moved(
        self,
        department: int,
        agent: int | None,
        changed: list[int],
        unchanged: int,
        note_error: str | None,
    ) -> None:
        self._busy = False
        where = self._department_name(department) or self.tr("the department")
        who = next((p.name for p in self.duty if p.agent_id == agent), None) or self.tr(
            "unassigned"
        )
        if not changed:
            summary = self.tr("Nothing to move: already in %1, %2.")
        elif len(changed) == 1:
            summary = self.tr("Moved #%3 to %1, %2.")
        else:
            summary = english_plural(
                self.tr("Moved %n ticket(s) to %1, %2.", "", len(changed)), len(changed)
            )
        summary = fill(summary, where, who, str(changed[0]) if changed else "")
        if changed and unchanged:
            kept = self.tr("%n ticket(s) [was|were] already there.", "", unchanged)
            summary += " " + english_plural(kept, unchanged)
        if note_error:
            summary += " " + fill(self.tr("The note was not added: %1"), note_error)
        self.moved.emit(MoveOutcome(changed, summary))
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self._busy = False
        if isinstance(error, ConflictError):
            self._show_error(
                f"Someone else changed this ticket first: {error}. The dialog now shows it as it "
                "is; check the choice and press Move again."
            )
            ids = [t.ticket_id for t in self._tickets]
            self.changed.emit(ids)
            self._refresh_tickets()
        elif isinstance(error, DeskError):
            self._show_error(f"Not moved: {error}")
        else:
            self._show_error("Not moved: something went wrong, and it has been reported.")
            self.ctx.runner.report(error)
        self._update_state()

    def _refresh_tickets(self) -> None:
        """After a conflict: the tickets as they are now, so Move sends a current version."""
        queries, ids = self.ctx.queries, [t.ticket_id for t in self._tickets]

        def work() -> list[MovingTicket]:
            return [MovingTicket.of(queries.ticket(ticket_id)) for ticket_id in ids]

        def done(tickets: list[MovingTicket]) -> None:
            self._tickets = tickets
            self._show_summary()
            self._update_state()

        self._run(work, done)
