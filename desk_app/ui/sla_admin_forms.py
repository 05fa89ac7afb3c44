"""The two editors of the SLA admin dialog: one calendar, one policy.

Each form reads and writes the same plain dict that `desk sla export` writes, so the dialog's
save is an import of the edited document and the validation is the core's own (from_dict).
A validation error names a field ("hours.mon", "targets.resolution.minutes"); the form shows it
under that field.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desk_app.core.calendar import DAY_NAMES, InvalidConfig, parse_week
from desk_app.core.enums import Channel, Priority, Status
from desk_app.core.sla import CLOSING_STATUSES, RAISE_ONE_STEP, TargetKind
from desk_app.ui.plain import plain_label
from desk_app.ui.styles import ERROR_STYLE

DAY_LABELS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
KIND_LABELS = {
    TargetKind.FIRST_RESPONSE: "First response",
    TargetKind.NEXT_RESPONSE: "Next response",
    TargetKind.RESOLUTION: "Resolution",
}
_TIMEZONES = sorted(available_timezones())


class FieldErrors:
    """Error labels under fields, keyed by the field names InvalidConfig uses. A key matches
    its own field and every sub-field ("escalation" also shows "escalation.move_to")."""

    def __init__(self) -> None:
        self.labels: dict[str, QLabel] = {}

    def label(self, key: str) -> QLabel:
        label = plain_label()
        label.setWordWrap(True)
        label.setStyleSheet(ERROR_STYLE)
        label.setObjectName(f"error:{key}")
        label.hide()
        self.labels[key] = label
        return label

    def show(self, error: InvalidConfig | None) -> QLabel | None:
        """Clear every label, then show the error under the best matching field."""
        for label in self.labels.values():
            label.clear()
            label.hide()
        if error is None:
            return None
        key = error.field
        while key and key not in self.labels:
            key = key.rpartition(".")[0]
        shown = self.labels.get(key or "", self.labels.get(""))
        if shown is None:
            return None
        shown.setText(error.problem)
        shown.show()
        return shown

    def text(self) -> str:
        return " ".join(label.text() for label in self.labels.values() if label.text())


def _with_error(widget: QWidget | QHBoxLayout, error: QLabel) -> QWidget:
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(2)
    if isinstance(widget, QHBoxLayout):
        column.addLayout(widget)
    else:
        column.addWidget(widget)
    column.addWidget(error)
    return box


def _top_aligned_form(widget: QWidget) -> QFormLayout:
    """A form whose rows keep their natural height; spare room stays below the last row
    instead of being shared out between rows (which pulled fields away from their labels)."""
    outer = QVBoxLayout(widget)
    form = QFormLayout()
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    outer.addLayout(form)
    outer.addStretch(1)
    return form


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def _checkboxes(values: list[str], labels: dict[str, str] | None = None) -> dict[str, QCheckBox]:
    names = labels or {}
    return {value: QCheckBox(names.get(value, value.replace("_", " "))) for value in values}


def _row(boxes: dict[str, QCheckBox]) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    for box in boxes.values():
        row.addWidget(box)
    row.addStretch(1)
    return row


def _day_texts(hours: dict[str, Any]) -> list[str]:
    """One text per weekday, whether the document names days or ranges of them ("mon-fri")."""
    try:
        return [", ".join(str(r) for r in day) for day in parse_week(hours)]
    except InvalidConfig:
        # Shown as written, so the error beside the field makes sense.
        texts = []
        for key in DAY_NAMES:
            value = hours.get(key, [])
            texts.append(value if isinstance(value, str) else ", ".join(map(str, value)))
        return texts


class CalendarForm(QWidget):
    """Name, time zone, weekly hours (several ranges a day for split shifts) and holidays."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.errors = FieldErrors()
        self.name = QLineEdit()
        self.timezone = QComboBox()
        self.timezone.setEditable(True)
        self.timezone.addItems(_TIMEZONES)
        self.timezone.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.days: list[QLineEdit] = []
        self.country = QComboBox()
        self.country.setEditable(True)
        self.country.addItem("")
        # Imported when the dialog opens, not when the window (which imports this) starts.
        import holidays as holidays_lib

        self.country.addItems(sorted(holidays_lib.list_supported_countries()))
        self.holidays = QPlainTextEdit()
        self.holidays.setPlaceholderText("One date a line, e.g. 2026-12-24")
        self.holidays.setFixedHeight(72)

        form = _top_aligned_form(self)
        form.addRow("Name", _with_error(self.name, self.errors.label("name")))
        form.addRow("Time zone", _with_error(self.timezone, self.errors.label("timezone")))
        hours = QGridLayout()
        hours.setContentsMargins(0, 0, 0, 0)
        hours.setVerticalSpacing(2)
        for index, (key, label) in enumerate(zip(DAY_NAMES, DAY_LABELS, strict=True)):
            edit = QLineEdit()
            edit.setPlaceholderText("closed")
            edit.setToolTip("Working hours, e.g. 09:00-12:00, 13:00-18:00 (24:00 ends the day)")
            self.days.append(edit)
            hours.addWidget(plain_label(label), index * 2, 0)
            hours.addWidget(edit, index * 2, 1)
            hours.addWidget(self.errors.label(f"hours.{key}"), index * 2 + 1, 1)
        hours.addWidget(self.errors.label("hours"), 14, 1)
        form.addRow("Working hours", hours)
        form.addRow(
            "Public holidays of",
            _with_error(self.country, self.errors.label("country")),
        )
        form.addRow("Other holidays", _with_error(self.holidays, self.errors.label("holidays")))
        self.errors.labels[""] = self.errors.labels["name"]  # anything unplaced shows at the top
        for edit in (self.name, *self.days):
            edit.textEdited.connect(self.edited)
        self.timezone.editTextChanged.connect(self.edited)
        self.country.editTextChanged.connect(self.edited)
        self.holidays.textChanged.connect(self.edited)

    def load(self, data: dict[str, Any]) -> None:
        widgets: list[QWidget] = [self.name, self.timezone, self.country, self.holidays, *self.days]
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.name.setText(data.get("name", ""))
            self.timezone.setCurrentText(data.get("timezone", "UTC"))
            for text, edit in zip(_day_texts(data.get("hours") or {}), self.days, strict=True):
                edit.setText(text)
            self.country.setCurrentText(data.get("country") or "")
            self.holidays.setPlainText("\n".join(data.get("holidays") or []))
        finally:
            for widget in widgets:
                widget.blockSignals(False)

    def value(self) -> dict[str, Any]:
        return {
            "name": self.name.text().strip(),
            "timezone": self.timezone.currentText().strip(),
            "hours": {
                key: edit.text().strip()
                for key, edit in zip(DAY_NAMES, self.days, strict=True)
                if edit.text().strip()
            },
            "holidays": _names(self.holidays.toPlainText()),
            "country": self.country.currentText().strip().upper() or None,
            "subdivision": None,
        }


class PolicyForm(QWidget):
    """Matching, targets, pause statuses and escalation of one policy."""

    edited = Signal()

    def __init__(self, departments: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.errors = FieldErrors()
        self.name = QLineEdit()
        self.calendar = QComboBox()
        self.departments = QLineEdit()
        self.departments.setPlaceholderText("any department (or e.g. Support, Billing)")
        self.priorities = _checkboxes([p.value for p in Priority])
        self.channels = _checkboxes([c.value for c in Channel])
        self.tags = QLineEdit()
        self.tags.setPlaceholderText("any customer (or tags, e.g. vip, partner)")
        self.targets: dict[TargetKind, tuple[QCheckBox, QSpinBox, QComboBox]] = {}
        open_statuses = [s.value for s in Status if s not in CLOSING_STATUSES]
        self.pauses = _checkboxes(open_statuses)
        self.escalate = QGroupBox("Escalate on breach")
        self.escalate.setCheckable(True)
        self.breach_of = _checkboxes(
            [k.value for k in TargetKind], {k.value: v for k, v in KIND_LABELS.items()}
        )
        self.raise_priority = QComboBox()
        self.raise_priority.addItem("Leave it", None)
        self.raise_priority.addItem("One step up", RAISE_ONE_STEP)
        for priority in (Priority.NORMAL, Priority.HIGH, Priority.URGENT):
            self.raise_priority.addItem(f"Raise to {priority.value}", priority.value)
        self.notify_leads = QCheckBox("Notify the department's leads")
        self.move_to = QComboBox()
        self.move_to.addItem("Keep it where it is", None)
        for name in departments:
            self.move_to.addItem(f"Move to {name}", name)

        form = _top_aligned_form(self)
        form.addRow("Name", _with_error(self.name, self.errors.label("name")))
        form.addRow("Calendar", _with_error(self.calendar, self.errors.label("calendar")))
        form.addRow("Departments", _with_error(self.departments, self.errors.label("departments")))
        form.addRow(
            "Priorities", _with_error(_row(self.priorities), self.errors.label("priorities"))
        )
        form.addRow("Channels", _with_error(_row(self.channels), self.errors.label("channels")))
        form.addRow("Customer tags", _with_error(self.tags, self.errors.label("customer_tags")))
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(2)
        for row, kind in enumerate(TargetKind):
            enabled = QCheckBox(KIND_LABELS[kind])
            minutes = QSpinBox()
            minutes.setRange(1, 525_600)
            minutes.setSuffix(" min")
            minutes.setValue(60)
            minutes.setMinimumWidth(110)
            clock = QComboBox()
            clock.addItem("business hours", True)
            clock.addItem("calendar time", False)
            self.targets[kind] = (enabled, minutes, clock)
            grid.addWidget(enabled, row * 2, 0)
            grid.addWidget(minutes, row * 2, 1)
            grid.addWidget(clock, row * 2, 2)
            grid.addWidget(self.errors.label(f"targets.{kind.value}"), row * 2 + 1, 0, 1, 3)
            enabled.toggled.connect(self.edited)
            minutes.valueChanged.connect(self.edited)
            clock.currentIndexChanged.connect(self.edited)
        grid.addWidget(self.errors.label("targets"), 6, 0, 1, 3)
        grid.setColumnStretch(3, 1)
        form.addRow("Targets", grid)
        form.addRow(
            "Clock pauses while",
            _with_error(_row(self.pauses), self.errors.label("pause_statuses")),
        )
        escalation = QFormLayout(self.escalate)
        escalation.addRow("After a breach of", _row(self.breach_of))
        escalation.addRow("Priority", self.raise_priority)
        escalation.addRow("Department", self.move_to)
        escalation.addRow("", self.notify_leads)
        escalation.addRow(self.errors.label("escalation"))
        self.breach_of_hint = plain_label("None ticked: a breach of any target escalates.")
        self.breach_of_hint.setObjectName("muted")
        escalation.insertRow(1, "", self.breach_of_hint)
        form.addRow(self.escalate)
        self.errors.labels[""] = self.errors.labels["name"]

        for edit in (self.name, self.departments, self.tags):
            edit.textEdited.connect(self.edited)
        for combo in (self.calendar, self.raise_priority, self.move_to):
            combo.currentIndexChanged.connect(self.edited)
        boxes = [*self.priorities.values(), *self.channels.values(), *self.pauses.values()]
        for box in [*boxes, *self.breach_of.values(), self.notify_leads]:
            box.toggled.connect(self.edited)
        self.escalate.toggled.connect(self.edited)

    def set_calendars(self, names: list[str]) -> None:
        current = self.calendar.currentData()
        self.calendar.blockSignals(True)
        self.calendar.clear()
        self.calendar.addItem("None (calendar time only)", None)
        for name in names:
            self.calendar.addItem(name, name)
        index = self.calendar.findData(current)
        self.calendar.setCurrentIndex(max(index, 0))
        self.calendar.blockSignals(False)

    def _all_widgets(self) -> list[QWidget]:
        widgets: list[QWidget] = [self.name, self.calendar, self.departments, self.tags]
        widgets += [*self.priorities.values(), *self.channels.values(), *self.pauses.values()]
        widgets += [*self.breach_of.values(), self.raise_priority, self.move_to]
        widgets += [self.notify_leads, self.escalate]
        for row in self.targets.values():
            widgets += list(row)
        return widgets

    def load(self, data: dict[str, Any]) -> None:
        widgets = self._all_widgets()
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.name.setText(data.get("name", ""))
            index = self.calendar.findData(data.get("calendar"))
            if index < 0 and data.get("calendar"):
                self.calendar.addItem(data["calendar"], data["calendar"])
                index = self.calendar.count() - 1
            self.calendar.setCurrentIndex(max(index, 0))
            self.departments.setText(", ".join(data.get("departments") or []))
            self.tags.setText(", ".join(data.get("customer_tags") or []))
            for boxes, key in (
                (self.priorities, "priorities"),
                (self.channels, "channels"),
                (self.pauses, "pause_statuses"),
            ):
                chosen = set(data.get(key) or [])
                for value, box in boxes.items():
                    box.setChecked(value in chosen)
            targets = {t.get("kind"): t for t in data.get("targets") or []}
            for kind, (enabled, minutes, clock) in self.targets.items():
                target = targets.get(kind.value)
                enabled.setChecked(target is not None)
                minutes.setValue(int((target or {}).get("minutes", 60)))
                clock.setCurrentIndex(0 if (target or {}).get("business_hours", True) else 1)
            escalation = data.get("escalation") or {}
            self.escalate.setChecked(bool(escalation))
            chosen = set(escalation.get("breach_of") or [])
            for value, box in self.breach_of.items():
                box.setChecked(value in chosen)
            self.raise_priority.setCurrentIndex(
                max(self.raise_priority.findData(escalation.get("raise_priority")), 0)
            )
            self.notify_leads.setChecked(bool(escalation.get("notify_leads")))
            move_to = escalation.get("move_to")
            index = self.move_to.findData(move_to)
            if index < 0 and move_to:
                self.move_to.addItem(f"Move to {move_to}", move_to)
                index = self.move_to.count() - 1
            self.move_to.setCurrentIndex(max(index, 0))
        finally:
            for widget in widgets:
                widget.blockSignals(False)

    def value(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name.text().strip(),
            "departments": _names(self.departments.text()),
            "priorities": [v for v, box in self.priorities.items() if box.isChecked()],
            "channels": [v for v, box in self.channels.items() if box.isChecked()],
            "customer_tags": _names(self.tags.text()),
            "targets": [
                {
                    "kind": kind.value,
                    "minutes": minutes.value(),
                    "business_hours": bool(clock.currentData()),
                }
                for kind, (enabled, minutes, clock) in self.targets.items()
                if enabled.isChecked()
            ],
            "pause_statuses": [v for v, box in self.pauses.items() if box.isChecked()],
            "calendar": self.calendar.currentData(),
        }
        if self.escalate.isChecked():
            data["escalation"] = {
                "breach_of": [v for v, box in self.breach_of.items() if box.isChecked()],
                "raise_priority": self.raise_priority.currentData(),
                "notify_leads": self.notify_leads.isChecked(),
                "move_to": self.move_to.currentData(),
            }
        return data


__all__ = ["CalendarForm", "FieldErrors", "PolicyForm"]
