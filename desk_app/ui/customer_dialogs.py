"""Small dialogs for the customer sidebar: edit details, merge two customers."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desk_app.core.errors import DeskError
from desk_app.store.records import CustomerRecord
from desk_app.ui.context import DeskContext
from desk_app.ui.plain import escape, rich_label
from desk_app.ui.plurals import english_plural
from desk_app.ui.styles import LANGUAGE_NAMES
from desk_app.ui.window_sizing import pin_minimum_size


class EditCustomerDialog(QDialog):
    def __init__(self, customer: CustomerRecord, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Edit customer"))
        self.name = QLineEdit(customer.name)
        self.organisation = QLineEdit(customer.organisation)
        self.add_email = QLineEdit()
        self.add_email.setPlaceholderText(self.tr("another e-mail address (optional)"))
        self.add_phone = QLineEdit()
        self.add_phone.setPlaceholderText(self.tr("another phone number (optional)"))
        self.tags = QLineEdit(" ".join(customer.tags))
        self.tags.setPlaceholderText(
            self.tr("e.g. vip partner (SLA policies and routing match on them)")
        )
        self.language = QComboBox()
        self.language.addItem("Not known", "")
        for code, label in LANGUAGE_NAMES.items():
            self.language.addItem(label, code)
        self.language.setCurrentIndex(max(self.language.findData(customer.language or ""), 0))
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Organisation", self.organisation)
        form.addRow("Add e-mail", self.add_email)
        form.addRow("Add phone", self.add_phone)
        form.addRow("Tags", self.tags)
        form.addRow("Writes in", self.language)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        pin_minimum_size(self, width=420)


class MergeCustomerDialog(QDialog):
    """Find the other customer by e-mail or phone, see who it is, then merge into this one.
    The lookup runs on the task runner; the dialog stays responsive."""

    merge_confirmed = Signal(int)  # the customer to merge into the current one

    def __init__(
        self, ctx: DeskContext, target: CustomerRecord, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._target = target
        self._found: CustomerRecord | None = None
        self.setWindowTitle(self.tr("Merge customers"))
        target_name = target.name or (target.emails or target.phones or ["this customer"])[0]
        intro = rich_label(
            f"Move every e-mail address, phone number and ticket of another customer into "
            f"<b>{escape(target_name)}</b>. The other record stays only as a pointer here."
        )
        intro.setWordWrap(True)
        self.identity = QLineEdit()
        self.identity.setPlaceholderText(
            self.tr("e-mail address or phone number of the other customer")
        )
        self.identity.returnPressed.connect(self.look_up)
        find = QPushButton(self.tr("Find"))
        find.clicked.connect(self.look_up)
        self.found_label = rich_label("")
        self.found_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.merge_button = self.buttons.addButton("Merge", QDialogButtonBox.ButtonRole.AcceptRole)
        self.merge_button.setEnabled(False)
        self.buttons.accepted.connect(self._confirm)
        self.buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.identity, 1)
        row.addWidget(find)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addWidget(self.found_label)
        layout.addWidget(self.buttons)
        pin_minimum_size(self, width=460, height=200)

    def look_up(self) -> None:
        text = self.identity.text().strip()
        if not text:
            return
        self.found_label.setText(escape("Looking…"))
        self.merge_button.setEnabled(False)
        queries = self._ctx.queries

        def work() -> tuple[CustomerRecord, int]:
            customer = queries.find_customer(text)
            return customer, queries.customer_ticket_count(customer.id)

        self._ctx.runner.run(work, lambda r: self._found_customer(*r), self._not_found)

    def _found_customer(self, customer: CustomerRecord, tickets: int) -> None:
        if customer.id == self._target.id:
            self.found_label.setText(escape("That is this customer already."))
            return
        self._found = customer
        who = customer.name or "(no name)"
        contacts = ", ".join(customer.emails + customer.phones)
        moving = english_plural(self.tr("%n ticket(s) will move over.", "", tickets), tickets)
        self.found_label.setText(f"<b>{escape(who)}</b> — {escape(contacts)}<br>{moving}")
        self.merge_button.setEnabled(True)

    def _not_found(self, error: BaseException) -> None:
        if isinstance(error, DeskError):
            self.found_label.setText(escape(str(error)))
        else:
            self._ctx.runner.report(error)

    def _confirm(self) -> None:
        if self._found is not None:
            self.merge_confirmed.emit(self._found.id)
            self.accept()
