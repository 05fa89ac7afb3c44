"""The composer: a reply to the customer or an internal note, with drafts kept as you type.

Each mode keeps its own text, as the store keeps one draft per kind, so switching to a note to
jot something down never loses the half-written reply.

Templates: Ctrl+T, or "/" typed at the start of a line, opens the template picker; the chosen
template is inserted at the cursor. Placeholders it could not fill stay in the text as markers
(⟦customer.first_name⟧), highlighted, and Send refuses them until they are replaced or the agent
explicitly sends without them.

News while writing: when a customer message or a reply arrives after the reply draft began, a
strip above the editor says so ("1 new message while you were writing — Show"); the ticket
pane decides what counts (core.draft_watch) and what Send does about it.

Nowhere to go: when no mail account can send or the customer has no address to write to, a
line above the editor says so while a reply is being written (the pane words it and keeps Send
from queueing a reply that cannot leave).
"""

from __future__ import annotations

from PySide6.QtCore import QRegularExpression, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QKeyEvent,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desk_app.core.enums import DraftKind, Status
from desk_app.core.templates import MARKER, drop_markers, markers
from desk_app.store.template_store import FilledTemplate
from desk_app.ui.plain import isolate, plain_label
from desk_app.ui.plurals import english_plural, fill
from desk_app.ui.styles import STATUS_LABELS
from desk_app.ui.template_picker import Library, TemplatePicker, TicketTemplates

DRAFT_DELAY_MS = 500
KINDS = (DraftKind.REPLY.value, DraftKind.NOTE.value)


class PlaceholderHighlighter(QSyntaxHighlighter):
    """Unfilled placeholders stand out, so the agent sees what still needs a value."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self._pattern = QRegularExpression(MARKER.pattern)
        self._format = QTextCharFormat()
        self._format.setBackground(QColor("#fde293"))
        self._format.setForeground(QColor("#5f3b00"))
        self._format.setFontWeight(QFont.Weight.DemiBold)

    def highlightBlock(self, text: str) -> None:
        matches = self._pattern.globalMatch(text)
        while matches.hasNext():
            match = matches.next()
            self.setFormat(match.capturedStart(), match.capturedLength(), self._format)


class ComposerEdit(QPlainTextEdit):
    """Ctrl+Enter sends from inside the editor; Esc hands focus back to the list; Ctrl+T or "/"
    at the start of a line asks for the template picker."""

    send_pressed = Signal()
    escape_pressed = Signal()
    templates_requested = Signal(bool)  # True: opened by typing "/"
    slash_opens_templates = True

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        control = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if enter and control:
            self.send_pressed.emit()
            return
        if event.key() == Qt.Key.Key_T and control:
            self.templates_requested.emit(False)
            return
        cursor = self.textCursor()
        if (
            self.slash_opens_templates
            and event.text() == "/"
            and not cursor.hasSelection()
            and cursor.positionInBlock() == 0
        ):
            self.templates_requested.emit(True)
            return
        if event.key() == Qt.Key.Key_Escape:
            self.escape_pressed.emit()
            return
        super().keyPressEvent(event)


class Composer(QFrame):
    send_requested = Signal(str, str, object)  # kind, body, status after (str | None)
    favourite_toggled = Signal(int)
    draft_changed = Signal(str, str)  # kind, body; already debounced
    escape_pressed = Signal()
    text_started = Signal(str)  # kind: the agent typed into an empty draft of this kind
    text_emptied = Signal(str)  # kind: the agent removed all of this kind's text
    show_new_requested = Signal()  # "Show" on the news strip

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self._new_count = 0
        self._group = QButtonGroup(self)
        self._texts: dict[str, str] = dict.fromkeys(KINDS, "")
        self._dirty: set[str] = set()
        self._kind = DraftKind.REPLY.value
        self._busy = False
        self._customer = ""
        self._loading = False
        # Templates inserted into each kind's text since it was last sent or loaded.
        self._template_ids: dict[str, list[int]] = {kind: [] for kind in KINDS}
        self._templates: TicketTemplates | None = None
        self._picker: TemplatePicker | None = None
        self._library: Library | None = None
        self._pending_send: str | None = None
        self._opened_by_slash = False
        self._route_warning = ""

        self.reply_button = self._mode_button("Reply", "modeButton", DraftKind.REPLY.value)
        self.note_button = self._mode_button("Internal note", "noteMode", DraftKind.NOTE.value)
        self.reply_button.setChecked(True)
        self.draft_state = plain_label("")
        self.draft_state.setObjectName("muted")
        self.editor = ComposerEdit()
        self.editor.setTabChangesFocus(True)
        self.editor.setMinimumHeight(64)
        self.editor.send_pressed.connect(self.send)
        self.editor.escape_pressed.connect(self.escape_pressed)
        self.editor.textChanged.connect(self._text_changed)
        self.editor.templates_requested.connect(self.open_templates)
        self.highlighter = PlaceholderHighlighter(self.editor.document())
        self.send_button = QPushButton(self.tr("Send"))
        self.send_button.setObjectName("primary")
        self.send_button.setToolTip(self.tr("Send (Ctrl+Enter)"))
        self.send_button.clicked.connect(lambda: self.send())

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DRAFT_DELAY_MS)
        self._timer.timeout.connect(self.flush_draft)

        modes = QHBoxLayout()
        modes.setSpacing(6)
        modes.addWidget(self.reply_button)
        modes.addWidget(self.note_button)
        modes.addSpacing(8)
        modes.addWidget(self.draft_state)
        modes.addStretch(1)
        modes.addWidget(self.send_button)
        self._status_button = QToolButton()
        self._status_button.setObjectName("sendMore")
        self._status_button.setText(self.tr("Send and… ▾"))
        self._status_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self._status_button.setMenu(self._send_menu())
        modes.addWidget(self._status_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 10)
        layout.setSpacing(6)
        layout.addLayout(modes)
        layout.addWidget(self._build_news_bar())
        self.route_label = plain_label("")
        self.route_label.setObjectName("replyRoute")
        self.route_label.setTextFormat(Qt.TextFormat.PlainText)
        self.route_label.setWordWrap(True)
        self.route_label.hide()
        layout.addWidget(self.route_label)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self._build_placeholder_bar())
        self._update_placeholder()

    def _build_placeholder_bar(self) -> QFrame:
        self.placeholder_bar = QFrame()
        self.placeholder_bar.setObjectName("placeholderBar")
        self.placeholder_label = plain_label("")
        self.placeholder_label.setWordWrap(True)
        self.fill_button = QPushButton(self.tr("Fill in"))
        self.fill_button.setToolTip(self.tr("Select the next placeholder to type over it"))
        self.fill_button.clicked.connect(lambda: self.select_next_placeholder())
        self.send_anyway_button = QPushButton(self.tr("Send without them"))
        self.send_anyway_button.setObjectName("sendWithFallbacks")
        self.send_anyway_button.setToolTip(self.tr("Remove the unfilled placeholders and send"))
        self.send_anyway_button.clicked.connect(self.send_with_fallbacks)
        row = QHBoxLayout(self.placeholder_bar)
        row.setContentsMargins(8, 4, 8, 4)
        row.addWidget(self.placeholder_label, 1)
        row.addWidget(self.fill_button)
        row.addWidget(self.send_anyway_button)
        self.placeholder_bar.hide()
        return self.placeholder_bar

    def _build_news_bar(self) -> QFrame:
        self.news_bar = QFrame()
        self.news_bar.setObjectName("newsBar")
        self.news_label = plain_label("")
        self.news_label.setObjectName("newsLabel")
        self.news_label.setTextFormat(Qt.TextFormat.PlainText)
        self.show_new_button = QPushButton(self.tr("Show"))
        self.show_new_button.setObjectName("showNew")
        self.show_new_button.setToolTip(self.tr("Scroll to the new messages and mark them read"))
        self.show_new_button.clicked.connect(self.show_new_requested)
        row = QHBoxLayout(self.news_bar)
        row.setContentsMargins(10, 3, 6, 3)
        row.setSpacing(8)
        # "Show" right after the words, as one sentence: "2 new messages … — Show".
        row.addWidget(self.news_label)
        row.addWidget(self.show_new_button)
        row.addStretch(1)
        self.news_bar.hide()
        return self.news_bar

    def set_new_messages(self, count: int) -> None:
        """How many messages arrived since the reply draft began and are not yet shown."""
        self._new_count = count
        if count:
            text = self.tr("%n new message(s) while you were writing —", "", count)
            self.news_label.setText(english_plural(text, count))
        self._update_news_bar()

    @property
    def new_message_count(self) -> int:
        return self._new_count

    def _update_news_bar(self) -> None:
        self.news_bar.setVisible(bool(self._new_count) and self._kind == DraftKind.REPLY)

    def set_reply_warning(self, text: str) -> None:
        """Why a reply on this ticket cannot be sent ("" when it can): shown while writing a
        reply, not a note (notes stay inside Desk)."""
        self._route_warning = text
        self.route_label.setText(text)
        self._update_route_label()

    @property
    def reply_warning(self) -> str:
        return self._route_warning

    def _update_route_label(self) -> None:
        self.route_label.setVisible(bool(self._route_warning) and self._kind == DraftKind.REPLY)

    def _mode_button(self, text: str, name: str, kind: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setObjectName(name)
        button.setCheckable(True)
        button.setAutoExclusive(True)
        button.clicked.connect(lambda: self.set_mode(kind))
        self._group.addButton(button)
        return button

    def _send_menu(self) -> QMenu:
        menu = QMenu(self)
        for status in (Status.PENDING, Status.SOLVED):
            action = menu.addAction(f"Send and set {STATUS_LABELS[status]}")
            action.triggered.connect(lambda _=False, s=status.value: self.send(status_after=s))
        return menu

    # --- state ------------------------------------------------------------------------------

    @property
    def kind(self) -> str:
        return self._kind

    def text(self) -> str:
        return self.editor.toPlainText()

    def set_mode(self, kind: str) -> None:
        if kind == self._kind:
            self.editor.setFocus()
            return
        self._texts[self._kind] = self.editor.toPlainText()
        self._kind = kind
        (self.reply_button if kind == DraftKind.REPLY else self.note_button).setChecked(True)
        self._update_send_buttons()
        self._set_editor_text(self._texts[kind])
        self._update_placeholder()
        self._update_news_bar()
        self._update_route_label()
        self.editor.setFocus()

    def load(self, customer: str, drafts: dict[str, str]) -> None:
        """Show another ticket's drafts. The caller flushes the previous ticket's draft first."""
        self._timer.stop()
        self._dirty.clear()
        self._customer = customer
        self._texts = {kind: drafts.get(kind, "") for kind in KINDS}
        self._template_ids = {kind: [] for kind in KINDS}
        self._library = None  # another ticket: its own values
        self.placeholder_bar.hide()
        # Open on the note if that is the only thing the agent had started.
        kind = DraftKind.NOTE.value if drafts.get("note") and not drafts.get("reply") else "reply"
        self._kind = kind
        (self.reply_button if kind == DraftKind.REPLY else self.note_button).setChecked(True)
        self._update_send_buttons()
        self._set_editor_text(self._texts[kind])
        self.draft_state.setText("Draft restored" if any(drafts.values()) else "")
        self._new_count = 0
        self._update_placeholder()
        self._update_news_bar()
        self._update_route_label()

    def _update_send_buttons(self) -> None:
        """The send buttons follow the mode and whether a send is under way, wherever either
        changes (a note sent, then another ticket opened on its reply, must offer Send and…)."""
        reply = self._kind == DraftKind.REPLY
        self.send_button.setText(self.tr("Send") if reply else self.tr("Add note"))
        self.send_button.setEnabled(not self._busy)
        self._status_button.setEnabled(not self._busy and reply)

    def clear_sent(self, kind: str) -> None:
        self._texts[kind] = ""
        self._template_ids[kind] = []
        self.placeholder_bar.hide()
        self._dirty.discard(kind)
        if kind == self._kind:
            self._set_editor_text("")
        self.draft_state.setText("")

    def _set_editor_text(self, text: str) -> None:
        self._loading = True
        try:
            self.editor.setPlainText(text)
            self.editor.moveCursor(self.editor.textCursor().MoveOperation.End)
        finally:
            self._loading = False

    def _update_placeholder(self) -> None:
        if self._kind == DraftKind.NOTE:
            self.editor.setPlaceholderText(
                self.tr("Internal note, only agents see it…  (Ctrl+Enter to add)")
            )
        else:
            who = self._customer or "the customer"
            self.editor.setPlaceholderText(f"Reply to {isolate(who)}…  (Ctrl+Enter to send)")

    # --- drafts -----------------------------------------------------------------------------

    def _text_changed(self) -> None:
        if self._loading:
            return
        had_text = bool(self._texts[self._kind].strip())
        self._texts[self._kind] = self.editor.toPlainText()
        has_text = bool(self._texts[self._kind].strip())
        if has_text and not had_text:
            self.text_started.emit(self._kind)
        elif had_text and not has_text:
            self.text_emptied.emit(self._kind)
        self._dirty.add(self._kind)
        self.draft_state.setText(self.tr("Editing…"))
        self._timer.start()
        if self.placeholder_bar.isVisible():
            self._show_unresolved(self._texts[self._kind])

    def flush_draft(self) -> None:
        """Hand unsaved text to the owner now (debounce elapsed, ticket switch or close)."""
        self._timer.stop()
        for kind in sorted(self._dirty):
            self.draft_changed.emit(kind, self._texts[kind])
        if self._dirty:
            self.draft_state.setText(self.tr("Draft saved"))
        self._dirty.clear()

    def has_unsaved_draft(self) -> bool:
        return bool(self._dirty)

    # --- sending ----------------------------------------------------------------------------

    def send(self, status_after: str | None = None) -> None:
        body = self.editor.toPlainText()
        if not body.strip():
            self.draft_state.setText(self.tr("Nothing to send"))
            return
        if markers(body):
            # Unfilled placeholders would reach the customer as "⟦customer.first_name⟧".
            self._pending_send = status_after
            self._show_unresolved(body)
            self.select_next_placeholder(from_start=True)
            return
        self._emit_send(body, status_after)

    def send_with_fallbacks(self) -> None:
        """The agent accepts sending without the unfilled placeholders."""
        body = drop_markers(self.editor.toPlainText())
        self.placeholder_bar.hide()
        if not body.strip():
            self.draft_state.setText(self.tr("Nothing to send"))
            return
        self._emit_send(body, self._pending_send)

    def _emit_send(self, body: str, status_after: str | None) -> None:
        # The service discards the stored draft with the send; don't race it with a save.
        self._timer.stop()
        self._dirty.discard(self._kind)
        after = status_after if self._kind == DraftKind.REPLY else None
        self.send_requested.emit(self._kind, body, after)

    def template_ids(self, kind: str | None = None) -> list[int]:
        """Templates inserted into this kind's text (for the reply's use figures)."""
        return list(self._template_ids[kind or self._kind])

    # --- placeholders ---------------------------------------------------------------------------

    def unresolved(self) -> list[str]:
        return [path for _start, _end, path in markers(self.editor.toPlainText())]

    def _show_unresolved(self, body: str) -> None:
        paths = list(dict.fromkeys(path for _s, _e, path in markers(body)))
        if not paths:
            self.placeholder_bar.hide()
            return
        words = self.tr(
            "%n placeholder(s) still [needs|need] a value: %1. Type over the highlighted text, "
            "or send without [it|them].",
            "",
            len(paths),
        )
        self.placeholder_label.setText(fill(english_plural(words, len(paths)), ", ".join(paths)))
        self.placeholder_bar.show()

    def select_next_placeholder(self, *, from_start: bool = False) -> None:
        text = self.editor.toPlainText()
        found = markers(text)
        if not found:
            return
        position = 0 if from_start else self.editor.textCursor().selectionEnd()
        start, end, _path = next((m for m in found if m[0] >= position), found[0])
        cursor = self.editor.textCursor()
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        self.editor.setTextCursor(cursor)
        self.editor.setFocus()

    # --- templates ------------------------------------------------------------------------------

    def use_templates(self, source: TicketTemplates) -> None:
        """Where the picker's templates and this ticket's values come from."""
        self._templates = source

    @property
    def picker(self) -> TemplatePicker:
        if self._picker is None:
            # A child of the window, floating over it (see TemplatePicker).
            self._picker = TemplatePicker(self.window())
            self._picker.chosen.connect(self.insert_template)
            self._picker.cancelled.connect(self._picker_cancelled)
            self._picker.favourite_toggled.connect(self._toggle_favourite)
        return self._picker

    def open_templates(self, slash: bool = False) -> None:
        if self._templates is None or not self.editor.isVisible():
            if slash:
                self.editor.insertPlainText("/")
            return
        self._opened_by_slash = slash
        picker = self.picker
        rect = self.editor.cursorRect()
        below = self.editor.viewport().mapTo(self.window(), rect.bottomLeft())
        picker.open_at(below)
        if self._library is not None:
            picker.set_library(self._library)
        self._reload_library()

    def _reload_library(self) -> None:
        if self._templates is not None:
            self._templates.load(self._library_arrived)

    def _library_arrived(self, library: Library) -> None:
        self._library = library
        if self._picker is not None:
            self._picker.set_library(library)

    def _toggle_favourite(self, template_id: int) -> None:
        if self._templates is not None:
            self._templates.toggle_favourite(template_id, lambda _now: self._reload_library())

    def _picker_cancelled(self, query: str) -> None:
        # "/" typed at the start of a line may simply be a slash: give back what was typed.
        if self._opened_by_slash:
            self.editor.insertPlainText("/" + query)
        self.editor.setFocus()

    def insert_template(self, filled: FilledTemplate) -> None:
        """Insert at the cursor (replacing a selection), remember the template for the reply's
        figures, and point at the first placeholder left to fill."""
        cursor = self.editor.textCursor()
        start = cursor.selectionStart()
        cursor.insertText(filled.text)
        self.editor.setTextCursor(cursor)
        ids = self._template_ids[self._kind]
        if filled.template_id not in ids:
            ids.append(filled.template_id)
        self.editor.setFocus()
        if filled.missing:
            after = self.editor.textCursor()
            after.setPosition(start)
            self.editor.setTextCursor(after)
            self.select_next_placeholder()
            self.draft_state.setText(f"Fill in: {', '.join(filled.missing)}")

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._update_send_buttons()
        if busy:
            self.draft_state.setText(self.tr("Sending…"))
