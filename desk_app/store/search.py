"""Full-text search over tickets: subject, customer and every message, on both databases.

Each ticket has one document of normalised text (core.search_text), so the two databases only
differ in how a list of terms becomes a query: an FTS5 MATCH expression or a tsquery. Terms
contain letters and digits only, so user input can never become query syntax on either side.
Results are the newest matching tickets (by ticket number), shown by last update.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import (
    ColumnElement,
    Select,
    column,
    func,
    insert,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from desk_app.core.search_text import QueryTerm, index_text, query_terms
from desk_app.store.fast_rows import Prepared
from desk_app.store.models import Customer, Message, Ticket, TicketSearch

# Message text beyond this is not indexed: it bounds index size for pasted logs.
MAX_INDEXED_CHARS = 20_000
# Matching tickets are taken newest first, a few more than asked for, before ordering them by
# last update; taking few keeps a query on a very common word as fast as one on a rare word
# (PostgreSQL tests each candidate's document: 500 cost 40 ms, 60 cost 2 ms).
EXTRA_CANDIDATES = 10
# How long PostgreSQL may walk tickets newest-first before the GIN index takes over. About the
# square root of (tickets x candidates) documents tested: the two plans' worst cases balance.
NEWEST_FIRST_BUDGET_MS = 25

_FTS = table("search_fts", column("rowid"))


def document_parts(
    subject: str, customer_parts: Iterable[str], message_bodies: Iterable[str]
) -> tuple[str, ...]:
    """The texts a ticket's document is made of, in order (bulk loads index them elsewhere)."""
    return (subject, *customer_parts, *(body[:MAX_INDEXED_CHARS] for body in message_bodies))


def ticket_document(
    subject: str, customer_parts: Iterable[str], message_bodies: Iterable[str]
) -> str:
    return index_text(*document_parts(subject, customer_parts, message_bodies))


def customer_parts(customer: Customer) -> list[str]:
    return [customer.name, customer.organisation, *(i.value for i in customer.identities)]


def index_new_ticket(session: Session, ticket: Ticket, customer: Customer) -> None:
    body = ticket_document(ticket.subject, customer_parts(customer), [])
    session.add(TicketSearch(ticket_id=ticket.id, body=body))
    session.flush()
    _fts_insert(session, ticket.id, body)


def index_new_ticket_with_message(
    session: Session,
    ticket_id: int,
    subject: str,
    parts: Iterable[str],
    message_words: str,
) -> None:
    """A new ticket's document with its first message already in it, written once: the same
    text index_new_ticket followed by append_message would leave, without writing the
    document (and its FTS row) twice. `message_words` is index_text of the message body."""
    body = ticket_document(subject, parts, [])
    if message_words:
        body = f"{body} {message_words}"
    connection = session.connection()
    _INSERT_DOCUMENT.execute(connection, {"ticket_id": ticket_id, "body": body})
    if connection.dialect.name == "sqlite":  # PostgreSQL's tsvector column follows by itself
        connection.exec_driver_sql(_FTS_INSERT_SQLITE, (ticket_id, body))


def message_words(body: str) -> str:
    """What a message adds to its ticket's document (append_message's addition)."""
    return index_text(body[:MAX_INDEXED_CHARS])


_INSERT_DOCUMENT = Prepared(insert(TicketSearch), ("ticket_id", "body"))
_FTS_INSERT_SQLITE = "INSERT INTO search_fts(rowid, body) VALUES (?, ?)"


def append_message(
    session: Session, ticket_id: int, message_body: str, words: str | None = None
) -> None:
    """Add a new message's words to its ticket's document (`words`: message_words of the
    body, when the caller worked them out already, off the write path)."""
    doc = session.get_one(TicketSearch, ticket_id)
    addition = message_words(message_body) if words is None else words
    if addition:
        _replace(session, doc, f"{doc.body} {addition}")


def reindex_tickets_of(session: Session, customer_id: int) -> None:
    """Rebuild the documents of a customer's tickets after the customer changed."""
    session.flush()
    customer = session.get_one(Customer, customer_id)
    session.refresh(customer, ["identities"])
    parts = customer_parts(customer)
    tickets = session.execute(
        select(Ticket.id, Ticket.subject).where(Ticket.customer_id == customer_id)
    ).all()
    for ticket_id, subject in tickets:
        bodies = session.scalars(
            select(Message.body_text).where(Message.ticket_id == ticket_id).order_by(Message.id)
        )
        _replace(
            session,
            session.get_one(TicketSearch, ticket_id),
            ticket_document(subject, parts, bodies),
        )


def index_loaded_tickets(session: Session, ticket_ids: Sequence[int]) -> None:
    """Index documents a bulk load inserted directly, in one statement."""
    if _is_sqlite(session) and ticket_ids:
        session.execute(
            text(
                "INSERT INTO search_fts(rowid, body) "
                "SELECT ticket_id, body FROM ticket_search WHERE ticket_id BETWEEN :first AND :last"
            ),
            {"first": min(ticket_ids), "last": max(ticket_ids)},
        )


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _replace(session: Session, doc: TicketSearch, body: str) -> None:
    if body == doc.body:
        return
    _fts_delete(session, doc)
    doc.body = body
    session.flush()
    _fts_insert(session, doc.ticket_id, body)


# PostgreSQL keeps its tsvector column up to date by itself (a stored generated column).
def _fts_insert(session: Session, ticket_id: int, body: str) -> None:
    if _is_sqlite(session):
        session.execute(
            text("INSERT INTO search_fts(rowid, body) VALUES (:id, :body)"),
            {"id": ticket_id, "body": body},
        )


def _fts_delete(session: Session, doc: TicketSearch) -> None:
    # External-content FTS5 deletes need the old text to remove its tokens.
    if _is_sqlite(session):
        session.execute(
            text("INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', :id, :body)"),
            {"id": doc.ticket_id, "body": doc.body},
        )


# --- queries -------------------------------------------------------------------------------------


def fts5_expression(terms: Sequence[QueryTerm]) -> str:
    # Each term is a quoted phrase; '*' after it makes its last token a prefix.
    def term_expression(term: QueryTerm) -> str:
        star = "*" if term.prefix else ""
        phrase = f'"{" ".join(term.tokens)}"{star}'
        return f'({phrase} OR "{term.stem}"{star})' if term.stem else phrase

    return " AND ".join(map(term_expression, terms))


def tsquery_expression(terms: Sequence[QueryTerm]) -> str:
    star = ":*"

    def term_expression(term: QueryTerm) -> str:
        lexemes = [f"'{token}'" for token in term.tokens]
        if term.prefix:
            lexemes[-1] += star
        phrase = " <-> ".join(lexemes)
        if term.stem:
            return f"({phrase} | '{term.stem}'{star if term.prefix else ''})"
        return f"({phrase})"

    return " & ".join(map(term_expression, terms))


def matching_ticket_ids(session: Session, query: str, limit: int) -> list[int]:
    """Tickets matching every typed word anywhere in them, most recently updated first."""
    terms = query_terms(query)
    if not terms:
        return []
    find = _sqlite_candidates if _is_sqlite(session) else _postgres_candidates
    candidates = find(session, terms, limit + EXTRA_CANDIDATES)
    if not candidates:
        return []
    rows = session.execute(
        select(Ticket.id)
        .where(Ticket.id.in_(candidates))
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
        .limit(limit)
    )
    return [row[0] for row in rows]


def matching_page(
    session: Session, query: str, limit: int, before_id: int | None
) -> tuple[list[int], int | None]:
    """One page of matching tickets: the `limit` newest (by ticket number) below `before_id`,
    most recently updated first, and where the next page starts (None: no more matches).

    Only candidates are looked at, never every match: the total is `match_count`'s to find,
    so the first page shows as fast for a word in every ticket as for a rare one."""
    terms = query_terms(query)
    if not terms or limit <= 0:
        return [], None
    find = _sqlite_candidates if _is_sqlite(session) else _postgres_candidates
    candidates = find(session, terms, limit, before_id)
    if not candidates:
        return [], None
    rows = session.execute(
        select(Ticket.id)
        .where(Ticket.id.in_(candidates))
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
    )
    return [row[0] for row in rows], (min(candidates) if len(candidates) == limit else None)


def match_count(session: Session, query: str, visible: ColumnElement[bool] | None) -> int:
    """How many tickets match (those `visible` allows, when given): a count of its own, run
    after the first page is on screen."""
    terms = query_terms(query)
    if not terms:
        return 0
    if _is_sqlite(session):
        matching = select(_FTS.c.rowid).where(
            text("search_fts MATCH :match").bindparams(match=fts5_expression(terms))
        )
    else:
        matching = select(TicketSearch.ticket_id).where(
            literal_column("tsv").op("@@")(func.to_tsquery("simple", tsquery_expression(terms)))
        )
    if visible is None:
        counted = select(func.count()).select_from(matching.subquery())
    else:
        counted = select(func.count()).where(Ticket.id.in_(matching), visible)
    return int(session.scalar(counted) or 0)


def _sqlite_candidates(
    session: Session, terms: Sequence[QueryTerm], count: int, before_id: int | None = None
) -> list[int]:
    # FTS5 walks its doclists in rowid order, so newest-first with a LIMIT stops early.
    statement = (
        select(_FTS.c.rowid)
        .where(text("search_fts MATCH :match").bindparams(match=fts5_expression(terms)))
        .order_by(_FTS.c.rowid.desc())
        .limit(count)
    )
    if before_id is not None:
        statement = statement.where(_FTS.c.rowid < before_id)
    return [row[0] for row in session.execute(statement)]


def _postgres_candidates(
    session: Session, terms: Sequence[QueryTerm], count: int, before_id: int | None = None
) -> list[int]:
    """PostgreSQL has no ordered full-text index, so it gets two plans and a time box.

    A common word is found fastest by walking tickets newest first and testing each one: the
    first few hundred matches come quickly. A rare word makes that walk visit every ticket,
    while the GIN index finds its few matches at once. The planner cannot tell the two apart
    from a prefix query, so try the walk for a few milliseconds, then use the index.
    """
    statement = (
        select(TicketSearch.ticket_id)
        .where(literal_column("tsv").op("@@")(func.to_tsquery("simple", tsquery_expression(terms))))
        .order_by(TicketSearch.ticket_id.desc())
        .limit(count)
    )
    if before_id is not None:
        statement = statement.where(TicketSearch.ticket_id < before_id)
    try:
        return _with_settings(
            session,
            statement,
            enable_bitmapscan="off",
            enable_seqscan="off",
            statement_timeout=str(NEWEST_FIRST_BUDGET_MS),
        )
    except OperationalError as exc:
        from psycopg.errors import QueryCanceled  # PostgreSQL only: SQLite never imports it

        if not isinstance(exc.orig, QueryCanceled):
            raise
    return _with_settings(session, statement, enable_indexscan="off", enable_seqscan="off")


def _with_settings(session: Session, statement: Select[int], **settings: str) -> list[int]:
    """Run one query with planner settings that end with it: the savepoint is always rolled
    back, which undoes SET LOCAL (a released savepoint would keep them for the transaction)."""
    savepoint = session.begin_nested()
    try:
        for name, value in settings.items():
            session.execute(
                text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value}
            )
        return list(session.scalars(statement))
    finally:
        savepoint.rollback()
