"""The hnswlib graph of the cache on SQLite: persisted beside the database, caught up with
rows written by another process, rebuilt when its file is unusable, never answering a row
that is gone, and as exact as brute force on the hits it gives."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from minutes.store import ann_index
from minutes.store.cache_store import CacheStore, NewEntry
from minutes.store.db import Store, open_store

T0 = dt.datetime(2026, 11, 20, 12, 0)
DIM = 48


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    m = rng.normal(size=(n, DIM)).astype(np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def fill(cache: CacheStore, matrix: np.ndarray, *, start: int = 0, scope: str = "s") -> None:
    cache.put_many(
        [
            NewEntry(
                exact_key=f"{scope}{start + i}",
                scope=scope,
                model="m",
                response=f"reply {start + i}",
                embedding=v,
                created_at=T0,
            )
            for i, v in enumerate(matrix)
        ]
    )


def answer(cache: CacheStore, vector: np.ndarray) -> str | None:
    """The text of the entry the cache answers ``vector`` with, if any."""
    hit = cache.nearest("s", vector, min_created=T0)
    return hit.text if hit is not None else None


def opened(path: Path) -> Store:
    store = open_store(f"sqlite:///{path}")
    assert store.vectors.name == "hnswlib"
    return store


def test_the_graph_is_saved_beside_the_database_and_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ann_index, "SAVE_AFTER", 50)
    rng = np.random.default_rng(0)
    matrix = unit(rng, 120)
    first = opened(tmp_path / "c.db")
    fill(CacheStore(first), matrix)
    assert answer(CacheStore(first), matrix[7]) == "reply 7"
    files = list((tmp_path / "c.db.vectors").glob("*.hnsw"))
    assert len(files) == 1
    first.close()

    # another process: reads the file, then catches up with rows written after it
    second = opened(tmp_path / "c.db")
    fill(CacheStore(second), unit(rng, 5), start=120)
    hit = CacheStore(second).nearest("s", matrix[99], min_created=T0)
    assert hit is not None and hit.text == "reply 99" and hit.similarity == pytest.approx(1.0)
    graph = next(iter(second.vectors._graphs.values()))  # type: ignore[attr-defined]
    assert graph.live == 125 and graph.max_id == 125
    second.close()


def test_rows_written_by_another_store_are_found_by_the_next_lookup(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    reader, writer = opened(tmp_path / "c.db"), opened(tmp_path / "c.db")
    a, b = unit(rng, 2)
    assert CacheStore(reader).nearest("s", a, min_created=T0) is None
    fill(CacheStore(writer), np.vstack([a]))
    assert answer(CacheStore(reader), a) == "reply 0"
    fill(CacheStore(writer), np.vstack([b]), start=1)
    assert answer(CacheStore(reader), b) == "reply 1"
    reader.close()
    writer.close()


def test_deleted_and_expired_rows_are_never_answered(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    store = opened(tmp_path / "c.db")
    cache = CacheStore(store)
    matrix = unit(rng, 40)
    fill(cache, matrix)
    assert answer(cache, matrix[3]) == "reply 3"
    # the same key written again: the old row goes, the new one answers
    cache.put(NewEntry("s3", "s", "m", "again", embedding=matrix[3], created_at=T0))
    assert answer(cache, matrix[3]) == "again"
    assert cache.clear() == 40
    assert cache.nearest("s", matrix[3], min_created=T0) is None
    graph = next(iter(store.vectors._graphs.values()))  # type: ignore[attr-defined]
    assert graph.live < 41  # what came up as a candidate left the graph
    fill(cache, matrix[:2], start=100)
    assert answer(cache, matrix[1]) == "reply 101"
    assert cache.nearest("s", matrix[1], min_created=T0 + dt.timedelta(seconds=1)) is None
    store.close()


def test_an_unreadable_file_is_rebuilt_from_the_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ann_index, "SAVE_AFTER", 10)
    rng = np.random.default_rng(3)
    matrix = unit(rng, 30)
    store = opened(tmp_path / "c.db")
    fill(CacheStore(store), matrix)
    assert CacheStore(store).nearest("s", matrix[0], min_created=T0) is not None
    store.close()
    (file,) = (tmp_path / "c.db.vectors").glob("*.hnsw")
    file.write_bytes(b"not an index")
    again = opened(tmp_path / "c.db")
    assert answer(CacheStore(again), matrix[29]) == "reply 29"
    again.close()


def test_hits_agree_with_exact_search(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    matrix = unit(rng, 3000)
    store = opened(tmp_path / "c.db")
    cache = CacheStore(store)
    fill(cache, matrix)
    fill(cache, unit(rng, 50), scope="other")  # another scope is never answered
    picks = rng.choice(len(matrix), 100, replace=False)
    queries = matrix[picks] + 0.1 * unit(rng, 100)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    for q, want in zip(queries, picks, strict=True):
        exact = int(np.argmax(matrix @ q))
        hit = cache.nearest("s", q, min_created=T0)
        assert hit is not None and hit.text == f"reply {exact}" == f"reply {want}"
        assert hit.similarity == pytest.approx(float(matrix[exact] @ q), abs=1e-5)
    store.close()


def test_an_in_memory_database_keeps_its_graph_in_memory() -> None:
    store = open_store("sqlite://")
    assert store.vectors.name == "hnswlib"
    assert store.vectors.folder is None  # type: ignore[attr-defined]
    cache = CacheStore(store)
    v = unit(np.random.default_rng(5), 1)
    fill(cache, v)
    assert answer(cache, v[0]) == "reply 0"
    store.close()


def test_a_graph_grows_past_its_first_capacity_and_keeps_answering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ann_index, "INITIAL_CAPACITY", 16)
    rng = np.random.default_rng(6)
    matrix = unit(rng, 100)
    store = opened(tmp_path / "c.db")
    cache = CacheStore(store)
    for start in range(0, 100, 30):  # several catch-ups, each past the capacity
        fill(cache, matrix[start : start + 30], start=start)
        last = min(start + 29, 99)
        assert answer(cache, matrix[last]) == f"reply {last}"
    store.close()


def test_a_reloaded_graph_with_deleted_labels_still_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # labels deleted in an earlier process are in the file but not counted as deleted by the
    # next one: asking for more neighbours than are live must not fail the lookup
    monkeypatch.setattr(ann_index, "SAVE_AFTER", 1)
    rng = np.random.default_rng(7)
    matrix = unit(rng, 12)
    store = opened(tmp_path / "c.db")
    cache = CacheStore(store)
    fill(cache, matrix)
    for i in range(10):  # replaced under their keys: the old rows go, the graph marks them
        cache.put(NewEntry(f"s{i}", "s", "m", f"new {i}", embedding=matrix[i], created_at=T0))
        assert answer(cache, matrix[i]) == f"new {i}"
    store.close()
    again = opened(tmp_path / "c.db")
    assert answer(CacheStore(again), matrix[11]) == "reply 11"
    again.close()
