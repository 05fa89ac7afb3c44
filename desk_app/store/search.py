"""Full-text search over ticket subjects, message text and customers, on both databases.

Documents are normalised by core.search_text, so the two databases only differ in how a list
of terms becomes a query: an FTS5 MATCH expression or a tsquery. Terms contain letters and
digits only, so user input can never become query syntax on either side.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import column, func, literal_column, select, table, text
from sqlalchemy.orm import Session

from desk_app.core.search_text import QueryTerm, index_text, query_terms
from desk_app.store.models import SearchDoc, Ticket

# Message bodies beyond this are not indexed: it bounds index size for pasted logs.
MAX_INDEXED_CHARS = 20_000
# Matching documents are taken newest first up to this many before mapping them to tickets,
# which keeps a query on a very common word as fast as one on a rare word.
MAX_CANDIDATE_DOCS = 2_000

_FTS = table("search_fts", column("rowid"))


def index_new_ticket(session: Session, ticket_id: int, subject: str) -> None:
    _add_doc(session, "ticket", ticket_id, ticket_id, index_text(subject))


def index_new_message(session: Session, message_id: int, ticket_id: int, body: str) -> None:
    _add_doc(session, "message", message_id, ticket_id, index_text(body[:MAX_INDEXED_CHARS]))


def index_customer(
    session: Session, customer_id: int, name: str, organisation: str, identities: Sequence[str]
) -> None:
    body = index_text(name, organisation, *identities)
    doc = _doc(session, "customer", customer_id)
    if doc is None:
        _add_doc(session, "customer", customer_id, None, body)
    elif doc.body != body:
        _fts_delete(session, doc)
        doc.body = body
        session.flush([doc])
        _fts_insert(session, doc.id, body)


def unindex_customer(session: Session, customer_id: int) -> None:
    doc = _doc(session, "customer", customer_id)
    if doc is not None:
        _fts_delete(session, doc)
        session.delete(doc)


def index_loaded_range(session: Session, first_id: int, last_id: int) -> None:
    """Index documents a bulk load inserted directly, in one statement."""
    if _is_sqlite(session):
        session.execute(
            text(
                "INSERT INTO search_fts(rowid, body) "
                "SELECT id, body FROM search_docs WHERE id BETWEEN :first AND :last"
            ),
            {"first": first_id, "last": last_id},
        )


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _doc(session: Session, kind: str, ref_id: int) -> SearchDoc | None:
    return session.scalars(
        select(SearchDoc).where(SearchDoc.kind == kind, SearchDoc.ref_id == ref_id)
    ).first()


def _add_doc(session: Session, kind: str, ref_id: int, ticket_id: int | None, body: str) -> None:
    doc = SearchDoc(kind=kind, ref_id=ref_id, ticket_id=ticket_id, body=body)
    session.add(doc)
    session.flush([doc])
    _fts_insert(session, doc.id, body)


# PostgreSQL keeps its tsvector column up to date by itself (a stored generated column).
def _fts_insert(session: Session, doc_id: int, body: str) -> None:
    if _is_sqlite(session):
        session.execute(
            text("INSERT INTO search_fts(rowid, body) VALUES (:id, :body)"),
            {"id": doc_id, "body": body},
        )


def _fts_delete(session: Session, doc: SearchDoc) -> None:
    # External-content FTS5 deletes need the old text to remove its tokens.
    if _is_sqlite(session):
        session.execute(
            text("INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', :id, :body)"),
            {"id": doc.id, "body": doc.body},
        )


def fts5_expression(terms: Sequence[QueryTerm]) -> str:
    # Each term is a quoted phrase; '*' after it makes its last token a prefix.
    return " AND ".join(
        f'"{" ".join(term.tokens)}"' + ("*" if term.prefix else "") for term in terms
    )


def tsquery_expression(terms: Sequence[QueryTerm]) -> str:
    parts = []
    for term in terms:
        lexemes = [f"'{token}'" for token in term.tokens]
        if term.prefix:
            lexemes[-1] += ":*"
        parts.append("(" + " <-> ".join(lexemes) + ")")
    return " & ".join(parts)


def matching_ticket_ids(session: Session, query: str, limit: int) -> list[int]:
    """Tickets whose subject, messages or customer match every typed word, newest first."""
    terms = query_terms(query)
    if not terms:
        return []
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        docs = (
            select(SearchDoc.kind, SearchDoc.ref_id, SearchDoc.ticket_id)
            .join(_FTS, _FTS.c.rowid == SearchDoc.id)
            .where(text("search_fts MATCH :match").bindparams(match=fts5_expression(terms)))
            .order_by(SearchDoc.id.desc())
            .limit(MAX_CANDIDATE_DOCS)
        )
    else:
        docs = (
            select(SearchDoc.kind, SearchDoc.ref_id, SearchDoc.ticket_id)
            .where(
                literal_column("tsv").op("@@")(func.to_tsquery("simple", tsquery_expression(terms)))
            )
            .order_by(SearchDoc.id.desc())
            .limit(MAX_CANDIDATE_DOCS)
        )
    hits = docs.cte("hits")
    by_ticket = select(hits.c.ticket_id).where(hits.c.ticket_id.is_not(None))
    by_customer = select(hits.c.ref_id).where(hits.c.kind == "customer")
    rows = session.execute(
        select(Ticket.id)
        .where(Ticket.id.in_(by_ticket) | Ticket.customer_id.in_(by_customer))
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
        .limit(limit)
    )
    return [row[0] for row in rows]
