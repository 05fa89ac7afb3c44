"""The ticket header: subject, who and where from, SLA, and the editable fields.

Every field change is only a request here; the ticket pane sends it through the service with
the version that was loaded, and reloads whatever the outcome.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from desk_app.core.enums import Priority, Status
from desk_app.store.records import AgentRecord, DepartmentRecord, TicketDetail
from desk_app.ui.formatting import TARGET_LABELS, countdown, local_time
from desk_app.ui.plain import isolate, plain_label, rich_label, tooltip
from desk_app.ui.styles import LIGHT_COLOURS, STATUS_LABELS, priority_icon

UNASSIGNED = -1
# A field box is as wide as its longest entry ("No department", "Emma Clarke (night shift)"),
# up to this; a longer name elides in the box and shows whole in its list and tooltip.
WIDEST_FIELD = 260
FIELD_GAP = 16  # between one field (label and box) and the next


class TicketHeader(QFrame):
    # field ("status" | "priority" | "department" | "assignee"), new value
    change_requested = Signal(str, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ticketHeader")
        self.subject = plain_label()
        self.subject.setObjectName("ticketSubject")
        self.subject.setWordWrap(True)
        self.subject.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta = plain_label()
        self.meta.setObjectName("muted")
        self.meta.setWordWrap(True)
        self.meta.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sla = rich_label()  # markup of our own: coloured countdowns, no customer text
        self._detail: TicketDetail | None = None
        self.sla.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)

        self.status = QComboBox()
        for status in Status:
            self.status.addItem(STATUS_LABELS[status], status.value)
        self.priority = QComboBox()
        for priority in Priority:
            # The inbox's bars, not a coloured dot: red, amber and green mean time only.
            icon = priority_icon(priority, self.palette())
            self.priority.addItem(icon, priority.value.capitalize(), priority.value)
        self.department = QComboBox()
        self.assignee = QComboBox()
        self._labels: list[QLabel] = []
        for name, combo in self.fields().items():
            combo.setObjectName(f"{name}Field")
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.activated.connect(lambda _i, n=name: self._activated(n))
            label = plain_label(name.capitalize())
            label.setObjectName("fieldLabel")
            label.setBuddy(combo)
            self._labels.append(label)
        self._fit_fields()

        title_row = QHBoxLayout()
        title_row.addWidget(self.subject, 1)
        title_row.addWidget(self.sla)
        # One row of four fields where it fits, else two rows of two (a narrow ticket pane at
        # 1024 px): never boxes too narrow for their entries.
        self.fields_grid = QGridLayout()
        self.fields_grid.setHorizontalSpacing(6)
        self.fields_grid.setVerticalSpacing(2)
        self._per_row = 0
        self._arrange_fields(len(self._labels))
        layout = QVBoxLayout(self)
        # Tight vertically: at 1024x700 with the On call panel open every line of the header
        # is a line less of the conversation.
        layout.setContentsMargins(16, 6, 16, 6)
        layout.setSpacing(4)
        layout.addLayout(title_row)
        layout.addWidget(self.meta)
        layout.addLayout(self.fields_grid)

    def fields(self) -> dict[str, QComboBox]:
        return {
            "status": self.status,
            "priority": self.priority,
            "department": self.department,
            "assignee": self.assignee,
        }

    # --- room for the fields ------------------------------------------------------------

    def _fit_fields(self) -> None:
        """Each box at least as wide as its longest entry (up to WIDEST_FIELD): a layout short
        of room must not cut "Support" to "Suppor". Called whenever the entries change."""
        for combo in self.fields().values():
            combo.setMinimumWidth(0)
            combo.setMinimumWidth(min(combo.sizeHint().width(), WIDEST_FIELD))
            combo.setToolTip(tooltip(combo.currentText()) if combo.currentText() else "")
        if getattr(self, "_per_row", 0):
            self._arrange_fields(self._fields_per_row(self.width()))

    def _fields_per_row(self, width: int) -> int:
        pairs = [
            label.sizeHint().width() + 6 + combo.minimumWidth()
            for label, combo in zip(self._labels, self.fields().values(), strict=True)
        ]
        margins = self.contentsMargins().left() + self.contentsMargins().right() + 32
        one_row = sum(pairs) + FIELD_GAP * (len(pairs) - 1) + margins
        return len(pairs) if width >= one_row else 2

    def _arrange_fields(self, per_row: int) -> None:
        if per_row == self._per_row:
            return
        self._per_row = per_row
        grid = self.fields_grid
        for widget in (*self._labels, *self.fields().values()):
            grid.removeWidget(widget)
        for column in range(grid.columnCount()):
            grid.setColumnStretch(column, 0)
            grid.setColumnMinimumWidth(column, 0)
        for n, (label, combo) in enumerate(zip(self._labels, self.fields().values(), strict=True)):
            row, column = divmod(n, per_row)
            grid.addWidget(label, row, column * 3)
            grid.addWidget(combo, row, column * 3 + 1, Qt.AlignmentFlag.AlignLeft)
            if column < per_row - 1:
                grid.setColumnMinimumWidth(column * 3 + 2, FIELD_GAP - 12)
        grid.setColumnStretch(per_row * 3, 1)  # the spare room goes after the last field

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange_fields(self._fields_per_row(event.size().width()))

    def set_people(self, departments: list[DepartmentRecord], agents: list[AgentRecord]) -> None:
        self.department.clear()
        self.department.addItem("No department", None)
        for department in departments:
            self.department.addItem(department.name, department.id)
        self.assignee.clear()
        self.assignee.addItem("Unassigned", UNASSIGNED)
        for agent in agents:
            if agent.is_active:
                self.assignee.addItem(agent.display_name, agent.id)
        self._fit_fields()

    def show_ticket(self, detail: TicketDetail, zone: tzinfo, now: datetime) -> None:
        self.subject.setText(detail.subject)  # a plain label: the customer's words as written
        customer = detail.customer
        who = customer.name or (customer.emails or customer.phones or ["unknown"])[0]
        contact = (customer.emails or customer.phones or [""])[0]
        contact_text = f" <{isolate(contact)}>" if contact and contact != who else ""
        self.meta.setText(
            f"#{detail.id} · {detail.channel.capitalize()} · {isolate(who)}{contact_text} · "
            f"opened {local_time(detail.created_at, zone, now)}"
        )
        self._show_sla(detail, now)
        for combo, value in (
            (self.status, detail.status),
            (self.priority, detail.priority),
            (self.department, detail.department_id),
            (self.assignee, detail.assignee_id if detail.assignee_id else UNASSIGNED),
        ):
            index = combo.findData(value)
            if index < 0 and combo is self.assignee:
                # An inactive agent still holds the ticket: show them rather than lie.
                combo.addItem(detail.assignee or "Unknown agent", value)
                index = combo.count() - 1
            combo.setCurrentIndex(max(index, 0))
        self._fit_fields()

    def _show_sla(self, detail: TicketDetail, now: datetime) -> None:
        """Each target that is still running or paused, with its kind and traffic light."""
        self._detail = detail
        parts = []
        for target in detail.sla_targets:
            if target.state not in ("running", "paused", "breached") or target.met_at:
                continue
            shown = countdown(target.due_at, target.started_at, target.remaining_s, now)
            if shown is None:
                continue
            parts.append(
                f'<span style="color:{LIGHT_COLOURS[shown.light]}; font-weight:600;">'
                f"{TARGET_LABELS.get(target.kind, target.kind)} {shown.text}</span>"
            )
        self.sla.setText(" &nbsp;·&nbsp; ".join(parts))
        self.sla.setToolTip(
            tooltip(f"SLA policy: {detail.sla_policy}") if detail.sla_policy else ""
        )

    def tick(self, now: datetime) -> None:
        """Called once a second by the window: the countdowns age."""
        if self._detail is not None:
            self._show_sla(self._detail, now)

    def set_editable(self, editable: bool) -> None:
        for combo in self.fields().values():
            combo.setEnabled(editable)

    def _activated(self, name: str) -> None:
        combo = self.fields()[name]
        self.change_requested.emit(name, combo.currentData())
