"""The routing rules tester: paste an e-mail or pick a recent ticket, and see which rule (of the
list being edited, saved or not) would take it, and why.

Reading happens on the task runner (parsing, the customer's tags, a ticket's first message);
deciding is core.routing.route on the GUI thread, on the editor's current rules.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from functools import partial

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desk_app.core.routing import AssignBy, Decision, Incoming, RoutingRule, route
from desk_app.mail.parse import parse_message
from desk_app.store.database import Database
from desk_app.store.routing_tester import (
    TicketChoice,
    incoming_for_mail,
    incoming_for_ticket,
    recent_tickets,
)
from desk_app.ui.context import DeskContext
from desk_app.ui.plain import plain_label, rich_label

# A pasted text is read as an e-mail when it starts with a header line; otherwise it is the
# body of one (the quickest way to try a keyword).
_HEADER = re.compile(r"^[A-Za-z][A-Za-z0-9-]*:[ \t]")
ASSIGN_WORDS = {
    AssignBy.ROUND_ROBIN: "assign it round-robin among {department}'s members on duty",
    AssignBy.LEAST_LOADED: "assign it to {department}'s least-loaded member on duty",
}
# Rich text, but quotes stay as typed: keywords are shown in them.
_escape = partial(html.escape, quote=False)
# The editor's rules, or the reason they cannot be tried yet.
RulesSource = Callable[[], "list[RoutingRule] | str"]


def read_pasted(db: Database, text: str) -> Incoming:
    """The pasted text as routing would see it (runs on the task runner)."""
    stripped = text.strip()
    if not _HEADER.match(stripped):
        return incoming_for_mail(db, recipient="", sender="", subject="", body=stripped)
    parsed = parse_message(stripped.encode("utf-8"))
    return incoming_for_mail(
        db,
        recipient=parsed.to[0] if parsed.to else "",
        sender=parsed.from_address or "",
        subject=parsed.subject,
        body=parsed.text,
    )


def explain(rules: Sequence[RoutingRule], decision: Decision) -> str:
    """The outcome in words (rich text), for the tester's result."""
    rule = decision.rule
    if rule is None:
        return (
            "<b>No rule matches.</b> The ticket stays in its mailbox's department, "
            "with its priority, unassigned."
        )
    number = next(i for i, r in enumerate(rules) if r is rule) + 1
    because = "; ".join(decision.why) if decision.why else "it matches everything"
    effects = []
    if rule.department:
        effects.append(f"move it to {_escape(rule.department)}")
    if rule.priority:
        effects.append(f"set priority {rule.priority.value}")
    if rule.tags:
        effects.append(f"add tags {_escape(', '.join(rule.tags))}")
    if rule.assign_by in ASSIGN_WORDS:
        department = _escape(rule.department or "")
        effects.append(ASSIGN_WORDS[rule.assign_by].format(department=department))
    does = "; ".join(effects) if effects else "change nothing (the rule only stops the list)"
    return (
        f"<b>Rule {number}, “{_escape(rule.name)}”</b> would take it: "
        f"{_escape(because)}.<br>It would {does}."
    )


def describe_incoming(incoming: Incoming) -> str:
    parts = [
        f"from {incoming.sender or '—'}",
        f"to {incoming.recipient or '—'}",
        f"subject “{incoming.subject or '—'}”",
        f"channel {incoming.channel.value}",
    ]
    if incoming.customer_tags:
        parts.append(f"customer tagged {', '.join(sorted(incoming.customer_tags))}")
    return "Read as: " + ", ".join(parts)


class RuleTester(QGroupBox):
    # The row of the rule that would take the message, -1 for none: the editor marks it.
    matched = Signal(int)

    def __init__(self, ctx: DeskContext, rules: RulesSource, parent: QWidget | None = None) -> None:
        super().__init__("Try the rules", parent)
        self.setObjectName("routingTester")
        self.ctx = ctx
        self._rules = rules
        self.incoming: Incoming | None = None
        self.tickets = QComboBox()
        self.tickets.setMinimumContentsLength(16)
        self.tickets.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.tickets.setPlaceholderText("A recent ticket…")
        self.use_ticket = QPushButton("Try")
        self.use_ticket.clicked.connect(self.try_ticket)
        self.pasted = QPlainTextEdit()
        self.pasted.setObjectName("routingTesterText")
        self.pasted.setPlaceholderText(
            "Paste an e-mail with its headers (From:, To:, Subject:…), or just some text."
        )
        self.try_button = QPushButton("Try pasted text")
        self.try_button.clicked.connect(self.try_pasted)
        # Markup on purpose: explain() escapes every rule name and reason it inserts.
        self.result = rich_label("")
        self.result.setObjectName("routingTesterResult")
        self.result.setWordWrap(True)
        self.read_as = plain_label("")
        self.read_as.setObjectName("muted")
        self.read_as.setWordWrap(True)

        picker = QHBoxLayout()
        picker.addWidget(self.tickets, 1)
        picker.addWidget(self.use_ticket)
        pasted_row = QHBoxLayout()
        pasted_row.addStretch(1)
        pasted_row.addWidget(self.try_button)
        layout = QVBoxLayout(self)
        layout.addLayout(picker)
        layout.addWidget(self.pasted, 1)
        layout.addLayout(pasted_row)
        layout.addWidget(self.result)
        layout.addWidget(self.read_as)

    def load_tickets(self) -> None:
        db = self.ctx.queries.db
        self.ctx.runner.run(lambda: recent_tickets(db), self._tickets_loaded)

    def _tickets_loaded(self, choices: list[TicketChoice]) -> None:
        self.tickets.clear()
        for choice in choices:
            self.tickets.addItem(f"#{choice.id} {choice.subject}", choice.id)
        self.tickets.setCurrentIndex(-1)

    def try_ticket(self) -> None:
        ticket_id = self.tickets.currentData()
        if not isinstance(ticket_id, int):
            self.result.setText("Pick a ticket first.")
            return
        db = self.ctx.queries.db
        self.ctx.runner.run(lambda: incoming_for_ticket(db, ticket_id), self._read)

    def try_pasted(self) -> None:
        text = self.pasted.toPlainText()
        if not text.strip():
            self.result.setText("Paste an e-mail or some text first.")
            return
        db = self.ctx.queries.db
        self.ctx.runner.run(lambda: read_pasted(db, text), self._read)

    def _read(self, incoming: Incoming) -> None:
        self.incoming = incoming
        self.retry()

    def retry(self) -> None:
        """Decide again on the message last read: the editor calls this as rules change."""
        if self.incoming is None:
            return
        rules = self._rules()
        if isinstance(rules, str):
            self.result.setText(_escape(rules))
            self.matched.emit(-1)
            return
        decision = route(rules, self.incoming)
        self.result.setText(explain(rules, decision))
        self.read_as.setText(describe_incoming(self.incoming))
        row = next((i for i, r in enumerate(rules) if r is decision.rule), -1)
        self.matched.emit(row)
