"""Alembic environment: migrations always run on a connection handed in by Database.upgrade."""

from alembic import context

from desk_app.store.models import Base
from desk_app.store.schema_filter import include_object

connection = context.config.attributes["connection"]


context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
