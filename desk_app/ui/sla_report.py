"""The SLA report: first-response and resolution compliance per department and per agent for a
date range, as `desk report sla` gives it. The figures come from sla_store.compliance_report on
the task runner; this dialog only picks the range and lays the numbers out."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desk_app.store.sla_store import compliance_report
from desk_app.ui.context import DeskContext
from desk_app.ui.plain import plain_label
from desk_app.ui.plurals import english_plural
from desk_app.ui.window_sizing import pin_minimum_size

KINDS = (("first_response", "First response"), ("resolution", "Resolution"))
PARTS = ("met", "missed", "in time")
# Two-line headers keep seven columns readable at the dialog's width.
COLUMNS = ["Name"] + [f"{label}\n{part}" for _kind, label in KINDS for part in PARTS]
DEFAULT_DAYS = 30
FIGURE_WIDTH = 112


class SlaReportDialog(QDialog):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(self.tr("SLA compliance"))
        self.setObjectName("slaReport")
        today = ctx.now().astimezone(ctx.time_zone).date()
        self.since_edit = self._date_edit(today - timedelta(days=DEFAULT_DAYS - 1))
        self.until_edit = self._date_edit(today)
        self.show_button = QPushButton(self.tr("Show"))
        self.show_button.setDefault(True)
        self.show_button.clicked.connect(self.load)
        self.status = plain_label("")
        self.status.setObjectName("muted")
        picker = QHBoxLayout()
        picker.addWidget(plain_label("From"))
        picker.addWidget(self.since_edit)
        picker.addWidget(plain_label("to"))
        picker.addWidget(self.until_edit)
        picker.addWidget(self.show_button)
        picker.addStretch(1)
        picker.addWidget(self.status)

        self.tables = {"department": self._table(), "agent": self._table()}
        self.tabs = QTabWidget()
        self.tabs.addTab(self.tables["department"], "By department")
        self.tabs.addTab(self.tables["agent"], "By agent")
        note = plain_label(
            "A target counts once it has an outcome: met in time, or missed (answered late or "
            "still open past its due time). Targets are counted by the day they started."
        )
        note.setWordWrap(True)
        note.setObjectName("muted")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(picker)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.resize(940, 480)
        pin_minimum_size(self, 860, 360)
        self.report: dict[str, Any] | None = None

    def _date_edit(self, day: date) -> QDateEdit:
        edit = QDateEdit(QDate(day.year, day.month, day.day))
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        return edit

    def _table(self) -> QTableWidget:
        table = QTableWidget(0, len(COLUMNS))
        table.setHorizontalHeaderLabels(COLUMNS)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.verticalHeader().setVisible(False)
        table.setSortingEnabled(True)
        header = table.horizontalHeader()
        # Fixed figure columns (sized to contents, they grew to the header's one-line width and
        # pushed the names off screen); the name takes what is left.
        header.setMinimumSectionSize(FIGURE_WIDTH)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            table.setColumnWidth(column, FIGURE_WIDTH)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        return table

    # --- loading ----------------------------------------------------------------------------

    def range(self) -> tuple[datetime, datetime] | None:
        """The picked days in the agent's time zone, as [since, until) instants."""
        first, last = _day(self.since_edit.date()), _day(self.until_edit.date())
        if last < first:
            return None
        zone = self.ctx.time_zone
        since = datetime.combine(first, time(), zone)
        until = datetime.combine(last + timedelta(days=1), time(), zone)
        return since, until

    def load(self) -> None:
        picked = self.range()
        if picked is None:
            self.status.setText(self.tr("The end date is before the start date."))
            return
        since, until = picked
        db, clock = self.ctx.queries.db, self.ctx.clock
        self.status.setText(self.tr("Counting…"))
        self.show_button.setEnabled(False)

        def done(report: dict[str, Any]) -> None:
            self.show_button.setEnabled(True)
            self.show_report(report)

        def failed(error: BaseException) -> None:
            self.show_button.setEnabled(True)
            self.status.setText(self.tr("Could not load the figures."))
            self.ctx.runner.report(error)

        self.ctx.runner.run(lambda: compliance_report(db, since, until, clock), done, failed)

    def show_report(self, report: dict[str, Any]) -> None:
        self.report = report
        total = 0
        for dimension, table in self.tables.items():
            groups: dict[str, dict[str, Any]] = report.get(dimension, {})
            table.setSortingEnabled(False)
            table.setRowCount(len(groups))
            for row, (name, kinds) in enumerate(sorted(groups.items())):
                table.setItem(row, 0, QTableWidgetItem(name))
                for index, (kind, _label) in enumerate(KINDS):
                    figures = kinds.get(kind, {})
                    met, missed = figures.get("met", 0), figures.get("breached", 0)
                    compliance = figures.get("compliance")
                    if dimension == "department":
                        total += met + missed
                    base = 1 + index * 3
                    table.setItem(row, base, _number(met))
                    table.setItem(row, base + 1, _number(missed))
                    table.setItem(row, base + 2, _percent(compliance))
            table.setSortingEnabled(True)
            table.sortItems(0, Qt.SortOrder.AscendingOrder)
        self.status.setText(
            english_plural(self.tr("%n target(s) decided in the range", "", total), total)
            if total
            else self.tr("No decided targets here.")
        )


def _day(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class _FigureItem(QTableWidgetItem):
    """A right-aligned figure that sorts by its value, not its text ("9%" before "10%")."""

    def __init__(self, text: str, value: float) -> None:
        super().__init__(text)
        self.value = value
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        if isinstance(other, _FigureItem):
            return self.value < other.value
        return super().__lt__(other)


def _number(value: int) -> QTableWidgetItem:
    return _FigureItem(str(value), value)


def _percent(value: float | None) -> QTableWidgetItem:
    if value is None:
        return _FigureItem("—", -1.0)
    return _FigureItem(f"{value * 100:.1f}%", value)


def open_sla_report(ctx: DeskContext, parent: QWidget) -> SlaReportDialog:
    """Open the report (non-modal, so the agent can keep working beside it) and load it."""
    dialog = SlaReportDialog(ctx, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    dialog.load()
    return dialog
