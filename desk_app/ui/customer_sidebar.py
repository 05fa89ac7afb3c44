"""The customer history sidebar: who this is, how to reach them, notes, and every ticket they
ever opened across channels, newest first.

It never shows another ticket's customer: a new customer is shown at once from the record the
ticket pane already has (their history follows), a load for an earlier customer is dropped by its
generation, and changes made elsewhere re-read the customer shown, not one asked for earlier, at
most one read at a time."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desk_app.core.errors import ConflictError, DeskError
from desk_app.store.queries import CUSTOMER_HISTORY_ROWS
from desk_app.store.records import CustomerRecord, OpResult, TicketRow
from desk_app.ui.context import DeskContext
from desk_app.ui.customer_dialogs import EditCustomerDialog, MergeCustomerDialog
from desk_app.ui.formatting import relative_time
from desk_app.ui.plain import isolate, plain_label, tooltip
from desk_app.ui.plurals import fill
from desk_app.ui.styles import LANGUAGE_NAMES, STATUS_LABELS


def _label(object_name: str = "") -> QLabel:
    label = plain_label()
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if object_name:
        label.setObjectName(object_name)
    return label


def _who(customer: CustomerRecord) -> str:
    """A customer as the sidebar names them: their name, else how to reach them."""
    return customer.name or (customer.emails or customer.phones or ["—"])[0]


class CustomerSidebar(QWidget):
    ticket_chosen = Signal(int)
    customer_changed = Signal(int)  # edited or merged: tickets may show a new name
    loaded = Signal(int)

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._customer: CustomerRecord | None = None
        self._tickets: list[TicketRow] = []
        self._current_ticket: int | None = None
        self._generation = 0
        self._loading = False  # the newest load is still out
        self._refresh_again = False  # a change arrived while it was: read once more after it
        # Notes typed for a customer whose save on leaving them was refused (changed meanwhile):
        # they come back, unsaved, when that customer is shown again.
        self._kept_notes: dict[int, str] = {}

        self.name = _label("customerName")
        self.organisation = _label("muted")
        self.contacts = _label()
        self.tags = _label("muted")
        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText(self.tr("Notes about this customer, for every agent…"))
        self.notes.setMaximumHeight(84)
        self.notes.textChanged.connect(self._notes_edited)
        self.save_notes = QPushButton(self.tr("Save notes"))
        self.save_notes.setEnabled(False)
        self.save_notes.clicked.connect(self._save_notes)
        self.edit_button = QPushButton(self.tr("Edit…"))
        self.edit_button.clicked.connect(self.edit_customer)
        self.merge_button = QPushButton(self.tr("Merge…"))
        self.merge_button.setToolTip(self.tr("Merge another customer into this one"))
        self.merge_button.clicked.connect(self.merge_customer)
        self.tickets_title = plain_label("Tickets")
        self.tickets_title.setObjectName("sectionTitle")
        self.tickets = QListWidget()
        self.tickets.setObjectName("customerTickets")
        # One line per field, elided: wrapped subjects made items taller than Qt measured.
        self.tickets.setWordWrap(False)
        self.tickets.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.tickets.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tickets.itemActivated.connect(self._ticket_clicked)
        self.tickets.itemClicked.connect(self._ticket_clicked)
        self.message = _label("muted")

        buttons = QHBoxLayout()
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.merge_button)
        buttons.addStretch(1)
        notes_row = QHBoxLayout()
        notes_row.addStretch(1)
        notes_row.addWidget(self.save_notes)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(6)
        layout.addWidget(self.name)
        layout.addWidget(self.organisation)
        layout.addWidget(self.contacts)
        layout.addWidget(self.tags)
        layout.addLayout(buttons)
        notes_title = plain_label("Notes")
        notes_title.setObjectName("sectionTitle")
        layout.addSpacing(6)
        layout.addWidget(notes_title)
        layout.addWidget(self.notes)
        layout.addLayout(notes_row)
        layout.addWidget(self.tickets_title)
        layout.addWidget(self.tickets, 1)
        layout.addWidget(self.message)
        self.setMinimumWidth(240)
        self._set_enabled(False)

    @property
    def customer(self) -> CustomerRecord | None:
        return self._customer

    def ticket_ids(self) -> list[int]:
        return [row.id for row in self._tickets]

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (self.notes, self.edit_button, self.merge_button, self.tickets):
            widget.setEnabled(enabled)

    # --- loading ----------------------------------------------------------------------------

    def show_customer(self, customer: CustomerRecord | None, current_ticket: int | None) -> None:
        previous_ticket, self._current_ticket = self._current_ticket, current_ticket
        if customer is None or self._customer is None or self._customer.id != customer.id:
            self._save_notes_on_leaving()
        if customer is None:
            self._generation += 1  # a load still out for the previous customer is dropped
            self._loading = self._refresh_again = False
            self._customer, self._tickets = None, []
            self.name.setText(self.tr("No ticket open"))
            for label in (self.organisation, self.contacts, self.tags, self.message):
                label.clear()
            self._set_notes("")
            self.tickets.clear()
            self._set_enabled(False)
            return
        if self._customer is not None and self._customer.id == customer.id:
            # Another of their tickets: read again to mark it. The same ticket read again (a
            # change): the window refreshes the history itself when one of its tickets changed.
            if current_ticket != previous_ticket:
                self.refresh()
            return
        # Another customer: shown at once from the ticket's record, so the previous one's name
        # never stands beside this ticket; their history follows.
        self._show_record(customer)
        self._tickets = []
        self.tickets.clear()
        self.tickets_title.setText(self.tr("Tickets (…)"))
        self.load(customer.id)

    def load(self, customer_id: int) -> None:
        """Read this customer and their tickets now (the agent is waiting for them)."""
        self._load(customer_id, refresh=False)

    def refresh(self) -> None:
        """The customer shown changed elsewhere: read them again on the refresh lane, or once
        the load still out is in (it may predate the change)."""
        if self._customer is None:
            return
        if self._loading:
            self._refresh_again = True
            return
        self._load(self._customer.id, refresh=True)

    def _load(self, customer_id: int, *, refresh: bool) -> None:
        self._generation += 1
        # Read after whatever asked for a refresh so far: it covers those asks.
        self._loading, self._refresh_again = True, False
        generation, queries = self._generation, self._ctx.queries

        def work() -> tuple[CustomerRecord, list[TicketRow], int]:
            rows = queries.customer_tickets(customer_id)
            capped = len(rows) >= CUSTOMER_HISTORY_ROWS
            total = queries.customer_ticket_count(customer_id) if capped else len(rows)
            return queries.customer(customer_id), rows, total

        submit = self._ctx.runner.refresh if refresh else self._ctx.runner.run
        submit(
            work,
            lambda result: self._arrived(generation, *result),
            lambda error: self._load_failed(generation, error),
        )

    def _load_failed(self, generation: int, error: BaseException) -> None:
        if generation == self._generation:
            self._loading = self._refresh_again = False
        self._ctx.runner.report(error)

    def _arrived(
        self, generation: int, customer: CustomerRecord, rows: list[TicketRow], total: int
    ) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self._show_record(customer)
        self._tickets = rows
        self.tickets_title.setText(
            fill(self.tr("Tickets (the newest %1 of %2)"), f"{len(rows):,}", f"{total:,}")
            if total > len(rows)
            else fill(self.tr("Tickets (%1)"), f"{len(rows):,}")
        )
        self.tickets.clear()
        now = self._ctx.now()
        for row in rows:
            status = STATUS_LABELS.get(row.status, row.status)
            item = QListWidgetItem(
                f"{isolate(row.subject)}\n#{row.id} · {status} · {row.channel} · "
                f"{relative_time(row.updated_at, now)}"
            )
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            item.setToolTip(tooltip(row.preview))
            self.tickets.addItem(item)
            if row.id == self._current_ticket:
                item.setSelected(True)
                font = item.font()
                font.setBold(True)
                item.setFont(font)
        self._set_enabled(True)
        self.loaded.emit(customer.id)
        if self._refresh_again:
            self.refresh()

    def _show_record(self, customer: CustomerRecord) -> None:
        self._customer = customer
        self.name.setText(_who(customer))
        self.organisation.setText(customer.organisation)
        self.organisation.setVisible(bool(customer.organisation))
        self.contacts.setText(
            "\n".join([f"✉ {e}" for e in customer.emails] + [f"☎ {p}" for p in customer.phones])
        )
        facts = [" ".join(f"#{tag}" for tag in customer.tags)] if customer.tags else []
        if customer.language:
            facts.append(f"writes in {LANGUAGE_NAMES.get(customer.language, customer.language)}")
        self.tags.setText(" · ".join(facts))
        self.tags.setVisible(bool(facts))
        if not self.save_notes.isEnabled():
            kept = self._kept_notes.pop(customer.id, None)
            self._set_notes(customer.notes if kept is None else kept)
            if kept is not None:
                self.save_notes.setEnabled(True)
                self.message.setText(
                    self.tr("Your notes were not saved: they changed meanwhile. Save them again?")
                )

    def _ticket_clicked(self, item: QListWidgetItem) -> None:
        ticket_id = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(ticket_id, int) and ticket_id != self._current_ticket:
            self.ticket_chosen.emit(ticket_id)

    # --- editing ----------------------------------------------------------------------------

    def _set_notes(self, text: str) -> None:
        self.notes.blockSignals(True)
        self.notes.setPlainText(text)
        self.notes.blockSignals(False)
        self.save_notes.setEnabled(False)

    def _notes_edited(self) -> None:
        self.save_notes.setEnabled(self._customer is not None)

    def _save_notes(self) -> None:
        customer = self._customer
        if customer is None:
            return
        notes, service = self.notes.toPlainText(), self._ctx.service
        self._edit(
            lambda: service.edit_customer(
                customer.id, notes=notes, expected_version=customer.version
            ),
            "Notes saved",
        )

    def edit_customer(self) -> None:
        customer = self._customer
        if customer is None:
            return
        dialog = EditCustomerDialog(customer, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        service = self._ctx.service
        name, organisation = dialog.name.text(), dialog.organisation.text()
        tags, language = dialog.tags.text(), dialog.language.currentData()
        emails = [dialog.add_email.text()] if dialog.add_email.text().strip() else []
        phones = [dialog.add_phone.text()] if dialog.add_phone.text().strip() else []
        self._edit(
            lambda: service.edit_customer(
                customer.id,
                name=name,
                organisation=organisation,
                add_emails=emails,
                add_phones=phones,
                tags=tags,
                language=language,
                expected_version=customer.version,
            ),
            "Customer saved",
        )

    def merge_customer(self) -> None:
        customer = self._customer
        if customer is None:
            return
        dialog = MergeCustomerDialog(self._ctx, customer, self)
        dialog.merge_confirmed.connect(self.merge_into_current)
        dialog.open()

    def _save_notes_on_leaving(self) -> None:
        """The agent moves to another customer with notes typed but not saved: save them for
        the customer they were written for, as a draft is saved on the way out, and never for
        the customer shown next. Refused (someone changed them meanwhile), they are kept and
        offered again with that customer."""
        customer = self._customer
        if customer is None or not self.save_notes.isEnabled():
            return
        notes, service = self.notes.toPlainText(), self._ctx.service
        name = isolate(_who(customer))  # a name of any script, in a sentence of ours
        self._set_notes("")  # the box is the next customer's from here on

        def done(_result: OpResult) -> None:
            self.message.setText(fill(self.tr("Notes for %1 saved"), name))
            self.customer_changed.emit(customer.id)

        def failed(error: BaseException) -> None:
            if not isinstance(error, DeskError):
                self._ctx.runner.report(error)
                return
            self._kept_notes[customer.id] = notes
            self.message.setText(
                fill(
                    self.tr("Notes for %1 not saved: %2. They are kept for when you return."),
                    name,
                    str(error),
                )
            )

        self._ctx.runner.run(
            lambda: service.edit_customer(
                customer.id, notes=notes, expected_version=customer.version
            ),
            done,
            failed,
        )

    def merge_into_current(self, source_id: int) -> None:
        customer = self._customer
        if customer is None:
            return
        service = self._ctx.service
        self._edit(lambda: service.merge_customers(source_id, customer.id), "Customers merged")

    def _edit(self, work: Callable[[], OpResult], confirmation: str) -> None:
        customer = self._customer
        assert customer is not None
        customer_id = customer.id

        def done(_result: OpResult) -> None:
            self.save_notes.setEnabled(False)
            self.message.setText(confirmation)
            self.customer_changed.emit(customer_id)
            self.load(customer_id)

        def failed(error: BaseException) -> None:
            if isinstance(error, ConflictError):
                self.message.setText(f"Not saved: {error}")
                self.save_notes.setEnabled(False)
                self.load(customer_id)
            elif isinstance(error, DeskError):
                self.message.setText(f"Not saved: {error}")
            else:
                self._ctx.runner.report(error)

        self._ctx.runner.run(work, done, failed)
