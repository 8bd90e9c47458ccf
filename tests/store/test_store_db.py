"""Opening the store: automatic migrations, URL handling, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from minutes.errors import StoreError
from minutes.store.db import current_revision, head_revision, open_store, resolve_url


def test_first_use_creates_the_schema_and_a_second_open_is_a_no_op(db_url: str) -> None:
    store = open_store(db_url)
    try:
        tables = set(sa.inspect(store.engine).get_table_names())
        assert {
            "meetings",
            "notes",
            "action_items",
            "decisions",
            "llm_calls",
            "llm_cache",
            "prompt_evaluations",
        } <= tables
        assert current_revision(store.engine) == head_revision() == _newest_migration()
    finally:
        store.close()
    again = open_store(db_url)  # already at head: nothing to do, nothing breaks
    assert current_revision(again.engine) == _newest_migration()
    again.close()


def test_default_sqlite_file_lives_in_the_user_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    url = resolve_url(None)
    assert url.get_backend_name() == "sqlite"
    assert url.database == str(tmp_path / "data" / "minutes" / "minutes.db")
    store = open_store(None)
    assert Path(url.database).is_file()
    store.close()


def test_postgresql_urls_use_psycopg() -> None:
    assert resolve_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert resolve_url("postgres://u@h/db").drivername == "postgresql+psycopg"


def test_sqlite_uses_hnswlib_when_installed(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'u.db'}")
    assert store.vectors.name == "hnswlib"
    assert store.vectors.folder == tmp_path / "u.db.vectors"  # type: ignore[attr-defined]
    store.close()


def test_sqlite_uses_sqlite_vec_when_the_driver_can_load_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("minutes.store.db.hnsw_available", lambda: False)
    store = open_store(f"sqlite:///{tmp_path / 'v.db'}")
    assert store.vectors.name == "sqlite-vec"
    with store.connect() as conn:
        assert conn.execute(sa.text("SELECT vec_version()")).scalar().startswith("v")
    store.close()


def test_sqlite_without_an_extension_capable_driver_falls_back_to_numpy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("minutes.store.db._extension_capable_sqlite", lambda: None)
    monkeypatch.setattr("minutes.store.db.hnsw_available", lambda: False)
    store = open_store(f"sqlite:///{tmp_path / 'plain.db'}")
    assert store.vectors.name == "numpy"
    store.close()


def test_unreachable_database_is_one_store_error_with_the_password_hidden() -> None:
    with pytest.raises(StoreError) as info:
        open_store("postgresql://someone:s3cret@127.0.0.1:9/nothing")
    message = str(info.value)
    assert "cannot open the database" in message
    assert "s3cret" not in message
    assert info.value.exit_code == 9


def test_garbage_url_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="not a database URL"):
        open_store("not a url at all")


def test_unsupported_backend_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="unsupported database"):
        open_store("mysql://u@h/db")


def test_a_failing_query_is_a_store_error_with_the_driver_error_as_its_cause(
    db_url: str,
) -> None:
    store = open_store(db_url)
    try:
        with (
            pytest.raises(StoreError, match="database error on") as info,
            store.read() as session,
        ):
            session.execute(sa.text("SELECT * FROM no_such_table"))
        assert isinstance(info.value.__cause__, sa.exc.SQLAlchemyError)
        with pytest.raises(StoreError), store.transaction() as session:
            session.execute(sa.text("UPDATE no_such_table SET x = 1"))
    finally:
        store.close()


def test_a_read_only_database_is_refused_before_any_work(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    open_store(f"sqlite:///{path}").close()
    # Root ignores file modes, so the read-only case is the driver's own read-only mode.
    store = open_store(f"sqlite:///file:{path}?mode=ro&uri=true", migrate=False)
    try:
        with pytest.raises(StoreError, match="cannot be written: attempt to write a readonly"):
            store.check_writable()
    finally:
        store.close()
    writable = open_store(f"sqlite:///{path}")
    writable.check_writable()
    writable.close()


def test_a_damaged_database_is_named_when_it_opens(tmp_path: Path) -> None:

    import sqlean

    path = tmp_path / "m.db"
    open_store(f"sqlite:///{path}").close()
    conn = sqlean.connect(str(path))
    conn.execute("CREATE TABLE filler (x TEXT)")
    conn.executemany("INSERT INTO filler VALUES (?)", [(f"row {i} " * 20,) for i in range(3000)])
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    size = path.stat().st_size
    with path.open("r+b") as fh:
        fh.seek(size // 2)
        fh.write(b"\xa5" * 3000)  # over a page header: an invalid page type
    with pytest.raises(StoreError, match="is damaged") as info:
        open_store(f"sqlite:///{path}")
    assert "\n" not in str(info.value)


def _newest_migration() -> str:
    from minutes.store.db import MIGRATIONS

    return max(p.name.split("_")[0] for p in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))
