"""The ticket header: subject, who and where from, SLA, and the editable fields.

Every field change is only a request here; the ticket pane sends it through the service with
the version that was loaded, and reloads whatever the outcome.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QVBoxLayout,
    QWidget,
)

from desk_app.core.enums import Priority, Status
from desk_app.store.records import AgentRecord, DepartmentRecord, TicketDetail
from desk_app.ui.formatting import TARGET_LABELS, countdown, local_time
from desk_app.ui.plain import isolate, plain_label, rich_label, tooltip
from desk_app.ui.styles import LIGHT_COLOURS, STATUS_LABELS, priority_icon

UNASSIGNED = -1


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
        for name, combo in self.fields().items():
            combo.setObjectName(f"{name}Field")
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.setMinimumContentsLength(8)
            combo.activated.connect(lambda _i, n=name: self._activated(n))

        title_row = QHBoxLayout()
        title_row.addWidget(self.subject, 1)
        title_row.addWidget(self.sla)
        fields_row = QHBoxLayout()
        fields_row.setSpacing(6)
        for name, combo in self.fields().items():
            label = plain_label(name.capitalize())
            label.setObjectName("fieldLabel")
            label.setBuddy(combo)
            fields_row.addWidget(label)
            fields_row.addWidget(combo)
            fields_row.addSpacing(10)
        fields_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 10, 16, 10)
        layout.setSpacing(6)
        layout.addLayout(title_row)
        layout.addWidget(self.meta)
        layout.addLayout(fields_row)

    def fields(self) -> dict[str, QComboBox]:
        return {
            "status": self.status,
            "priority": self.priority,
            "department": self.department,
            "assignee": self.assignee,
        }

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
