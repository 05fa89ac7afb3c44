"""The models and the migrations describe the same schema, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from desk_app.store.models import Base


def test_migrations_create_exactly_what_the_models_declare(db):
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    # The search index (FTS5 table, tsvector column) is dialect-specific and lives only in the
    # migration; everything else must match.
    unexpected = [d for d in differences if "search_fts" not in str(d) and "tsv" not in str(d)]
    assert unexpected == []
