"""What schema comparison leaves out: the hand-managed, dialect-specific full-text index."""

from typing import Any


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    # FTS5's shadow tables on SQLite and the generated tsvector column on PostgreSQL are
    # created by the migrations directly; autogenerate must neither add nor drop them.
    if type_ == "table" and name and name.startswith("search_fts"):
        return False
    return name not in ("tsv", "ix_ticket_search_tsv")
