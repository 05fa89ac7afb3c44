"""The models and the migrations describe the same schema, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from desk_app.store.models import Base
from desk_app.store.schema_filter import include_object


def test_migrations_create_exactly_what_the_models_declare(db):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": include_object, "compare_type": True}
        )
        differences = compare_metadata(context, Base.metadata)
    # The search index (FTS5 tables, tsvector column) is dialect-specific, lives only in the
    # migrations and is left out by the same filter the migration environment uses.
    assert differences == []
