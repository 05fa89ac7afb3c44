"""The form for one routing rule: its conditions and what it does to the ticket.

Reads and writes the plain dict RoutingRule.to_dict() gives (and `desk` exports), so checking
a rule is the core's own RoutingRule.from_dict, and the editor's save is the store's.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desk_app.core.enums import Channel, Priority
from desk_app.core.routing import AssignBy
from desk_app.ui.plain import plain_label
from desk_app.ui.styles import ERROR_STYLE

ASSIGN_LABELS = {
    AssignBy.NOBODY: "Nobody (leave it in the department's queue)",
    AssignBy.ROUND_ROBIN: "Round-robin among members on duty",
    AssignBy.LEAST_LOADED: "The member on duty with the fewest open tickets",
}
# Keywords are separated by commas, Japanese "、" or full-width "，" included, so a keyword
# may hold spaces ("not delivered"); addresses and tags by commas or spaces.
_KEYWORD_SEPARATORS = re.compile(r"[,、，\n]")
_WORD_SEPARATORS = re.compile(r"[,、，\s]+")


def keywords_of(text: str) -> list[str]:
    return [part.strip() for part in _KEYWORD_SEPARATORS.split(text) if part.strip()]


def words_of(text: str) -> list[str]:
    return [part for part in _WORD_SEPARATORS.split(text) if part]


class RuleForm(QWidget):
    edited = Signal()

    def __init__(self, departments: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = QLineEdit()
        self.recipients = self._line("any mailbox (or e.g. billing@example.com)")
        self.senders = self._line("anyone (or addresses and domains, e.g. @partner.example)")
        self.keywords = self._line("any text (or e.g. refund, 返金, возврат)")
        self.subject_keywords = self._line("any subject (or e.g. invoice, 請求書, счёт)")
        self.customer_tags = self._line("any customer (or tags, e.g. vip, partner)")
        self.channels = {c.value: QCheckBox(c.value.replace("_", " ")) for c in Channel}
        self.department = QComboBox()
        self.department.addItem("Keep the mailbox's department", None)
        for name in departments:
            self.department.addItem(name, name)
        self.priority = QComboBox()
        self.priority.addItem("Keep it", None)
        for priority in Priority:
            self.priority.addItem(priority.value.capitalize(), priority.value)
        self.tags = self._line("none (or tags to add, e.g. refund)")
        self.assign_by = QComboBox()
        for assign_by, label in ASSIGN_LABELS.items():
            self.assign_by.addItem(label, assign_by.value)
        self.error = plain_label()
        self.error.setObjectName("ruleError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.hide()

        conditions = QGroupBox("When all of these hold (empty means any)")
        when = QFormLayout(conditions)
        when.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        when.addRow("Sent to", self.recipients)
        when.addRow("From", self.senders)
        when.addRow("Subject or body mentions", self.keywords)
        when.addRow("Subject mentions", self.subject_keywords)
        when.addRow("Customer tagged", self.customer_tags)
        channel_row = QHBoxLayout()
        for box in self.channels.values():
            channel_row.addWidget(box)
        channel_row.addStretch(1)
        when.addRow("Channel", channel_row)
        hint = plain_label(
            "Commas between keywords; any one of them will do. Russian and English words "
            "match their other forms too (“доставка” finds “доставки”)."
        )
        hint.setObjectName("muted")
        hint.setWordWrap(True)
        when.addRow(hint)

        actions = QGroupBox("Then")
        then = QFormLayout(actions)
        then.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        then.addRow("Department", self.department)
        then.addRow("Priority", self.priority)
        then.addRow("Add tags", self.tags)
        then.addRow("Assign to", self.assign_by)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        name_row = QFormLayout()
        name_row.addRow("Name", self.name)
        layout.addLayout(name_row)
        layout.addWidget(self.error)
        layout.addWidget(conditions)
        layout.addWidget(actions)
        layout.addStretch(1)

        self.name.textEdited.connect(self.edited)
        for combo in (self.department, self.priority, self.assign_by):
            combo.currentIndexChanged.connect(self.edited)
        for box in self.channels.values():
            box.toggled.connect(self.edited)

    def _line(self, placeholder: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)
        edit.textEdited.connect(self.edited)
        return edit

    def show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))

    def load(self, data: dict[str, Any]) -> None:
        widgets: list[QWidget] = [
            self.name,
            self.recipients,
            self.senders,
            self.keywords,
            self.subject_keywords,
            self.customer_tags,
            self.tags,
            self.department,
            self.priority,
            self.assign_by,
            *self.channels.values(),
        ]
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.name.setText(data.get("name", ""))
            self.recipients.setText(", ".join(data.get("recipients") or []))
            self.senders.setText(", ".join(data.get("senders") or []))
            self.keywords.setText(", ".join(data.get("keywords") or []))
            self.subject_keywords.setText(", ".join(data.get("subject_keywords") or []))
            self.customer_tags.setText(", ".join(data.get("customer_tags") or []))
            self.tags.setText(", ".join(data.get("tags") or []))
            for value, box in self.channels.items():
                box.setChecked(value in (data.get("channels") or []))
            _choose(self.department, data.get("department"))
            _choose(self.priority, data.get("priority"))
            _choose(self.assign_by, data.get("assign_by") or AssignBy.NOBODY.value)
        finally:
            for widget in widgets:
                widget.blockSignals(False)

    def value(self) -> dict[str, Any]:
        return {
            "name": self.name.text().strip(),
            "recipients": words_of(self.recipients.text()),
            "senders": words_of(self.senders.text()),
            "keywords": keywords_of(self.keywords.text()),
            "subject_keywords": keywords_of(self.subject_keywords.text()),
            "channels": [value for value, box in self.channels.items() if box.isChecked()],
            "customer_tags": words_of(self.customer_tags.text()),
            "department": self.department.currentData(),
            "priority": self.priority.currentData(),
            "tags": words_of(self.tags.text()),
            "assign_by": self.assign_by.currentData(),
        }


def _choose(combo: QComboBox, value: object) -> None:
    index = combo.findData(value)
    if index < 0 and value is not None:
        # A department that no longer exists: shown as written, so the save names it.
        combo.addItem(f"{value} (missing)", value)
        index = combo.count() - 1
    combo.setCurrentIndex(max(index, 0))
