"""The hand-off summary for the morning shift, in the app: pick the window (since the last
hand-off by default), read it, and send it by e-mail to the team.

The figures come from store.handoff_store on the database runner; sending talks SMTP, so it
runs on the network runner, never the GUI thread."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QDateTime, Qt, QTimeZone, QUrl, Signal
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desk_app.core.handoff import HandoffSummary, linked_ticket, render_markdown, render_text
from desk_app.store.handoff_store import default_since, handoff_summary
from desk_app.store.oncall_settings import remember_handoff
from desk_app.ui.context import DeskContext
from desk_app.ui.plain import LocalFreeBrowser, plain_label
from desk_app.ui.window_sizing import pin_minimum_size

PasswordLookup = Callable[[str], str]


class HandoffDialog(QDialog):
    # A ticket number in the summary was clicked (or activated with the keyboard).
    ticket_chosen = Signal(int)

    def __init__(
        self,
        ctx: DeskContext,
        parent: QWidget | None = None,
        *,
        password_for: PasswordLookup | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        if password_for is None:
            # Imported here: the keyring and its backends cost the window's start-up ~50 ms,
            # and only sending the summary needs them.
            from desk_app.mail import passwords

            password_for = passwords.password_for
        self.password_for = password_for
        self.setWindowTitle(self.tr("Hand-off summary"))
        self.setObjectName("handoffDialog")
        self.summary: HandoffSummary | None = None
        self.since_edit = self._time_edit()
        self.until_edit = self._time_edit()
        self.show_button = QPushButton(self.tr("Show"))
        self.show_button.clicked.connect(self.load)
        self.status = plain_label("")
        self.status.setObjectName("muted")
        # Its own line under the picker, wrapped: a reason like "Not sent: no mail account to
        # send from; add one with `desk account add`" was cut off at the dialog's edge.
        self.status.setWordWrap(True)
        picker = QHBoxLayout()
        picker.addWidget(plain_label("From"))
        picker.addWidget(self.since_edit)
        picker.addWidget(plain_label("to"))
        picker.addWidget(self.until_edit)
        picker.addWidget(self.show_button)
        picker.addStretch(1)
        self.text = LocalFreeBrowser()
        self.text.setObjectName("handoffText")
        self.text.setOpenLinks(False)
        self.text.anchorClicked.connect(self._link_clicked)
        # "Send by email…" opens this row in place, instead of a modal prompt over the summary
        # the agent may want to read while typing the address.
        self.address = QLineEdit()
        self.address.setPlaceholderText(self.tr("team@example.com"))
        self.address.returnPressed.connect(self.send)
        self.send_button = QPushButton(self.tr("Send"))
        self.send_button.clicked.connect(self.send)
        self.send_row = QWidget()
        row = QHBoxLayout(self.send_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(plain_label("Send to"))
        row.addWidget(self.address, 1)
        row.addWidget(self.send_button)
        self.send_row.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.email_button = buttons.addButton(
            "Send by email…", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.email_button.clicked.connect(self.ask_address)
        self.email_button.setEnabled(False)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(picker)
        layout.addWidget(self.status)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.send_row)
        layout.addWidget(buttons)
        self.resize(760, 560)
        pin_minimum_size(self, 600, 400)

    def _link_clicked(self, url: QUrl) -> None:
        ticket_id = linked_ticket(url.toString())
        if ticket_id is not None:
            self.ticket_chosen.emit(ticket_id)

    def _time_edit(self) -> QDateTimeEdit:
        edit = QDateTimeEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        edit.setTimeZone(_qt_zone(self.ctx))
        return edit

    # --- loading ----------------------------------------------------------------------------

    def start(self) -> None:
        """Fill the window with its default (since the last hand-off, until now) and load."""
        db, now = self.ctx.queries.db, self.ctx.now()

        def done(since: datetime) -> None:
            self.since_edit.setDateTime(_qt_time(since))
            self.until_edit.setDateTime(_qt_time(now))
            self.load()

        self.ctx.runner.run(lambda: default_since(db, now), done)

    def picked(self) -> tuple[datetime, datetime] | None:
        since = _py_time(self.since_edit.dateTime())
        until = _py_time(self.until_edit.dateTime())
        return (since, until) if until > since else None

    def load(self) -> None:
        picked = self.picked()
        if picked is None:
            self.status.setText(self.tr("The end is before the start."))
            return
        db = self.ctx.queries.db
        self.status.setText(self.tr("Counting…"))
        self.show_button.setEnabled(False)

        def done(summary: HandoffSummary) -> None:
            self.show_button.setEnabled(True)
            self.show_summary(summary)

        def failed(error: BaseException) -> None:
            self.show_button.setEnabled(True)
            self.status.setText(self.tr("Could not load the summary."))
            self.ctx.runner.report(error)

        self.ctx.runner.run(lambda: handoff_summary(db, *picked), done, failed)

    def show_summary(self, summary: HandoffSummary) -> None:
        self.summary = summary
        self.text.setMarkdown(render_markdown(summary, self.ctx.time_zone))
        self.email_button.setEnabled(True)
        # Each count its own numerus string: in Russian the word after it agrees with it.
        self.status.setText(
            " · ".join(
                (
                    self.tr("%n arrived", "", summary.arrived),
                    self.tr("%n answered", "", summary.answered),
                    self.tr("%n still open", "", summary.still_open),
                )
            )
        )

    # --- sending ----------------------------------------------------------------------------

    def ask_address(self) -> None:
        self.send_row.show()
        self.address.setFocus()

    def send(self) -> None:
        summary, to = self.summary, self.address.text().strip()
        if summary is None:
            return
        if "@" not in to:
            self.status.setText(self.tr("Type the address to send it to."))
            return
        # Imported here: the SMTP side is needed only when someone sends.
        from desk_app.worker.direct_mail import send_internal

        db, zone, clock = self.ctx.queries.db, self.ctx.time_zone, self.ctx.clock
        agent_id = self.ctx.agent.id if self.ctx.agent else None
        password_for = self.password_for
        self.send_button.setEnabled(False)
        self.status.setText(f"Sending to {to}…")

        def work() -> None:
            send_internal(
                db,
                to_address=to,
                subject=summary.subject(zone),
                text=render_text(summary, zone),
                now=clock(),
                password_for=password_for,
            )

        def sent(_result: object) -> None:
            self.send_button.setEnabled(True)
            self.status.setText(f"Sent to {to}.")
            self.send_row.hide()
            # The next hand-off starts where this one ended.
            self.ctx.runner.run(lambda: remember_handoff(db, agent_id, summary.until, clock))

        def failed(error: BaseException) -> None:
            self.send_button.setEnabled(True)
            self.status.setText(f"Not sent: {error}")

        self.ctx.network.run(work, sent, failed)


def _qt_zone(ctx: DeskContext) -> QTimeZone:
    key = getattr(ctx.time_zone, "key", None)
    zone = QTimeZone(key.encode()) if key else QTimeZone.utc()
    return zone if zone.isValid() else QTimeZone.utc()


def _qt_time(value: datetime) -> QDateTime:
    return QDateTime.fromSecsSinceEpoch(int(value.timestamp()), QTimeZone.utc())


def _py_time(value: QDateTime) -> datetime:
    return datetime.fromtimestamp(value.toSecsSinceEpoch(), UTC)


def open_handoff(
    ctx: DeskContext, parent: QWidget, open_ticket: Callable[[int], None] | None = None
) -> HandoffDialog:
    """Show the dialog; its ticket numbers open the ticket through `open_ticket`."""
    dialog = HandoffDialog(ctx, parent)
    if open_ticket is not None:
        dialog.ticket_chosen.connect(open_ticket)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    dialog.start()
    return dialog
