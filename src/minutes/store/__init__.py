"""The store: SQLAlchemy models, Alembic migrations and repositories over SQLite or
PostgreSQL, with vector search. Every database problem surfaces as ``StoreError``."""

from minutes.store.db import Store, open_store

__all__ = ["Store", "open_store"]
