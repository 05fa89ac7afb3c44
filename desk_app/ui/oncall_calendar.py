"""Who is on call for the next four weeks, per rotation, with overrides marked: what a lead
checks before a holiday and what the person on call checks before the weekend."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desk_app.core.oncall import Rotation, Shift
from desk_app.store.oncall_store import OncallStore
from desk_app.ui.context import DeskContext
from desk_app.ui.plain import plain_label
from desk_app.ui.plurals import english_plural
from desk_app.ui.styles import ALERT_AMBER
from desk_app.ui.window_sizing import pin_minimum_size

WEEKS = 4
COLUMNS = ["From", "To", "On call", "Override"]


class OnCallCalendarDialog(QDialog):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(self.tr("On-call calendar"))
        self.setObjectName("oncallCalendar")
        self.store = OncallStore(ctx.queries.db, None, ctx.clock)
        self.rotation_box = QComboBox()
        self.rotation_box.currentIndexChanged.connect(lambda _i: self.load_shifts())
        self.status = plain_label("")
        self.status.setObjectName("muted")
        top = QHBoxLayout()
        top.addWidget(plain_label("Rotation"))
        top.addWidget(self.rotation_box, 1)
        top.addWidget(self.status)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        for column in range(3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(720, 460)
        pin_minimum_size(self, 560, 320)
        self.shifts: list[Shift] = []
        self._names: dict[int, str] = {}

    def load(self) -> None:
        """Read the rotations (then the first one's shifts) on the task runner."""
        store, queries = self.store, self.ctx.queries
        self.status.setText(self.tr("Loading…"))

        def work() -> tuple[list[tuple[int, Rotation]], dict[int, str]]:
            return store.rotations(), {a.id: a.display_name for a in queries.agents()}

        self.ctx.runner.run(work, lambda result: self._rotations_loaded(*result))

    def _rotations_loaded(
        self, rotations: list[tuple[int, Rotation]], names: dict[int, str]
    ) -> None:
        self._names = names
        self.rotation_box.blockSignals(True)
        self.rotation_box.clear()
        for _id, rotation in rotations:
            where = rotation.department or "team-wide"
            self.rotation_box.addItem(f"{rotation.name} ({where})", rotation.name)
        self.rotation_box.blockSignals(False)
        if not rotations:
            self.status.setText(self.tr("No rotations yet: desk oncall set …"))
            self.table.setRowCount(0)
            return
        self.load_shifts()

    def load_shifts(self) -> None:
        name = self.rotation_box.currentData()
        if not isinstance(name, str):
            return
        store, start = self.store, self.ctx.now()
        self.status.setText(self.tr("Loading…"))
        self.ctx.runner.run(lambda: store.calendar(name, start, WEEKS), self.show_shifts)

    def show_shifts(self, shifts: list[Shift]) -> None:
        self.shifts = shifts
        zone = self.ctx.time_zone
        self.table.setRowCount(len(shifts))
        overridden = QBrush(QColor(ALERT_AMBER))
        for row, shift in enumerate(shifts):
            cells = [
                shift.starts_at.astimezone(zone).strftime("%a %d %b %H:%M"),
                shift.ends_at.astimezone(zone).strftime("%a %d %b %H:%M"),
                self._names.get(shift.agent_id, f"agent {shift.agent_id}"),
                "",
            ]
            if shift.override is not None:
                instead = self._names.get(shift.scheduled_agent_id, "")
                reason = f": {shift.override.reason}" if shift.override.reason else ""
                cells[3] = f"instead of {instead}{reason}"
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if shift.override is not None:
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                    item.setForeground(overridden)
                self.table.setItem(row, column, item)
        overrides = sum(1 for s in shifts if s.override is not None)
        self.status.setText(
            self.tr("Next %1 weeks").replace("%1", str(WEEKS))
            + (
                " · " + english_plural(self.tr("%n override(s)", "", overrides), overrides)
                if overrides
                else ""
            )
        )


def open_oncall_calendar(ctx: DeskContext, parent: QWidget) -> OnCallCalendarDialog:
    dialog = OnCallCalendarDialog(ctx, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    dialog.load()
    return dialog
