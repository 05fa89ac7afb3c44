"""The workload board's bar chart, painted with QPainter (PySide6-Essentials has no QtCharts).

One horizontal bar per department or agent, as long as their open tickets, split into what is
breached (red), due soon (amber) and the rest; the figures beside it. A click on a segment
asks for the matching inbox view, as a click on the table's cell does.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from desk_app.store.workload import Load
from desk_app.ui.plain import tooltip
from desk_app.ui.plurals import english_plural, fill
from desk_app.ui.styles import LIGHT_COLOURS, accent, mix, muted_text

ROW_HEIGHT = 26
BAR_HEIGHT = 14
LEGEND_HEIGHT = 28
NAME_WIDTH = 150
FIGURES_WIDTH = 150
MARGIN = 10
# Segment keys double as the table's column names, so both drill down the same way.
SEGMENTS = ("breached", "due_soon", "open")
SEGMENT_LABELS = {"breached": "Breached", "due_soon": "Due soon", "open": "Other open"}


@dataclass(frozen=True)
class _Segment:
    row: int
    key: str
    rect: QRect


class WorkloadChart(QWidget):
    segment_clicked = Signal(int, str)  # row, "breached" | "due_soon" | "open"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("workloadChart")
        self.loads: list[Load] = []
        self._segments: list[_Segment] = []
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_loads(self, loads: list[Load]) -> None:
        self.loads = list(loads)
        self.setFixedHeight(self.sizeHint().height())
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(NAME_WIDTH + FIGURES_WIDTH + 240, self._height())

    def minimumSizeHint(self) -> QSize:
        return QSize(NAME_WIDTH + FIGURES_WIDTH + 120, self._height())

    def _height(self) -> int:
        return LEGEND_HEIGHT + max(len(self.loads), 1) * ROW_HEIGHT + MARGIN

    def colours(self) -> dict[str, QColor]:
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        return {
            "breached": QColor(LIGHT_COLOURS["red"]),
            "due_soon": QColor(LIGHT_COLOURS["amber"]),
            "open": mix(base, accent(palette), 0.55),
        }

    # --- painting ---------------------------------------------------------------------------

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        colours = self.colours()
        metrics = QFontMetrics(self.font())
        self._paint_legend(painter, colours, metrics)
        self._segments = []
        if not self.loads:
            painter.setPen(muted_text(palette))
            painter.drawText(
                QRect(MARGIN, LEGEND_HEIGHT, self.width() - 2 * MARGIN, ROW_HEIGHT),
                Qt.AlignmentFlag.AlignVCenter,
                "Nothing to show yet.",
            )
            return
        widest = max(max(load.open for load in self.loads), 1)
        track = max(self.width() - NAME_WIDTH - FIGURES_WIDTH - 3 * MARGIN, 40)
        for row, load in enumerate(self.loads):
            top = LEGEND_HEIGHT + row * ROW_HEIGHT
            line = QRect(MARGIN, top, NAME_WIDTH, ROW_HEIGHT)
            painter.setPen(palette.color(QPalette.ColorRole.Text))
            name = metrics.elidedText(load.name, Qt.TextElideMode.ElideRight, NAME_WIDTH - 6)
            painter.drawText(line, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, name)
            x = MARGIN * 2 + NAME_WIDTH
            y = top + (ROW_HEIGHT - BAR_HEIGHT) // 2
            rest = load.open - load.breached - load.due_soon
            for key, count in (
                ("breached", load.breached),
                ("due_soon", load.due_soon),
                ("open", max(rest, 0)),
            ):
                if count <= 0:
                    continue
                # At least a few pixels, so a single breached ticket is visible next to fifty.
                width = max(round(track * count / widest), 4)
                rect = QRect(x, y, width, BAR_HEIGHT)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(colours[key])
                painter.drawRect(rect)
                self._segments.append(_Segment(row, key, rect))
                x += width
            painter.setPen(muted_text(palette))
            figures = f"{load.open} open · {load.new_today} new today"
            painter.drawText(
                QRect(x + 8, top, FIGURES_WIDTH, ROW_HEIGHT),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                figures,
            )

    def _paint_legend(
        self, painter: QPainter, colours: dict[str, QColor], metrics: QFontMetrics
    ) -> None:
        x, line = MARGIN, QRect(0, 4, 0, LEGEND_HEIGHT - 8)
        for key in SEGMENTS:
            painter.setBrush(colours[key])
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawRect(QRect(x, line.center().y() - 4, 10, 10))
            painter.setPen(muted_text(self.palette()))
            label = SEGMENT_LABELS[key]
            width = metrics.horizontalAdvance(label)
            painter.drawText(
                QRect(x + 15, line.top(), width + 2, line.height()),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                label,
            )
            x += 15 + width + 16

    # --- clicks -----------------------------------------------------------------------------

    def segment_at(self, point: QPoint) -> tuple[int, str] | None:
        for segment in self._segments:
            if segment.rect.adjusted(0, -4, 0, 4).contains(point):
                return segment.row, segment.key
        return None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        hit = self.segment_at(event.position().toPoint())
        self.setCursor(Qt.CursorShape.PointingHandCursor if hit else Qt.CursorShape.ArrowCursor)
        if hit is not None:
            load = self.loads[hit[0]]
            rest = load.open - load.breached - load.due_soon
            count = {"breached": load.breached, "due_soon": load.due_soon}.get(hit[1], rest)
            label = self.tr(SEGMENT_LABELS[hit[1]]).lower()
            words = self.tr("%1: %n %2; click to open [it|them]", "", count)
            self.setToolTip(tooltip(fill(english_plural(words, count), load.name, label)))
        else:
            self.setToolTip("")
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        hit = self.segment_at(event.position().toPoint())
        if hit is not None and event.button() == Qt.MouseButton.LeftButton:
            self.segment_clicked.emit(*hit)
        super().mouseReleaseEvent(event)
