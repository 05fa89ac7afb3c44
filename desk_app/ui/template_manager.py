"""The template manager: browse, filter and edit templates, check them, preview them against
a real ticket, and see which ones work (uses, and the share of tickets solved without the
customer writing again within 7 days: the candidates for automation).

Saving goes through the task runner with the version that was loaded; a colleague's newer edit
comes back as a message naming them, and the text in the editor stays as typed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
)
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desk_app.core.errors import ConflictError, DeskError
from desk_app.core.templates import (
    check_syntax,
    input_names,
    unknown_placeholders,
)
from desk_app.store.template_store import (
    SCOPES,
    FilledTemplate,
    TemplateFields,
    TemplateRecord,
    TemplateStore,
    fill_template,
)
from desk_app.ui.composer import PlaceholderHighlighter
from desk_app.ui.context import DeskContext
from desk_app.ui.plain import plain_label
from desk_app.ui.plurals import english_plural
from desk_app.ui.unsaved import guard

COLUMNS = ("Title", "Shortcut", "Lang", "Scope", "Uses", "Solved")
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ALL = ""
CHECK_DELAY_MS = 250


class TemplateTable(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[TemplateRecord] = []

    def set_rows(self, rows: list[TemplateRecord]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        tooltip = role == Qt.ItemDataRole.ToolTipRole
        if orientation == Qt.Orientation.Horizontal and tooltip and section == 5:
            return (
                "Share of tickets it was used on that were solved without another "
                "customer message within 7 days"
            )
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> object:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        t = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            scope = t.department if t.scope == "department" else t.scope.capitalize()
            share = t.share_solved
            return (
                ("★ " if t.favourite else "") + t.title,
                f"/{t.shortcut}" if t.shortcut else "",
                t.language,
                scope,
                str(t.uses),
                f"{share:.0%} of {t.tickets}" if share is not None else "—",
            )[column]
        if role == SORT_ROLE:
            share = t.share_solved
            return (
                t.title.casefold(),
                t.shortcut or "",
                t.language,
                t.scope,
                t.uses,
                -1.0 if share is None else share,
            )[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= 4:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class TemplateFilter(QSortFilterProxyModel):
    """Scope, language and words in the title, shortcut or tags; a few thousand rows at most,
    so filtering in the view is fine here."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.scope = ALL
        self.language = ALL
        self.words = ""
        self.setSortRole(SORT_ROLE)

    def set_filter(self, *, scope: str, language: str, words: str) -> None:
        self.beginFilterChange()
        self.scope, self.language, self.words = scope, language, words.casefold().strip()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(
        self,
        source_row: int,
        source_parent: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        model = self.sourceModel()
        assert isinstance(model, TemplateTable)
        t = model.rows[source_row]
        if self.scope and t.scope != self.scope:
            return False
        if self.language and t.language != self.language:
            return False
        if self.words:
            hay = f"{t.title} /{t.shortcut or ''} {' '.join(t.tags)}".casefold()
            return all(word in hay for word in self.words.split())
        return True


@dataclass
class _Editing:
    template: TemplateRecord | None  # None: a new template


class TemplateManager(QDialog):
    def __init__(
        self, ctx: DeskContext, parent: QWidget | None = None, ticket_id: int | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Templates"))
        self.setObjectName("templateManager")
        self.setMinimumSize(1100, 700)
        self._ctx = ctx
        service = ctx.service
        self._store = TemplateStore(service.db, service.actor_id, ctx.clock)
        self._editing = _Editing(None)
        self._delete_armed = False
        self._baseline: TemplateFields | None = None  # the editor's fields as last loaded
        self._reverting = False

        self.table_model = TemplateTable(self)
        self.proxy = TemplateFilter(self)
        self.proxy.setSourceModel(self.table_model)
        self.table = QTableView()
        self.table.setObjectName("templateTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 96), (2, 48), (3, 84), (4, 48), (5, 92)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._row_chosen())

        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Filter by title, /shortcut or tag"))
        self.search.setClearButtonEnabled(True)
        self.scope_filter = QComboBox()
        self.scope_filter.addItem("All scopes", ALL)
        for scope in SCOPES:
            self.scope_filter.addItem(scope.capitalize(), scope)
        self.language_filter = QComboBox()
        self.language_filter.addItem("All languages", ALL)
        for widget in (self.search,):
            widget.textChanged.connect(self._filter_changed)
        for combo in (self.scope_filter, self.language_filter):
            combo.currentIndexChanged.connect(self._filter_changed)

        self.new_button = QPushButton(self.tr("New"))
        self.new_button.clicked.connect(self.new_template)
        self.duplicate_button = QPushButton(self.tr("Duplicate"))
        self.duplicate_button.clicked.connect(self.duplicate_template)
        self.delete_button = QPushButton(self.tr("Delete"))
        self.delete_button.setObjectName("danger")
        self.delete_button.clicked.connect(self.delete_template)

        filters = QHBoxLayout()
        filters.addWidget(self.search, 1)
        filters.addWidget(self.scope_filter)
        filters.addWidget(self.language_filter)
        actions = QHBoxLayout()
        actions.addWidget(self.new_button)
        actions.addWidget(self.duplicate_button)
        actions.addStretch(1)
        actions.addWidget(self.delete_button)
        left = QWidget()
        left_column = QVBoxLayout(left)
        left_column.setContentsMargins(0, 0, 0, 0)
        left_column.addLayout(filters)
        left_column.addWidget(self.table, 1)
        left_column.addLayout(actions)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(left)
        splitter.addWidget(self._build_editor(ticket_id))
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([600, 500])
        self.message = plain_label("")
        self.message.setObjectName("muted")
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.message)

        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(CHECK_DELAY_MS)
        self._check_timer.timeout.connect(self.check)
        self._set_editor(None)

    def _build_editor(self, ticket_id: int | None) -> QWidget:
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.title_edit = QLineEdit()
        self.shortcut_edit = QLineEdit()
        self.shortcut_edit.setPlaceholderText(self.tr("e.g. refund (typed as /refund)"))
        self.language_edit = QComboBox()
        self.language_edit.setEditable(True)
        self.language_edit.addItems(["en", "ja", "ru"])
        self.language_edit.setMinimumContentsLength(5)
        self.tags_edit = QLineEdit()
        self.tags_edit.setPlaceholderText(self.tr("space-separated, e.g. billing refund"))
        self.scope_edit = QComboBox()
        for scope in SCOPES:
            self.scope_edit.addItem(scope.capitalize(), scope)
        self.department_edit = QComboBox()
        for department in self._ctx.departments:
            self.department_edit.addItem(department.name, department.id)
        self.scope_edit.currentIndexChanged.connect(self._scope_changed)
        self.subject_edit = QLineEdit()
        self.subject_edit.setPlaceholderText(self.tr("optional, for new outbound messages"))
        self.body_edit = QPlainTextEdit()
        self.body_edit.setObjectName("templateBody")
        self.body_edit.setFont(mono)
        self.body_edit.setTabChangesFocus(True)
        # The body is what people edit here: it keeps room even with large fonts, and the
        # preview below gives way first.
        self.body_edit.setMinimumHeight(140)
        self.body_edit.setPlaceholderText(
            self.tr(
                "Hello {{ customer.first_name | default('there') }},\n\n…\n\n{{ agent.signature }}"
            )
        )
        self._body_highlighter = PlaceholderHighlighter(self.body_edit.document())
        self.html_edit = QPlainTextEdit()
        self.html_edit.setFont(mono)
        self.html_edit.setTabChangesFocus(True)
        self.html_edit.setPlaceholderText(self.tr("optional rich body (HTML); values are escaped"))
        self.html_edit.setMaximumHeight(70)
        for edit in (self.body_edit, self.html_edit):
            edit.textChanged.connect(self._check_timer_start)
        self.subject_edit.textChanged.connect(self._check_timer_start)
        self.check_label = plain_label("")
        self.check_label.setObjectName("templateCheck")
        self.check_label.setWordWrap(True)
        self.save_button = QPushButton(self.tr("Save"))
        self.save_button.setObjectName("primary")
        self.save_button.setShortcut("Ctrl+S")
        self.save_button.clicked.connect(lambda: self.save())

        self.preview_ticket = QSpinBox()
        self.preview_ticket.setRange(1, 2_000_000_000)
        self.preview_ticket.setPrefix("#")
        self.preview_ticket.setValue(ticket_id or 1)
        self.preview_button = QPushButton(self.tr("Preview"))
        self.preview_button.clicked.connect(self.preview)
        self.preview_text = QPlainTextEdit()
        self.preview_text.setObjectName("templatePreview")
        self.preview_text.setReadOnly(True)
        self.preview_text.setMinimumHeight(90)
        self._preview_highlighter = PlaceholderHighlighter(self.preview_text.document())
        self.preview_missing = plain_label("")
        self.preview_missing.setObjectName("muted")
        self.preview_missing.setWordWrap(True)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("Title", self.title_edit)
        short_row = QHBoxLayout()
        short_row.addWidget(self.shortcut_edit, 1)
        short_row.addWidget(plain_label("Language"))
        short_row.addWidget(self.language_edit)
        form.addRow("Shortcut", short_row)
        form.addRow("Tags", self.tags_edit)
        scope_row = QHBoxLayout()
        scope_row.addWidget(self.scope_edit)
        scope_row.addWidget(self.department_edit, 1)
        form.addRow("Scope", scope_row)
        form.addRow("Subject", self.subject_edit)
        form.addRow("Body", self.body_edit)
        form.addRow("Rich body", self.html_edit)
        save_row = QHBoxLayout()
        save_row.addWidget(self.check_label, 1)
        save_row.addWidget(self.save_button)
        preview_row = QHBoxLayout()
        preview_row.addWidget(plain_label("Preview against ticket"))
        preview_row.addWidget(self.preview_ticket)
        preview_row.addWidget(self.preview_button)
        preview_row.addStretch(1)

        editor = QWidget()
        column = QVBoxLayout(editor)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(form, 3)
        column.addLayout(save_row)
        column.addLayout(preview_row)
        column.addWidget(self.preview_text, 2)
        column.addWidget(self.preview_missing)
        return editor

    # --- loading ------------------------------------------------------------------------------

    def load(self, select_id: int | None = None, then: Callable[[], None] | None = None) -> None:
        store = self._store
        self._ctx.runner.run(store.templates, lambda rows: self._loaded(rows, select_id, then))

    def _loaded(
        self,
        rows: list[TemplateRecord],
        select_id: int | None,
        then: Callable[[], None] | None = None,
    ) -> None:
        keep = select_id if select_id is not None else self._current_id()
        self.table_model.set_rows(rows)
        languages = sorted({t.language for t in rows} | {"en", "ja", "ru"})
        chosen = self.language_filter.currentData()
        self.language_filter.blockSignals(True)
        self.language_filter.clear()
        self.language_filter.addItem("All languages", ALL)
        for language in languages:
            self.language_filter.addItem(language, language)
        self.language_filter.setCurrentIndex(max(0, self.language_filter.findData(chosen)))
        self.language_filter.blockSignals(False)
        if keep is not None:
            self.select(keep)
        elif self.proxy.rowCount():
            self.table.selectRow(0)
        self.message.setText(english_plural(self.tr("%n template(s)", "", len(rows)), len(rows)))
        if then is not None:
            then()

    def _current_id(self) -> int | None:
        return self._editing.template.id if self._editing.template else None

    def select(self, template_id: int) -> None:
        for row in range(self.proxy.rowCount()):
            source = self.proxy.mapToSource(self.proxy.index(row, 0))
            if self.table_model.rows[source.row()].id == template_id:
                self.table.selectRow(row)
                return

    def _filter_changed(self) -> None:
        self.proxy.set_filter(
            scope=self.scope_filter.currentData(),
            language=self.language_filter.currentData() or ALL,
            words=self.search.text(),
        )

    def _row_chosen(self) -> None:
        index = self.table.currentIndex()
        if not index.isValid() or self._reverting:
            return
        chosen = self.table_model.rows[self.proxy.mapToSource(index).row()]
        editing = self._editing.template
        if editing is not None and chosen.id == editing.id:
            self._set_editor(chosen)  # the same template, reloaded
            return
        guard(
            self,
            self._editing_name(),
            dirty=self.is_dirty(),
            save=self.save,
            proceed=lambda: self._go_to(chosen.id),
            stay=self._reselect_editing,
        )

    def _go_to(self, template_id: int) -> None:
        """Show this template in the editor and select its row."""
        for record in self.table_model.rows:
            if record.id == template_id:
                self._set_editor(record)
                break
        self._reselect_editing()

    def _reselect_editing(self) -> None:
        """Put the selection back on the template in the editor, without reloading it."""
        self._reverting = True
        try:
            editing = self._editing.template
            if editing is None:
                self.table.clearSelection()
                self.table.selectionModel().clearCurrentIndex()
            else:
                self.select(editing.id)
        finally:
            self._reverting = False

    def is_dirty(self) -> bool:
        """Whether the editor holds changes that saving would keep and leaving would lose."""
        return self._baseline is not None and self.fields() != self._baseline

    def _editing_name(self) -> str:
        editing = self._editing.template
        if editing is None:
            return self.tr("the new template")
        return self.tr("“%1”").replace("%1", editing.title)

    def reject(self) -> None:
        """Esc and closing the window (QDialog routes its close event here) ask first."""
        guard(
            self,
            self._editing_name(),
            dirty=self.is_dirty(),
            save=self.save,
            proceed=lambda: QDialog.reject(self),
        )

    # --- editing ------------------------------------------------------------------------------

    def _set_editor(self, template: TemplateRecord | None) -> None:
        self._editing = _Editing(template)
        self._disarm_delete()
        self.title_edit.setText(template.title if template else "")
        self.shortcut_edit.setText(template.shortcut or "" if template else "")
        self.language_edit.setCurrentText(template.language if template else "en")
        self.tags_edit.setText(" ".join(template.tags) if template else "")
        self.scope_edit.setCurrentIndex(
            max(0, self.scope_edit.findData(template.scope if template else "personal"))
        )
        if template and template.department_id is not None:
            self.department_edit.setCurrentIndex(
                max(0, self.department_edit.findData(template.department_id))
            )
        self.subject_edit.setText(template.subject or "" if template else "")
        self.body_edit.setPlainText(template.body if template else "")
        self.html_edit.setPlainText(template.body_html or "" if template else "")
        self.duplicate_button.setEnabled(template is not None)
        self.delete_button.setEnabled(template is not None)
        self._scope_changed()
        self.check()
        self._baseline = self.fields()

    def _scope_changed(self) -> None:
        self.department_edit.setEnabled(self.scope_edit.currentData() == "department")

    def fields(self) -> TemplateFields:
        scope = self.scope_edit.currentData()
        return TemplateFields(
            title=self.title_edit.text(),
            body=self.body_edit.toPlainText(),
            body_html=self.html_edit.toPlainText() or None,
            subject=self.subject_edit.text() or None,
            language=self.language_edit.currentText().strip(),
            tags=self.tags_edit.text(),
            scope=scope,
            department=self.department_edit.currentData() if scope == "department" else None,
            shortcut=self.shortcut_edit.text() or None,
        )

    def _check_timer_start(self) -> None:
        self._check_timer.start()

    def check(self) -> bool:
        """Syntax of body, subject and rich body, with line and column; unknown names."""
        self._check_timer.stop()
        for what, source in (
            ("Body", self.body_edit.toPlainText()),
            ("Subject", self.subject_edit.text()),
            ("Rich body", self.html_edit.toPlainText()),
        ):
            problem = check_syntax(source)
            if problem is not None:
                self.check_label.setText(f"⚠ {what}, {problem}")
                self.check_label.setProperty("state", "error")
                return False
        warnings = unknown_placeholders(self.body_edit.toPlainText())
        inputs = input_names(self.body_edit.toPlainText())
        asks = f" Asks for: {', '.join(inputs)}." if inputs else ""
        self.check_label.setText(
            ("⚠ " + "; ".join(warnings) + "." if warnings else "✓ No mistakes.") + asks
        )
        return True

    def new_template(self) -> None:
        guard(
            self,
            self._editing_name(),
            dirty=self.is_dirty(),
            save=self.save,
            proceed=self._start_new,
        )

    def _start_new(self) -> None:
        self._set_editor(None)
        self._reselect_editing()
        self.title_edit.setFocus()

    def save(self, then: Callable[[], None] | None = None) -> None:
        """Save what is in the editor; `then` runs only if the save went through."""
        if not self.check():
            self.message.setText(self.tr("Fix the mistake shown before saving."))
            return
        fields, store, editing = self.fields(), self._store, self._editing.template
        if editing is None:
            work = lambda: store.create(fields)  # noqa: E731
        else:
            template_id, version = editing.id, editing.version
            work = lambda: store.edit(template_id, fields, expected_version=version)  # noqa: E731
        self._run(work, "save the template", lambda saved: self._saved(saved, then))

    def _saved(self, saved: TemplateRecord, then: Callable[[], None] | None = None) -> None:
        self._editing = _Editing(saved)
        self._baseline = self.fields()  # saved: nothing left to lose while the list reloads
        self.message.setText(f"Saved “{saved.title}”.")
        self.load(select_id=saved.id, then=then)

    def duplicate_template(self) -> None:
        # The copy is made from the saved template and then opened: ask about the edit first.
        guard(
            self,
            self._editing_name(),
            dirty=self.is_dirty(),
            save=self.save,
            proceed=self._duplicate,
        )

    def _duplicate(self) -> None:
        editing, store = self._editing.template, self._store
        if editing is None:
            return
        template_id = editing.id
        self._run(lambda: store.duplicate(template_id), "duplicate", self._saved)

    def delete_template(self) -> None:
        editing, store = self._editing.template, self._store
        if editing is None:
            return
        if not self._delete_armed:
            # Two presses, no modal box: quick from the keyboard, hard to do by accident.
            self._delete_armed = True
            self.delete_button.setText(self.tr("Press again to delete"))
            return
        template_id, version = editing.id, editing.version

        def deleted(_none: object) -> None:
            self.message.setText(f"Deleted “{editing.title}”.")
            self._set_editor(None)  # what was in the editor went with the template
            self.load()

        self._run(lambda: store.delete(template_id, expected_version=version), "delete", deleted)

    def _disarm_delete(self) -> None:
        self._delete_armed = False
        self.delete_button.setText(self.tr("Delete"))

    def _run(self, work: object, what: str, done: object) -> None:
        def failed(error: BaseException) -> None:
            self._disarm_delete()
            if isinstance(error, ConflictError):
                self.message.setText(f"Could not {what}: {error} Your text is still here.")
            elif isinstance(error, DeskError):
                self.message.setText(f"Could not {what}: {error}")
            else:
                self._ctx.runner.report(error)

        self._ctx.runner.run(work, done, failed)  # type: ignore[arg-type]

    # --- preview ------------------------------------------------------------------------------

    def preview(self) -> None:
        """Fill the template as it is in the editor (saved or not) for the chosen ticket."""
        store, ticket_id = self._store, self.preview_ticket.value()
        fields = self.fields()
        editing = self._editing.template
        now = datetime.now(UTC)
        draft = TemplateRecord(
            id=editing.id if editing else 0,
            title=fields.title,
            body=fields.body,
            body_html=fields.body_html,
            subject=fields.subject,
            language=fields.language,
            tags=[],
            scope=fields.scope,
            department_id=None,
            department=None,
            owner_id=None,
            owner=None,
            shortcut=None,
            version=0,
            created_at=now,
            updated_at=now,
            inputs=list(input_names(fields.body)),
        )

        def work() -> FilledTemplate:
            return fill_template(draft, store.reply_facts(ticket_id), store.clock())

        def failed(error: BaseException) -> None:
            if isinstance(error, DeskError):
                self.preview_text.setPlainText("")
                self.preview_missing.setText(f"No preview: {error}")
            else:
                self._ctx.runner.report(error)

        self._ctx.runner.run(work, self._previewed, failed)

    def _previewed(self, filled: FilledTemplate) -> None:
        parts = [f"Subject: {filled.subject}\n" if filled.subject else "", filled.text]
        self.preview_text.setPlainText("".join(parts))
        self.preview_missing.setText(
            "Unfilled for this ticket: " + ", ".join(filled.missing)
            if filled.missing
            else "Every placeholder is filled for this ticket."
        )


def open_template_manager(
    ctx: DeskContext, parent: QWidget, ticket_id: int | None = None
) -> TemplateManager:
    dialog = TemplateManager(ctx, parent, ticket_id)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    dialog.load()
    return dialog
