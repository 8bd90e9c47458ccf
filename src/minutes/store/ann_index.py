"""Approximate nearest-neighbour search for the cache on SQLite: an HNSW graph (hnswlib) per
scope and dimension, held in memory, persisted beside the database file and kept in step
with ``llm_cache`` by row id.

Why this shape:
- Exact search does not scale: sqlite-vec scans every row in SQL (about 200 ms at 100,000
  entries) and numpy scans the scope's whole matrix (20-40 ms). The graph answers in well
  under a millisecond.
- The database stays the truth. The graph holds row ids only as labels; every lookup takes
  ``CANDIDATES`` neighbours from the graph and keeps the most similar whose row still exists
  and is young enough (read from SQLite), so a deleted or expired entry is never answered.
  The graph holds the vectors as stored (float32), so its inner products are the exact
  similarities and no vector is read back.
- Keeping in step costs one indexed query per lookup when nothing is new (a second reads
  the new rows): SQLite commits writers one at a time and gives a new row the highest id
  plus one, so the rows after the graph's highest key are the new ones, unless the newest
  rows were deleted (their ids are given out again): then the scope's highest id is below
  the graph's and the graph is rebuilt. Other deleted
  rows (``cache clear --older-than``, an entry replaced under its exact key) are found when
  they come up as candidates and marked deleted in the graph then.
- The file is a cache of a cache: missing, unreadable or of another dimension, it is rebuilt
  from the rows. Written atomically (temporary file, then rename), so concurrent processes
  each leave a whole file; whichever lands, the next process catches up from its highest id.
- hnswlib, not usearch: usearch's wheels link libstdc++ statically, and once imported, a
  llama.cpp model loaded later in the process fails (``std::bad_cast`` reading its
  vocabulary: two copies of the C++ runtime's locale tables). The local model and the
  semantic cache meet in one CLI run, so the graph library must share the system's runtime.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import Connection, text

from minutes.store.vectors import Match, VectorBackend, from_blob, row_time

if TYPE_CHECKING:
    from hnswlib import Index

log = logging.getLogger(__name__)

# Graph parameters, measured on the hardest case (random 384-d vectors, where neighbourhoods
# have no structure) at 100,000 entries: M 16 with ef_construction 200 found exact search's
# hit at the 0.95 threshold for 96-98.5 % of lookups at ef 128 and 99.5-100 % at ef 256; M 32
# built 1.6x slower and searched 2x slower for the same recall (`bench/semantic_cache.py`).
CONNECTIVITY = 16  # hnswlib's M
EXPANSION_ADD = 200  # ef_construction
EXPANSION_SEARCH = 256  # ef at query time (at least the number of candidates asked)
CANDIDATES = 16  # checked against the rows; widened once when none of them is live
WIDE_CANDIDATES = 256
SAVE_AFTER = 1_000  # rows added since the file was written
INITIAL_CAPACITY = 1_024


def hnsw_available() -> bool:
    try:
        import hnswlib  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class _Graph:
    index: Index
    max_id: int
    # labels marked deleted, so a query never asks for more neighbours than the graph holds
    # live (hnswlib raises then); after a reload the file's own marks are not known here,
    # which `_query` tolerates
    deleted: set[int] = field(default_factory=set)
    unsaved: int = 0

    @property
    def live(self) -> int:
        return int(self.index.get_current_count()) - len(self.deleted)


@dataclass
class HnswSearch:
    """HNSW per (scope, dimension); ``folder`` holds the persisted graphs (None: memory only,
    for an in-memory database)."""

    folder: Path | None
    name: VectorBackend = "hnswlib"
    _graphs: dict[tuple[str, int], _Graph] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def nearest(
        self, conn: Connection, scope: str, vector: np.ndarray, min_created: dt.datetime
    ) -> Match | None:
        dim = int(vector.shape[0])
        # One lock per process around the graph: a search must not race an add or a resize
        # of the same index, and a lookup is short.
        with self._lock:
            graph = self._current(conn, scope, dim)
            if graph is None or graph.live <= 0:
                return None
            for count in (CANDIDATES, WIDE_CANDIDATES):
                found = _query(graph, vector, count)
                match = self._first_live(conn, graph, found, min_created)
                if match is not None or len(found) < count:
                    return match
            return None

    def after_insert(self, conn: Connection, entry_id: int, vector: np.ndarray) -> None:
        # The next lookup catches up from the table: the row is visible only once its
        # transaction commits, and a graph updated here could hold a row that was rolled back.
        return None

    def _first_live(
        self,
        conn: Connection,
        graph: _Graph,
        found: list[Match],
        min_created: dt.datetime,
    ) -> Match | None:
        """The most similar of ``found`` (nearest first) whose row exists and is not too old;
        rows that are gone leave the graph."""
        if not found:
            return None
        # Driver SQL: an expanding IN compiled by SQLAlchemy on every lookup cost a third of
        # the graph search (profiled at 100k rows); SQLite's drivers all take qmark style.
        marks = ",".join("?" * len(found))
        rows = conn.exec_driver_sql(
            f"SELECT id, created_at FROM llm_cache WHERE id IN ({marks}) AND embedding IS NOT NULL",
            tuple(m.id for m in found),
        ).all()
        created = {int(r.id): row_time(r.created_at) for r in rows}
        for gone in (m.id for m in found if m.id not in created and m.id not in graph.deleted):
            graph.index.mark_deleted(gone)
            graph.deleted.add(gone)
            graph.unsaved += 1
        return next((m for m in found if m.id in created and created[m.id] >= min_created), None)

    def _current(self, conn: Connection, scope: str, dim: int) -> _Graph | None:
        graph = self._graphs.get((scope, dim))
        if graph is None:
            graph = self._open(scope, dim)
            self._graphs[(scope, dim)] = graph
        added = self._catch_up(conn, scope, dim, graph)
        if added:
            graph.unsaved += added
        if graph.unsaved >= SAVE_AFTER:
            self._save(scope, dim, graph)
        return graph

    def _catch_up(self, conn: Connection, scope: str, dim: int, graph: _Graph) -> int:
        top = int(
            conn.exec_driver_sql(
                # ORDER BY ... LIMIT 1 walks the (scope, id) index from its end; max(id) with
                # the dimension filter would read every row of the scope
                "SELECT id FROM llm_cache WHERE scope = ? AND embedding_dim = ? "
                "ORDER BY id DESC LIMIT 1",
                (scope, dim),
            ).scalar()
            or 0
        )
        if top == graph.max_id:
            return 0  # the usual case: nothing new since the last lookup
        if top < graph.max_id:
            # The newest rows were deleted: SQLite hands their ids out again, so rows after
            # the graph's highest key are no longer all the new ones. Start over.
            graph.index = _new_index(dim)
            graph.max_id = 0
            graph.deleted.clear()
        added = 0
        while True:
            rows = conn.execute(
                text(
                    "SELECT id, embedding FROM llm_cache WHERE scope = :scope AND id > :after "
                    "AND embedding_dim = :dim ORDER BY id LIMIT 50000"
                ),
                {"scope": scope, "after": graph.max_id, "dim": dim},
            ).all()
            if not rows:
                return added
            ids = np.array([r.id for r in rows], dtype=np.uint64)
            matrix = np.vstack([from_blob(r.embedding) for r in rows])
            needed = int(graph.index.get_current_count()) + len(rows)
            capacity = int(graph.index.get_max_elements())
            if needed > capacity:
                graph.index.resize_index(max(needed, 2 * capacity))
            graph.index.add_items(matrix, ids, num_threads=os.cpu_count() or 1)
            graph.max_id = int(rows[-1].id)
            added += len(rows)

    def _open(self, scope: str, dim: int) -> _Graph:
        path = self._path(scope, dim)
        if path is not None and path.exists():
            try:
                import hnswlib

                index = hnswlib.Index(space="ip", dim=dim)
                index.load_index(str(path))
                index.set_ef(EXPANSION_SEARCH)
                labels = index.get_ids_list()
                return _Graph(index, int(max(labels)) if len(labels) else 0)
            except (OSError, RuntimeError, ValueError) as exc:
                log.warning("rebuilding the vector index %s: %s", path, exc)
        return _Graph(_new_index(dim), 0)

    def _save(self, scope: str, dim: int, graph: _Graph) -> None:
        path = self._path(scope, dim)
        graph.unsaved = 0
        if path is None:
            return
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            graph.index.save_index(str(temporary))
            os.replace(temporary, path)
        except (OSError, RuntimeError) as exc:
            # The graph in memory is whole; the next process rebuilds or catches up.
            log.warning("cannot write the vector index %s: %s", path, exc)
            temporary.unlink(missing_ok=True)

    def _path(self, scope: str, dim: int) -> Path | None:
        if self.folder is None:
            return None
        digest = hashlib.sha256(f"{scope}\0{dim}".encode()).hexdigest()[:32]
        return self.folder / f"{digest}-{dim}.hnsw"


def _query(graph: _Graph, vector: np.ndarray, count: int) -> list[Match]:
    """Up to ``count`` nearest entries, nearest first, with their similarity (one minus
    hnswlib's inner-product distance). hnswlib refuses a query for more neighbours than it
    can find live; labels deleted in an earlier process are not counted in ``live``, so a
    refusal halves the request rather than failing the lookup."""
    k = min(count, graph.live)
    while k > 0:
        graph.index.set_ef(max(EXPANSION_SEARCH, k))
        try:
            labels, distances = graph.index.knn_query(vector, k=k)
        except RuntimeError:
            k //= 2
            continue
        return [
            Match(int(label), 1.0 - float(distance))
            for label, distance in zip(labels[0], distances[0], strict=True)
        ]
    return []


def _new_index(dim: int) -> Index:
    import hnswlib

    # Inner product on the unit vectors the cache stores: the cosine, without hnswlib
    # normalising each vector again.
    index = hnswlib.Index(space="ip", dim=dim)
    index.init_index(max_elements=INITIAL_CAPACITY, ef_construction=EXPANSION_ADD, M=CONNECTIVITY)
    index.set_ef(EXPANSION_SEARCH)
    return index


def index_folder(database: str) -> Path:
    """Where the graphs of the SQLite file ``database`` live: beside it, named after it."""
    path = Path(database).expanduser()
    return path.with_name(f"{path.name}.vectors")
