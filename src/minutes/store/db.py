"""Open the store: resolve the URL, make the engine, migrate to the latest schema on first use.

SQLite (the default: ``<user data dir>/minutes/minutes.db``) or PostgreSQL
(``MINUTES_DATABASE_URL=postgresql://user@host/db``). On SQLite the driver is ``sqlean.py``
when installed, because it can load the sqlite-vec extension; the stdlib ``sqlite3`` works
too. Vector search on SQLite: hnswlib's HNSW graph beside the file when hnswlib is installed
(the ``embeddings`` extra), else sqlite-vec, else numpy. Whatever goes wrong opening the
store is one ``StoreError``.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import platformdirs
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, CursorResult, Result, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from minutes.errors import StoreError
from minutes.store.ann_index import HnswSearch, hnsw_available, index_folder
from minutes.store.vectors import (
    NumpySearch,
    PgVectorSearch,
    SqliteVecSearch,
    VectorSearch,
    ensure_pgvector,
    pgvector_version,
)

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant: serialises concurrent first-use migrations on one PostgreSQL database.
_MIGRATION_LOCK_KEY = 0x6D696E75746573


def default_database_url() -> str:
    path = Path(platformdirs.user_data_dir("minutes")) / "minutes.db"
    return f"sqlite:///{path}"


def resolve_url(url: str | None) -> URL:
    """``url`` (else the default SQLite file), with ``postgresql://`` mapped to psycopg 3."""
    raw = url or default_database_url()
    try:
        parsed = make_url(raw)
    except ArgumentError:
        raise StoreError(f"not a database URL: {raw!r}") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


@dataclass
class Store:
    """An open database: the engine, sessions, and the vector search it supports."""

    engine: Engine
    vectors: VectorSearch
    _sessions: sessionmaker[Session] = field(init=False)
    _writes: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # On SQLite a write transaction starts with BEGIN IMMEDIATE (see _sqlite_engine).
        self._writes = sessionmaker(
            self.engine.execution_options(minutes_write=True), expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def display_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._errors(), self._sessions() as session:
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits together at the end of the block, or not at all."""
        with self._errors(), self._writes() as session, session.begin():
            yield session

    @contextmanager
    def connect(self, *, write: bool = False) -> Iterator[Connection]:
        engine = self.engine.execution_options(minutes_write=True) if write else self.engine
        with self._errors(), engine.begin() as conn:
            yield conn

    @contextmanager
    def _errors(self) -> Iterator[None]:
        # Callers of the Python API see the hierarchy (StoreError), never a driver's error;
        # the original stays attached as __cause__ for whoever debugs it.
        try:
            yield
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise StoreError(f"database error on {self.display_url}: {reason}") from exc

    def check_writable(self) -> None:
        """Raise ``StoreError`` now, before any work, when the database cannot be written (a
        read-only file, stale read-only ``-wal``/``-shm`` files, a read-only server): a run
        would otherwise compute its notes and only then fail to save them."""
        try:
            with (
                self.engine.execution_options(minutes_write=True).connect() as conn,
                conn.begin() as tx,
            ):
                # A write that changes nothing, rolled back: the database must accept it.
                conn.execute(text("UPDATE alembic_version SET version_num = version_num"))
                tx.rollback()
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            hint = (
                " (check the permissions of the file and of its -wal and -shm files)"
                if self.dialect == "sqlite"
                else ""
            )
            raise StoreError(
                f"the database {self.display_url} cannot be written: {reason}{hint}"
            ) from exc

    def close(self) -> None:
        self.engine.dispose()


def affected(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE touched (``Session.execute`` is typed as returning any
    ``Result``; for DML it is a ``CursorResult``)."""
    return cast("CursorResult[Any]", result).rowcount


def open_store(url: str | None = None, *, migrate: bool = True) -> Store:
    """The store at ``url`` (default: the SQLite file), migrated to the latest schema."""
    parsed = resolve_url(url)
    safe = parsed.render_as_string(hide_password=True)
    try:
        if parsed.get_backend_name() == "sqlite":
            engine, has_vec = _sqlite_engine(parsed)
        elif parsed.get_backend_name() == "postgresql":
            engine, has_vec = _postgres_engine(parsed), False
        else:
            raise StoreError(f"unsupported database {safe}: use sqlite:/// or postgresql://")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            if parsed.get_backend_name() == "sqlite":
                _check_integrity(conn, safe)
        if migrate:
            run_migrations(engine)
        vectors = _vector_search(engine, has_vec)
    except StoreError:
        raise
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        hint = " (pip install 'minutes[postgres]')" if "postgres" in safe else ""
        raise StoreError(f"no driver for {safe}: {exc}{hint}") from None
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StoreError(f"cannot open the database {safe}: {reason}") from None
    return Store(engine, vectors)


def _check_integrity(conn: Connection, safe: str) -> None:
    # quick_check reads every page but skips the index cross-checks: damage that would
    # otherwise show up as odd rows, or as a failure mid-save, is named when the store opens.
    try:
        problems = [str(row[0]) for row in conn.exec_driver_sql("PRAGMA quick_check(3)")]
    except DBAPIError as exc:  # with an FTS5 table (the search index) damage raises instead
        problems = [str(exc.orig).strip() or "malformed"]
    if problems != ["ok"]:
        said = "; ".join(line for p in problems for line in p.splitlines() if "***" not in line)
        raise StoreError(
            f"the database {safe} is damaged ({said}): restore a copy, "
            "or move it aside to start afresh (its meetings are then gone)"
        )


def _sqlite_engine(url: URL) -> tuple[Engine, bool]:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        try:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the database folder for {database}: {exc}") from None
    kwargs: dict[str, Any] = {"connect_args": {"timeout": 30, "check_same_thread": False}}
    module = _extension_capable_sqlite()
    if module is not None:
        kwargs["module"] = module
    engine = create_engine(url, **kwargs)
    loaded = {"vec": module is not None}

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Our own BEGIN (below) instead of the driver's implicit one, so that a write
        # transaction can take the lock up front rather than fail to upgrade later.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA busy_timeout = 30000")
        if database and database != ":memory:":
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()
        if loaded["vec"]:
            try:
                import sqlite_vec

                dbapi_conn.enable_load_extension(True)
                sqlite_vec.load(dbapi_conn)
                dbapi_conn.enable_load_extension(False)
            except Exception as exc:  # a platform without the binary: numpy instead
                log.warning("sqlite-vec could not be loaded (%s); using numpy search", exc)
                loaded["vec"] = False

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("minutes_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    with engine.connect():
        pass  # runs _on_connect once, so that loaded["vec"] is known
    return engine, loaded["vec"]


def _extension_capable_sqlite() -> Any | None:
    """``sqlean`` (a sqlite3 that can load extensions) when it and sqlite-vec are installed."""
    if importlib.util.find_spec("sqlean") is None or importlib.util.find_spec("sqlite_vec") is None:
        return None
    import sqlean

    return sqlean


def _postgres_engine(url: URL) -> Engine:
    return create_engine(
        url, pool_pre_ping=True, connect_args={"connect_timeout": 5}, pool_size=5, max_overflow=5
    )


def _vector_search(engine: Engine, sqlite_vec_loaded: bool) -> VectorSearch:
    if engine.dialect.name == "sqlite":
        if hnsw_available():
            database = engine.url.database or ""
            in_memory = not database or database == ":memory:" or database.startswith("file:")
            return HnswSearch(None if in_memory else index_folder(database))
        return SqliteVecSearch() if sqlite_vec_loaded else NumpySearch()
    with engine.begin() as conn:
        version = pgvector_version(conn)
        if version is None and ensure_pgvector(conn):
            version = pgvector_version(conn)  # pgvector arrived after the migration ran
    if version is None:
        return NumpySearch()
    return PgVectorSearch(iterative_scan=_at_least(version, (0, 8)))


def _at_least(version: str, wanted: tuple[int, ...]) -> bool:
    try:
        return tuple(int(p) for p in version.split(".")[:2]) >= wanted
    except ValueError:
        return False


# Alembic is imported when a schema check runs, not by everything that imports the store.


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


@functools.cache  # the package's migrations do not change while it runs
def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def run_migrations(engine: Engine) -> None:
    """Upgrade to the latest schema; a no-op (one query) when already there."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    head = head_revision()
    if current_revision(engine) == head:
        return
    with engine.execution_options(minutes_write=True).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
        if MigrationContext.configure(conn).get_current_revision() == head:
            return  # another process migrated while we waited for the lock
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        log.info("migrating %s to %s", engine.url.render_as_string(hide_password=True), head)
        command.upgrade(cfg, "head")
