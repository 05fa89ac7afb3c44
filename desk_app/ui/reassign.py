"""Every way into a move, in one place: the A key and Ticket → Move to…, the inbox's context
menu ("Assign to me", "Move to…", a department submenu), drops of inbox rows on a department in
the navigation pane, and the department field of the ticket header.

A move that needs a reason (between departments, when the team asks for one) always goes
through the reassignment dialog, pre-filled; the rest go straight to the service. What the
signed-in agent may not do is refused here first, with the reason, as a courtesy: the service
layer refuses it anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtWidgets import QMenu

from desk_app.core.errors import DeskError
from desk_app.core.permissions import TeamRules
from desk_app.store.authorisation import read_team_rules
from desk_app.store.records import OpResult
from desk_app.ui.plain import tooltip
from desk_app.ui.plurals import english_plural, fill
from desk_app.ui.reassign_dialog import (
    MoveOutcome,
    MovingTicket,
    ReassignDialog,
    acting,
    move_refusal,
    reason_needed,
)

if TYPE_CHECKING:
    from desk_app.ui.main_window import MainWindow

STATUS_MS = 6_000


def sentence(text: str) -> str:
    """'not allowed: …' from core.permissions, as the status bar shows it."""
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


class Reassigner(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.ctx = window.ctx
        # Until read from the database: the default asks for a reason, the safe side.
        self.rules = TeamRules()
        self.dialog: ReassignDialog | None = None
        self.menu: QMenu | None = None
        window.inbox.customContextMenuRequested.connect(self._context_menu)
        window.navigation.drop_check = self.drop_refusal
        window.navigation.tickets_dropped.connect(self.drop)
        window.navigation.drop_refused.connect(self._say)
        window.ticket_pane.asks_before_moving = lambda old, new: reason_needed(
            self.rules, [old], new
        )
        window.ticket_pane.move_requested.connect(self._header_move)

    def start(self) -> None:
        db = self.ctx.queries.db
        self.ctx.runner.run(lambda: read_team_rules(db), self._rules_loaded)

    def _rules_loaded(self, rules: TeamRules) -> None:
        self.rules = rules

    # --- which tickets ----------------------------------------------------------------------

    def tickets(self, ticket_ids: list[int]) -> list[MovingTicket]:
        """What the window knows of these tickets: the open one in full, the others from their
        inbox rows (department and assignee by name, the version the row was read at)."""
        detail = self.window.ticket_pane.detail
        departments = {d.name: d.id for d in self.ctx.departments}
        agents = {a.display_name: a.id for a in self.ctx.agents}
        model = self.window.model
        found = []
        for ticket_id in ticket_ids:
            if detail is not None and detail.id == ticket_id:
                found.append(MovingTicket.of(detail))
                continue
            position = model.row_of(ticket_id)
            row = model.ticket_row(position) if position is not None else None
            if row is None:
                found.append(MovingTicket(ticket_id, None))
                continue
            found.append(
                MovingTicket(
                    ticket_id,
                    departments.get(row.department or ""),
                    agents.get(row.assignee or ""),
                    row.version,
                )
            )
        return found

    def selected(self) -> list[MovingTicket]:
        return self.tickets(self.window.inbox.selected_ticket_ids())

    def current(self) -> list[MovingTicket]:
        """The selected rows when there are several, else the open ticket."""
        chosen = self.selected()
        if len(chosen) > 1:
            return chosen
        detail = self.window.ticket_pane.detail
        return [MovingTicket.of(detail)] if detail is not None else chosen

    def refusal(self, tickets: list[MovingTicket], department_id: int) -> str | None:
        name = next((d.name for d in self.ctx.departments if d.id == department_id), None)
        refused = move_refusal(
            acting(self.ctx, self.ctx.departments),
            [t.department_id for t in tickets],
            department_id,
            name,
        )
        return sentence(refused) if refused else None

    # --- the dialog -------------------------------------------------------------------------

    def open_for_current(self) -> None:
        """The A key and Ticket → Move to…"""
        tickets = self.current()
        if tickets:
            self.open_dialog(tickets)

    def open_dialog(
        self, tickets: list[MovingTicket], department: int | None = None
    ) -> ReassignDialog:
        if self.dialog is not None:
            self.dialog.reject()
        dialog = ReassignDialog(self.ctx, tickets, department=department, parent=self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.moved.connect(self._moved)
        dialog.changed.connect(lambda ids: self.window.tickets_changed(*ids))
        # What the dialog read is the freshest word on the rules: keep it for the header.
        dialog.settled.connect(lambda: self._rules_loaded(dialog.rules))
        dialog.finished.connect(lambda _result: self._dialog_closed(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _dialog_closed(self, dialog: ReassignDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def _moved(self, outcome: MoveOutcome) -> None:
        self.ctx.messages.info(outcome.summary)
        self._refresh(outcome.ticket_ids)

    def _refresh(self, ticket_ids: list[int]) -> None:
        if ticket_ids:
            self.window.tickets_changed(*ticket_ids)
        if self.window.ticket_pane.ticket_id in ticket_ids:
            self.window.ticket_pane.reload()

    # --- moves without the dialog -----------------------------------------------------------

    def assign_to_me(self, tickets: list[MovingTicket] | None = None) -> None:
        agent = self.ctx.agent
        chosen = self.selected() if tickets is None else tickets
        if agent is None or not chosen:
            return
        ids = [t.ticket_id for t in chosen]
        service = self.ctx.service

        def assigned(changed: list[int]) -> str:
            if not changed:
                return english_plural(
                    self.tr("Nothing to assign: [it is|they are] yours already.", "", len(ids)),
                    len(ids),
                )
            words = english_plural(
                self.tr("Assigned %n ticket(s) to you.", "", len(changed)), len(changed)
            )
            return words + self._already(len(ids) - len(changed), "yours")

        self._run(lambda: service.assign_many(ids, agent=agent.id).changed, ids, assigned)

    def move_to_department(self, tickets: list[MovingTicket], department_id: int) -> None:
        """The department submenu and drops: at once, or through the dialog for a reason."""
        if not tickets:
            return
        refused = self.refusal(tickets, department_id)
        if refused:
            self._say(refused)
            return
        if reason_needed(self.rules, [t.department_id for t in tickets], department_id):
            self.open_dialog(tickets, department=department_id)
            return
        name = next((d.name for d in self.ctx.departments if d.id == department_id), "")
        service = self.ctx.service
        ids = [t.ticket_id for t in tickets]
        single = tickets[0] if len(tickets) == 1 and tickets[0].version is not None else None

        def work() -> list[int]:
            if single is not None:
                result: OpResult = service.assign(
                    single.ticket_id, department=department_id, expected_version=single.version
                )
                return [single.ticket_id] if result.ticket_id is not None else []
            return service.assign_many(ids, department=department_id).changed

        def moved(changed: list[int]) -> str:
            if not changed:
                words = self.tr("Nothing to move: [it is|they are] in %1 already.", "", len(ids))
                return fill(english_plural(words, len(ids)), name)
            words = self.tr("Moved %n ticket(s) to %1.", "", len(changed))
            return fill(english_plural(words, len(changed)), name) + self._already(
                len(ids) - len(changed), "there"
            )

        self._run(work, ids, moved)

    def _already(self, count: int, where: str) -> str:
        """ " 1 ticket was already there." after what changed, for those that did not."""
        if not count:
            return ""
        if where == "yours":
            words = self.tr("%n ticket(s) [was|were] yours already.", "", count)
        else:
            words = self.tr("%n ticket(s) [was|were] already there.", "", count)
        return " " + english_plural(words, count)

    def _run(
        self,
        work: Callable[[], list[int]],
        ids: list[int],
        message: Callable[[list[int]], str],
    ) -> None:
        def done(changed: list[int]) -> None:
            self.ctx.messages.info(message(changed))
            self._refresh(ids)

        def failed(error: BaseException) -> None:
            if isinstance(error, DeskError):
                self.ctx.messages.error(fill(self.tr("Not moved: %1"), str(error)))
            else:
                self.ctx.runner.report(error)
            self._refresh(ids)

        self.ctx.runner.run(work, done, failed)

    # --- the context menu -------------------------------------------------------------------

    def _context_menu(self, position: QPoint) -> None:
        inbox = self.window.inbox
        menu = self.build_menu(self.selected())
        if menu is not None:
            menu.popup(inbox.viewport().mapToGlobal(position))

    def build_menu(self, tickets: list[MovingTicket]) -> QMenu | None:
        if not tickets:
            return None
        if self.menu is not None:
            self.menu.deleteLater()
        menu = self.menu = QMenu(self.window.inbox)
        menu.setObjectName("inboxMenu")
        menu.setToolTipsVisible(True)
        count = len(tickets)
        if count == 1:
            mine_text = self.tr("Assign to &me")
        else:
            mine_text = english_plural(self.tr("Assign %n ticket(s) to &me", "", count), count)
        mine = menu.addAction(mine_text)
        mine.setEnabled(self.ctx.agent is not None)
        mine.triggered.connect(lambda: self.assign_to_me(tickets))
        move = menu.addAction("&Move to…")
        move.setShortcut("A")  # shown only: the window's action owns the key
        move.triggered.connect(lambda: self.open_dialog(tickets))
        departments = menu.addMenu("Move to &department")
        departments.setToolTipsVisible(True)
        origins = {t.department_id for t in tickets}
        for department in self.ctx.departments:
            action = departments.addAction(department.name)
            refused = self.refusal(tickets, department.id)
            if origins == {department.id}:
                action.setEnabled(False)
                action.setToolTip(
                    english_plural(self.tr("[It is|They are] already there.", "", count), count)
                )
            elif refused:
                action.setEnabled(False)
                action.setToolTip(tooltip(refused))
            action.triggered.connect(
                lambda _checked=False, d=department.id: self.move_to_department(tickets, d)
            )
        menu.addSeparator()
        solve = menu.addAction("Mark s&olved")
        solve.triggered.connect(self.window.solve_selected)
        return menu

    # --- drops and the header ---------------------------------------------------------------

    def drop_refusal(self, ticket_ids: list[int], department_id: int) -> str | None:
        return self.refusal(self.tickets(ticket_ids), department_id)

    def drop(self, ticket_ids: list[int], department_id: int) -> None:
        self.move_to_department(self.tickets(ticket_ids), department_id)

    def _header_move(self, ticket_id: int, department_id: int) -> None:
        detail = self.window.ticket_pane.detail
        if detail is not None and detail.id == ticket_id:
            self.open_dialog([MovingTicket.of(detail)], department=department_id)

    def _say(self, text: str) -> None:
        self.window.statusBar().showMessage(text, STATUS_MS)
