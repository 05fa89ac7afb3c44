"""The e-mail a page sends to the person on call: what is urgent, why, and how to acknowledge
it, from the account the ticket's replies go out from."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from desk_app.store.models import Agent, Department, MailAccount, Page, Ticket
from desk_app.store.urgency import latest_inbound


@dataclass(frozen=True)
class PageMail:
    """One page e-mail to send now (claimed: no other worker sends this one)."""

    page_id: int
    ticket_id: int
    send_number: int
    account_id: int | None  # None: no mail account to send from
    from_address: str
    to_address: str
    subject: str
    body: str


def page_mail(session: Session, page: Page) -> PageMail:
    ticket = session.get_one(Ticket, page.ticket_id)
    agent = session.get(Agent, page.agent_id) if page.agent_id else None
    account = sending_account(session, ticket)
    department = session.get(Department, ticket.department_id) if ticket.department_id else None
    to_address = (agent.personal_email or agent.email) if agent else ""
    latest = latest_inbound(session, ticket.id)
    preview = latest.body_text if latest is not None else ticket.preview
    body = "\n".join(
        [
            f"Urgent ticket after hours: #{ticket.id} {ticket.subject}",
            f"Department: {department.name if department else '—'}",
            f"Why: {page.reason}",
            f"Customer wrote: {' '.join(preview.split())[:300]}",
            "",
            f"Page {page.sends} to {agent.display_name if agent else 'nobody'}"
            + (f", escalated {page.step}×" if page.step else "")
            + ". It repeats until someone acknowledges it.",
            "Acknowledge in Desk (On call, select the ticket, press A) or run:",
            f"  desk oncall ack {ticket.id} --as {agent.email if agent else 'YOU'}",
        ]
    )
    return PageMail(
        page_id=page.id,
        ticket_id=ticket.id,
        send_number=page.sends,
        account_id=account.id if account else None,
        from_address=account.address if account else "",
        to_address=to_address,
        subject=f"[Desk page] Urgent: #{ticket.id} {ticket.subject}",
        body=body + "\n",
    )


def sending_account(session: Session, ticket: Ticket) -> MailAccount | None:
    """The account the ticket's replies go out from (as the outbox chooses it)."""
    if ticket.mail_account_id is not None:
        account = session.get(MailAccount, ticket.mail_account_id)
        if account is not None and account.is_active:
            return account
    active = select(MailAccount).where(MailAccount.is_active.is_(True)).order_by(MailAccount.id)
    if ticket.department_id is not None:
        own = session.scalars(active.where(MailAccount.department_id == ticket.department_id))
        found = own.first()
        if found is not None:
            return found
    return session.scalars(active).first()
