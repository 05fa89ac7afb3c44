"""Persistence and the service API. The UI and CLI use Database, Service, Queries and records."""

from desk_app.store.database import Database
from desk_app.store.queries import Queries
from desk_app.store.service import NewAttachment, Service

__all__ = ["Database", "NewAttachment", "Queries", "Service"]
