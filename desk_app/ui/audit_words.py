"""A ticket's history in plain words, for the timeline between its messages.

The audit trail stores what changed as data (field, old and new value), and history is never
rewritten; this is where a row becomes a sentence a colleague reads: "Lena moved the ticket to
Billing", not "Lena changed department to Billing" or "System changed escalation to no lead to
notify". Sentences go through Qt's translation system (context "Timeline"); counted ones use
plural forms (tr's n)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from desk_app.store.records import AuditRecord
from desk_app.ui.plurals import english_plural
from desk_app.ui.plurals import fill as _fill

CONTEXT = "Timeline"
# Audit actions whose new value is a whole phrase ("paged Kenji (Nights)"): what happened after
# hours, written by the worker.
PHRASE_ACTIONS = frozenset({"auto_reply", "page", "page_escalate", "page_ack"})
# Audit actions shown between the messages: field changes by people, the system and routing,
# and the phrases above.
TIMELINE_ACTIONS = frozenset({"update", "route"}) | PHRASE_ACTIONS
# How store/escalations.py records whom an escalation told (the values of earlier rows too).
LEADS_NOTIFIED = "leads notified: "
NO_LEAD = "no lead to notify"


def _tr(text: str, n: int = -1) -> str:
    return QCoreApplication.translate(CONTEXT, text, None, n)


def describe(event: AuditRecord) -> str:
    """The event as one sentence, with its reason in brackets when it has one."""
    who = event.actor or _tr("Desk")
    text = _sentence(event, who)
    if event.reason:
        # Why is the part a colleague needs later: "moved: refund question", "SLA breach".
        text += f" ({event.reason})"
    return text


def _sentence(event: AuditRecord, who: str) -> str:
    field, new = event.field or "", event.new_value
    if event.action in PHRASE_ACTIONS:
        return _fill(_tr("%1: %2"), who, new or event.action)
    if field == "escalation":
        return _escalation(new)
    if event.action == "route":
        return _routed(field, new)
    return _changed(who, field, new)


def _escalation(new: str | None) -> str:
    if new and new.startswith(LEADS_NOTIFIED):
        names = [n for n in new.removeprefix(LEADS_NOTIFIED).split(", ") if n]
        if names:
            words = _tr("Desk told %n team lead(s) about the escalation: %1", len(names))
            return _fill(english_plural(words, len(names)), ", ".join(names))
    if new == NO_LEAD or (new or "").startswith(LEADS_NOTIFIED):
        return _tr("Desk escalated the ticket but found no team lead to tell")
    return _fill(_tr("Desk escalated the ticket: %1"), new or "—")


def _routed(field: str, new: str | None) -> str:
    if field == "routing_rule":
        return _fill(_tr("The routing rule “%1” took the ticket"), new or "—")
    if field == "department" and new:
        return _fill(_tr("Routing moved the ticket to %1"), new)
    if field == "assignee" and new:
        return _fill(_tr("Routing assigned the ticket to %1"), new)
    return _changed(_tr("Routing"), field, new)


def _changed(who: str, field: str, new: str | None) -> str:
    if field == "department":
        if new:
            return _fill(_tr("%1 moved the ticket to %2"), who, new)
        return _fill(_tr("%1 took the ticket out of its department"), who)
    if field == "assignee":
        if new:
            return _fill(_tr("%1 assigned the ticket to %2"), who, new)
        return _fill(_tr("%1 unassigned the ticket"), who)
    if field == "customer" and new:
        return _fill(_tr("%1 moved the ticket to the customer %2"), who, new)
    if field == "status" and new:
        return _fill(_tr("%1 set the status to %2"), who, new)
    if field == "priority" and new:
        return _fill(_tr("%1 set the priority to %2"), who, new)
    if field == "tags" and not new:
        return _fill(_tr("%1 removed the tags"), who)
    name = field.replace("_", " ")
    if not new:
        # A value taken away reads as such, never as "changed X to None".
        return _fill(_tr("%1 cleared the %2"), who, name)
    return _fill(_tr("%1 changed the %2 to %3"), who, name, new)
