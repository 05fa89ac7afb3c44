"""Signing in to the team database from the window: user name and password, checked against the
server on a background thread, then kept in the OS keyring (store/credentials.py).

The main window calls ask_to_sign_in() when opening or using a PostgreSQL database raised
SignInRequired (a refused or missing password). It returns who signed in, or None when the
person cancelled; new connections then use the new password on their own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desk_app.core.errors import DeskError
from desk_app.store.credentials import DatabaseAddress, SignInResult, sign_in, signed_in_user
from desk_app.ui.plain import plain_label
from desk_app.ui.window_sizing import pin_minimum_size

log = logging.getLogger(__name__)

SignIn = Callable[[str, str, str], SignInResult]


class SignInDialog(QDialog):
    """Modal; accepted once the server took the password and the keyring stored it."""

    # From the checking thread; Qt queues it to the GUI thread this dialog lives on.
    _checked = Signal(object, object)  # SignInResult | None, BaseException | None

    def __init__(
        self,
        database_url: str,
        *,
        user: str | None = None,
        reason: str | None = None,
        parent: QWidget | None = None,
        check: SignIn = sign_in,
    ) -> None:
        super().__init__(parent)
        self._url = database_url
        self._check = check
        self.result_value: SignInResult | None = None
        address = DatabaseAddress.from_url(database_url)
        self.setWindowTitle("Sign in to the team database")
        intro = plain_label(
            reason
            or f"Sign in to the {address.describe()} with your own database user and password."
        )
        intro.setWordWrap(True)
        self.user = QLineEdit(user or signed_in_user(address) or "")
        self.user.setPlaceholderText("your database user")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.remember = plain_label(
            "The password is kept in this computer's keyring, nowhere else."
        )
        self.remember.setWordWrap(True)
        self.error = plain_label()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b3261e;")
        self.error.hide()
        form = QFormLayout()
        form.addRow("User", self.user)
        form.addRow("Password", self.password)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.sign_in_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.sign_in_button.setText("Sign in")
        self.buttons.accepted.connect(self._start)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.remember)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        (self.password if self.user.text() else self.user).setFocus()
        self._checked.connect(self._finish)
        pin_minimum_size(self, width=440)

    def _start(self) -> None:
        user, password = self.user.text().strip(), self.password.text()
        if not user or not password:
            self._show_error("Enter your database user and password.")
            return
        self._set_busy(True)
        # Connecting may take up to the connect timeout: never on the GUI thread.
        threading.Thread(
            target=self._run, args=(user, password), name="desk-signin", daemon=True
        ).start()

    def _run(self, user: str, password: str) -> None:
        try:
            self._checked.emit(self._check(self._url, user, password), None)
        except BaseException as error:  # handed to the GUI thread, which decides
            self._checked.emit(None, error)

    def _finish(self, result: SignInResult | None, error: BaseException | None) -> None:
        self.password.clear()  # never kept in a widget longer than one attempt
        self._set_busy(False)
        if error is not None:
            if not isinstance(error, DeskError):
                log.error("sign-in failed unexpectedly", exc_info=error)
                self._show_error("Signing in failed unexpectedly; details are in the log.")
            else:
                self._show_error(str(error))
            self.password.setFocus()
            return
        self.result_value = result
        self.accept()

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.user, self.password, self.sign_in_button):
            widget.setEnabled(not busy)
        self.sign_in_button.setText("Signing in…" if busy else "Sign in")
        if busy:
            self.error.hide()

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()


def ask_to_sign_in(
    database_url: str,
    parent: QWidget | None = None,
    *,
    error: DeskError | None = None,
    user: str | None = None,
) -> SignInResult | None:
    """Show the sign-in dialog; who signed in, or None when cancelled. `error` (usually a
    SignInRequired) says why it is asked for, and its user is offered."""
    offered = user or getattr(error, "user", None)
    reason = None
    if error is not None:
        # The error's own text speaks of `desk signin`; here the person is in the window.
        where = DatabaseAddress.from_url(database_url).describe()
        reason = (
            f"The {where} did not accept the sign-in of '{offered}'. Enter the password again."
            if offered
            else f"The {where} needs to know who you are: sign in with your database user."
        )
    dialog = SignInDialog(database_url, user=offered, reason=reason, parent=parent)
    dialog.exec()
    return dialog.result_value
