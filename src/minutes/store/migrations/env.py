"""Alembic environment: migrations run programmatically (``minutes.store.db.migrate``) on a
connection handed over in ``config.attributes["connection"]``, never from an ini file."""

from __future__ import annotations

from alembic import context

from minutes.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached by running the alembic CLI by hand
    raise RuntimeError(
        "minutes migrations run through minutes.store.db.migrate(engine), not the alembic CLI"
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things: batch mode copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
