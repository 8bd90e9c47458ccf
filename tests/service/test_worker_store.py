"""A worker's pool process keeps one store across its jobs: opening one per job cost an
engine, new PostgreSQL connections and a schema check, a third of its CPU under load."""

from __future__ import annotations

from pathlib import Path

from minutes.service.tasks import _process_store


def test_a_pool_process_opens_each_store_once(tmp_path: Path) -> None:
    first = f"sqlite:///{tmp_path / 'a.db'}"
    second = f"sqlite:///{tmp_path / 'b.db'}"
    store = _process_store(first)
    try:
        assert _process_store(first) is store
        other = _process_store(second)
        assert other is not store
        with store.read() as session:  # it is open and migrated
            assert session.connection().exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        store.close()
        _process_store(second).close()
