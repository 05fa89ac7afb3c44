"""The template picker: a keyboard-only popup over the composer.

Type to search (fuzzy, over title, shortcut, tags and body), Up/Down to choose, Enter to insert,
Esc to close; Ctrl+D marks a favourite. The preview is the template filled with this ticket's
values, so what is shown is what is inserted. A template that asks for `input.*` values opens a
small form first (Enter moves on, Enter on the last field inserts, Esc goes back).

The template list and the ticket's values are loaded on the task runner; searching and filling in
run on the GUI thread because both are pure and take milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QListView,
    QPlainTextEdit,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desk_app.core.fuzzy import Candidate, FuzzyIndex
from desk_app.core.templates import ReplyFacts, TemplateError, precompile, writing_language
from desk_app.store.template_store import (
    FilledTemplate,
    TemplateRecord,
    TemplateStore,
    fill_template,
)
from desk_app.ui.context import DeskContext
from desk_app.ui.plain import escape, plain_label, rich_label, tooltip
from desk_app.ui.plurals import english_plural, fill

RESULTS = 50
PICKER_SIZE = QSize(720, 420)
MARGIN = 8
PREVIEW_DELAY_MS = 40
WARM = 20  # templates compiled ahead, off the GUI thread: those the picker shows first
# Rows with air around them, and an edge that sets the floating picker apart from the window
# (a border, not a drop shadow: a shadow effect re-renders and blurs the picker on every key).
PICKER_STYLE = """
#templatePicker {
    border: 1px solid palette(shadow); border-radius: 6px; background: palette(window);
}
#templateResults::item { padding: 5px 6px; }
#templatePreview { padding: 4px; }
"""


@dataclass(frozen=True)
class Library:
    """What the picker needs for one ticket, loaded off the GUI thread."""

    templates: list[TemplateRecord]
    facts: ReplyFacts | None
    now: datetime


class _Results(QAbstractListModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[TemplateRecord] = []

    def set_rows(self, rows: list[TemplateRecord]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> object:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            star = "★ " if row.favourite else ""
            shortcut = f"   /{row.shortcut}" if row.shortcut else ""
            return f"{star}{row.title}{shortcut}   · {row.language}"
        if role == Qt.ItemDataRole.ToolTipRole:
            tags = " ".join(f"#{t}" for t in row.tags)
            return tooltip(f"{row.title}\n{tags}\nUsed {row.uses} times".strip())
        return None


class _InputForm(QWidget):
    """One line per `input.*` value the template asks for."""

    finished = Signal()
    back = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = rich_label("")
        self.title.setObjectName("pickerFormTitle")
        self.title.setWordWrap(True)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        hint = plain_label("Enter: next field, then insert · Esc: back to the list")
        hint.setObjectName("muted")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addLayout(self.form)
        layout.addStretch(1)
        layout.addWidget(hint)
        self.fields: dict[str, QLineEdit] = {}

    def ask(self, title: str, names: list[str], known: dict[str, str]) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = {}
        self.title.setText(f"<b>{escape(title)}</b> needs a few values:")
        for name in names:
            edit = QLineEdit(known.get(name, ""))
            edit.setObjectName(f"input_{name}")
            edit.setPlaceholderText(self.tr("leave empty to fill in later in the reply"))
            edit.installEventFilter(self)
            self.form.addRow(name.replace("_", " ").capitalize(), edit)
            self.fields[name] = edit
        if self.fields:
            next(iter(self.fields.values())).setFocus()

    def values(self) -> dict[str, str]:
        return {name: edit.text() for name, edit in self.fields.items()}

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() == Qt.Key.Key_Escape:
                self.back.emit()
                return True
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                edits = list(self.fields.values())
                position = edits.index(watched) if watched in edits else len(edits) - 1
                if position + 1 < len(edits):
                    edits[position + 1].setFocus()
                else:
                    self.finished.emit()
                return True
        return False


class TemplatePicker(QFrame):
    """Emits `chosen` with the FilledTemplate to insert, or `cancelled` with the query typed
    (so a "/" that opened the picker is not lost when the agent only meant a slash).

    It floats over the window as a child widget rather than a separate popup window: popups
    grab the keyboard in platform-specific ways (and not at all on Wayland or offscreen), while
    a child closes reliably when focus moves anywhere outside it."""

    chosen = Signal(object)  # FilledTemplate
    cancelled = Signal(str)
    favourite_toggled = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("templatePicker")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFrameShadow(QFrame.Shadow.Raised)
        self.setAutoFillBackground(True)
        self.setStyleSheet(PICKER_STYLE)
        self.hide()
        self._library: Library | None = None
        self._index = FuzzyIndex([])
        self._by_id: dict[int, TemplateRecord] = {}
        self._language: str | None = None
        self._inputs: dict[str, str] = {}
        self._done = False
        self._previewed_id: int | None = None
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self.show_preview_now)

        self.search = QLineEdit()
        self.search.setObjectName("templateSearch")
        self.search.setPlaceholderText(
            self.tr("Search templates: title, /shortcut, #tag or words…")
        )
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.filter)
        self.search.installEventFilter(self)
        self.model = _Results(self)
        self.results = QListView()
        self.results.setObjectName("templateResults")
        self.results.setModel(self.model)
        self.results.setUniformItemSizes(True)
        self.results.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.results.setMinimumWidth(260)
        self.results.selectionModel().currentChanged.connect(lambda *_: self._show_preview())
        self.results.doubleClicked.connect(lambda _index: self.choose())
        self.preview = QPlainTextEdit()
        self.preview.setObjectName("templatePreview")
        self.preview.setReadOnly(True)
        self.preview.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.status = plain_label("")
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        hint = plain_label("↑↓ choose · Enter insert · Ctrl+D favourite · Esc close")
        hint.setObjectName("muted")

        columns = QHBoxLayout()
        columns.setSpacing(8)
        columns.addWidget(self.results, 5)
        columns.addWidget(self.preview, 6)
        list_page = QWidget()
        page = QVBoxLayout(list_page)
        page.setContentsMargins(0, 0, 0, 0)
        page.setSpacing(6)
        page.addWidget(self.search)
        page.addLayout(columns, 1)
        page.addWidget(self.status)
        page.addWidget(hint)
        self.form = _InputForm()
        self.form.finished.connect(self._form_finished)
        self.form.back.connect(self._form_back)
        self.pages = QStackedWidget()
        self.pages.addWidget(list_page)
        self.pages.addWidget(self.form)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.addWidget(self.pages)
        self.resize(PICKER_SIZE)

    # --- data ---------------------------------------------------------------------------------

    def set_library(self, library: Library) -> None:
        self._library = library
        self._by_id = {t.id: t for t in library.templates}
        self._index = FuzzyIndex(
            Candidate(
                id=t.id,
                title=t.title,
                shortcut=t.shortcut or "",
                tags=" ".join(t.tags),
                body=t.body,
                language=t.language,
                favourite=t.favourite,
                uses=t.uses,
            )
            for t in library.templates
        )
        customer = library.facts.customer_language if library.facts else None
        self._language = writing_language(customer) if customer else None
        self._previewed_id = None  # the ticket's values may have changed
        chosen = self.current()
        self.model.set_rows([])
        self.filter(self.search.text())
        # A fresher list arriving while the agent browses keeps their place.
        if chosen is not None:
            for row, template in enumerate(self.model.rows):
                if template.id == chosen.id:
                    self.results.setCurrentIndex(self.model.index(row, 0))
                    break

    def open_at(self, position: QPoint, query: str = "") -> None:
        """Show with its top-left near `position` (parent coordinates), kept inside the parent."""
        self._done = False
        self.pages.setCurrentIndex(0)
        self.search.setText(query)
        self.filter(query)
        host = self.parentWidget()
        if host is not None:
            area = host.rect()
            width = min(PICKER_SIZE.width(), area.width() - 2 * MARGIN)
            height = min(PICKER_SIZE.height(), area.height() - 2 * MARGIN)
            self.resize(max(width, 320), max(height, 220))
            x = min(max(MARGIN, position.x()), area.width() - self.width() - MARGIN)
            y = position.y()
            if y + self.height() > area.height() - MARGIN:
                y = area.height() - self.height() - MARGIN  # no room below: slide up
            position = QPoint(max(MARGIN, x), max(MARGIN, y))
        self.move(position)
        self.show()
        self.raise_()
        self.search.setFocus()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed, Qt.ConnectionType.UniqueConnection)

    def _focus_changed(self, _old: QWidget | None, now: QWidget | None) -> None:
        # A click or Tab anywhere outside closes the picker, as a popup would.
        if self.isVisible() and (now is None or not self.isAncestorOf(now)):
            self.hide()

    # --- searching ----------------------------------------------------------------------------

    def filter(self, query: str) -> None:
        if self._library is None:
            self.model.set_rows([])
            self.status.setText(self.tr("Loading templates…"))
            self.preview.setPlainText("")
            return
        found = self._index.search(query, self._language, RESULTS)
        rows = [self._by_id[c.id] for c in found]
        if rows == self.model.rows and self.results.currentIndex().isValid():
            # More letters often leave the same templates on top: nothing to redraw.
            return
        self.model.set_rows(rows)
        if found:
            total = len(self._index)
            words = english_plural(self.tr("%1 shown of %n template(s)", "", total), total)
            self.status.setText(fill(words, str(len(found))))
            # Making the first row current shows its preview (currentChanged).
            self.results.setCurrentIndex(self.model.index(0, 0))
            return
        self._preview_timer.stop()
        self._previewed_id = None
        self.preview.setPlainText("")
        self.status.setText(
            "No template matches."
            if len(self._index)
            else "No templates yet: add some in Ticket ▸ Manage templates…"
        )

    def current(self) -> TemplateRecord | None:
        row = self.results.currentIndex().row()
        return self.model.rows[row] if 0 <= row < len(self.model.rows) else None

    def _fill(self, template: TemplateRecord, inputs: dict[str, str]) -> FilledTemplate:
        library = self._library
        assert library is not None
        facts = library.facts or ReplyFacts()
        return fill_template(template, facts, library.now, inputs)

    def _show_preview(self) -> None:
        # Filling in a template the first time compiles it (a few ms): wait until typing
        # pauses, so keystrokes only ever pay for the search.
        self._preview_timer.start()

    def show_preview_now(self) -> None:
        self._preview_timer.stop()
        template = self.current()
        if template is None or template.id == self._previewed_id:
            return
        self._previewed_id = template.id
        try:
            filled = self._fill(template, {})
        except TemplateError as exc:
            self.preview.setPlainText(f"This template cannot be used: {exc}")
            return
        self.preview.setPlainText(filled.text)
        if filled.missing:
            self.status.setText("To fill in after inserting: " + ", ".join(filled.missing))

    def _move(self, step: int) -> None:
        count = self.model.rowCount()
        if not count:
            return
        row = max(0, min(count - 1, self.results.currentIndex().row() + step))
        self.results.setCurrentIndex(self.model.index(row, 0))

    # --- choosing -----------------------------------------------------------------------------

    def choose(self) -> None:
        template = self.current()
        if template is None:
            return
        if template.inputs:
            self.form.ask(template.title, template.inputs, self._inputs)
            self.pages.setCurrentIndex(1)
            return
        self._insert(template, {})

    def _form_finished(self) -> None:
        template = self.current()
        if template is None:
            return
        values = self.form.values()
        self._inputs.update({k: v for k, v in values.items() if v.strip()})
        self._insert(template, values)

    def _form_back(self) -> None:
        self.pages.setCurrentIndex(0)
        self.search.setFocus()

    def _insert(self, template: TemplateRecord, inputs: dict[str, str]) -> None:
        try:
            filled = self._fill(template, inputs)
        except TemplateError as exc:
            self.status.setText(f"Cannot insert '{template.title}': {exc}")
            self.pages.setCurrentIndex(0)
            return
        self._done = True
        self.hide()
        self.chosen.emit(filled)

    def hideEvent(self, event: object) -> None:
        super().hideEvent(event)  # type: ignore[arg-type]
        if not self._done:
            self._done = True
            self.cancelled.emit(self.search.text())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_PageDown, Qt.Key.Key_PageUp):
                steps = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1, Qt.Key.Key_PageDown: 10}
                self._move(steps.get(Qt.Key(key), -10))
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.choose()
                return True
            if key == Qt.Key.Key_Escape:
                self.hide()
                return True
            if key == Qt.Key.Key_D and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
                template = self.current()
                if template is not None:
                    self.favourite_toggled.emit(template.id)
                return True
        return super().eventFilter(watched, event)


class TicketTemplates:
    """Loads the library for the open ticket on the task runner; shared by the composer."""

    def __init__(self, ctx: DeskContext, ticket_id: Callable[[], int | None]) -> None:
        self._ctx = ctx
        self._ticket_id = ticket_id
        service = ctx.service
        self._store = TemplateStore(service.db, service.actor_id, ctx.clock)

    def load(self, done: Callable[[Library], None]) -> None:
        store, ticket_id, clock = self._store, self._ticket_id(), self._ctx.clock

        def work() -> Library:
            facts = store.reply_facts(ticket_id) if ticket_id is not None else None
            templates = store.templates()
            language = writing_language(facts.customer_language) if facts else None
            first_shown = sorted(
                templates,
                key=lambda t: (t.language != language, not t.favourite, -t.uses, t.title),
            )[:WARM]
            precompile([t.body for t in first_shown])
            return Library(templates, facts, clock())

        self._ctx.runner.run(work, done)

    def toggle_favourite(self, template_id: int, done: Callable[[bool], None]) -> None:
        store = self._store
        self._ctx.runner.run(lambda: store.toggle_favourite(template_id), done)
