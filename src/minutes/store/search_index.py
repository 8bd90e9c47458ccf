"""The search index: every transcript segment and note item of a meeting as a ``search_docs``
row, with full-text search on both backends.

- SQLite: an FTS5 table (``porter unicode61`` tokenizer) over ``search_docs.text``, kept in
  step by triggers, ranked by FTS5's ``bm25()``;
- PostgreSQL: a generated ``tsvector`` column (english configuration) with a GIN index,
  ranked by ``ts_rank_cd`` (cover density: PostgreSQL has no BM25).

The index of a meeting is rewritten whenever the meeting is saved and goes with it when it is
forgotten (explicit delete, and the foreign key cascades). Matches come back with the
matching words marked ``**like this**``. Vectors (optional) are L2-normalised float32 blobs,
compared in numpy.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import bindparam, delete, insert, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter, TextClause

from minutes.notes import MeetingNotes, SourceRef
from minutes.store.models import DEFAULT_TENANT, Meeting, SearchDoc
from minutes.store.vectors import from_blob, normalise, to_blob
from minutes.transcripts.models import Segment, Transcript

MARK = "**"
_TOKEN = re.compile(r"\w+", re.UNICODE)
# Words that carry no subject: they would match half of every meeting.
STOPWORDS: frozenset[str] = frozenset(
    """a an and are as at be been but by can could did do does for from had has have he her
    his how i if in into is it its just me my no not of on or our she so than that the their
    them then there these they this to us was we were what when where which who whom why will
    with would you your about also any all again did done get got said say says tell told""".split()  # noqa: SIM905
)


@dataclass(frozen=True)
class TextMatch:
    doc_id: int
    rank: int  # 1 = best
    score: float
    marked: str


def query_terms(query: str) -> list[str]:
    """The words of ``query`` worth matching: lower-cased, stop words dropped, in order."""
    seen: dict[str, None] = {}
    for word in _TOKEN.findall(query.lower()):
        if word not in STOPWORDS and (len(word) > 1 or word.isdigit()):
            seen.setdefault(word, None)
    return list(seen)


# --- writes ------------------------------------------------------------------------------


def index_meeting(
    session: Session,
    meeting_id: str,
    transcript: Transcript,
    notes: MeetingNotes,
    *,
    tenant: str = DEFAULT_TENANT,
) -> int:
    """Replace the index of ``meeting_id`` with its transcript's segments and its notes'
    items; returns how many passages it holds. Nothing is committed here."""
    drop_meeting(session, meeting_id)
    docs: list[dict[str, Any]] = []

    def add(
        kind: str, position: int, body: str, source: SourceRef | None = None, **fields: Any
    ) -> dict[str, Any] | None:
        if not body.strip():
            return None
        doc = {
            "meeting_id": meeting_id,
            "tenant": tenant,
            "kind": kind,
            "position": position,
            "text": body.strip(),
            "segment": source.segment if source else fields.get("segment"),
            "speaker": source.speaker if source else fields.get("speaker"),
            "start": source.start if source else fields.get("start"),
            "embedding": None,
            "embedding_dim": None,
        }
        docs.append(doc)
        return doc

    for seg in transcript.segments:
        add("segment", seg.index, seg.text, segment=seg.index, speaker=seg.speaker, start=seg.start)
    first = _first_source
    summary = add("tldr", 0, notes.tldr)
    if summary is not None and notes.embedding:
        vector = normalise(notes.embedding)
        summary["embedding"], summary["embedding_dim"] = to_blob(vector), int(vector.shape[0])
    for i, point in enumerate(notes.key_points):
        add("key_point", i, point.text, first(point.sources))
    for i, item in enumerate(notes.action_items):
        who = f" ({item.assignee})" if item.assignee else ""
        add("action", i, f"{item.task}{who}", first(item.sources))
    for i, decision in enumerate(notes.decisions):
        add("decision", i, decision.decision, first(decision.sources))
    if docs:
        # A Core executemany, not ORM objects: the ORM asks for every new id back, which on
        # PostgreSQL makes one statement of all the rows that psycopg parses in Python
        # (16-20 ms of CPU for 120 segments against 5 ms).
        session.execute(insert(SearchDoc), docs)
    return len(docs)


def _first_source(sources: Sequence[SourceRef]) -> SourceRef | None:
    return sources[0] if sources else None


def drop_meeting(session: Session, meeting_id: str) -> int:
    """Delete the index of a meeting (the FTS5 triggers drop its full-text rows)."""
    result = session.execute(delete(SearchDoc).where(SearchDoc.meeting_id == meeting_id))
    return int(getattr(result, "rowcount", 0) or 0)


def set_embeddings(session: Session, vectors: dict[int, Sequence[float]]) -> None:
    for doc_id, vector in vectors.items():
        v = normalise(vector)
        session.execute(
            update(SearchDoc)
            .where(SearchDoc.id == doc_id)
            .values(embedding=to_blob(v), embedding_dim=int(v.shape[0]))
        )
    session.flush()


# --- reads -------------------------------------------------------------------------------


def full_text(
    session: Session,
    query: str,
    *,
    tenant: str = DEFAULT_TENANT,
    meeting_ids: Collection[str] | None = None,
    kinds: Collection[str] | None = None,
    limit: int = 50,
) -> list[TextMatch]:
    """Passages of ``tenant`` matching any word of ``query``, best first, words marked."""
    terms = query_terms(query)
    if not terms or (meeting_ids is not None and not meeting_ids):
        return []
    filters, params = _filters(tenant, meeting_ids, kinds)
    if session.get_bind().dialect.name == "sqlite":
        # Each term quoted: FTS5 then treats it as a plain word, never as query syntax.
        match = " OR ".join(f'"{t}"' for t in terms)
        sql = text(
            "SELECT d.id AS id, bm25(search_docs_fts) AS score, "
            f"highlight(search_docs_fts, 0, '{MARK}', '{MARK}') AS marked "
            "FROM search_docs_fts JOIN search_docs d ON d.id = search_docs_fts.rowid "
            f"WHERE search_docs_fts MATCH :match {filters} ORDER BY score, d.id LIMIT :limit"
        )
        rows = session.execute(_bind(sql, params), {**params, "match": match, "limit": limit})
        return [
            TextMatch(int(r.id), i, -float(r.score), str(r.marked)) for i, r in enumerate(rows, 1)
        ]
    tsquery = " | ".join(terms)
    sql = text(
        "SELECT m.id AS id, m.score AS score, ts_headline('english', m.text, "
        "to_tsquery('english', :tsq), "
        f'\'StartSel="{MARK}", StopSel="{MARK}", HighlightAll=true\') AS marked FROM ('
        "SELECT d.id, d.text, ts_rank_cd(d.tsv, to_tsquery('english', :tsq)) AS score "
        "FROM search_docs d WHERE d.tsv @@ to_tsquery('english', :tsq) "
        f"{filters} ORDER BY score DESC, d.id LIMIT :limit) m ORDER BY m.score DESC, m.id"
    )
    rows = session.execute(_bind(sql, params), {**params, "tsq": tsquery, "limit": limit})
    return [TextMatch(int(r.id), i, float(r.score), str(r.marked)) for i, r in enumerate(rows, 1)]


def _filters(
    tenant: str, meeting_ids: Collection[str] | None, kinds: Collection[str] | None
) -> tuple[str, dict[str, object]]:
    clauses = ["AND d.tenant = :tenant"]
    params: dict[str, object] = {"tenant": tenant}
    if meeting_ids is not None:
        clauses.append("AND d.meeting_id IN :meeting_ids")
        params["meeting_ids"] = list(meeting_ids)
    if kinds is not None:
        clauses.append("AND d.kind IN :kinds")
        params["kinds"] = list(kinds)
    return " ".join(clauses), params


def _bind(sql: TextClause, params: dict[str, object]) -> TextClause:
    expanding: list[BindParameter[Any]] = [
        bindparam(name, expanding=True) for name in ("meeting_ids", "kinds") if name in params
    ]
    return sql.bindparams(*expanding) if expanding else sql


def nearest(
    session: Session,
    vector: Sequence[float],
    *,
    tenant: str = DEFAULT_TENANT,
    meeting_ids: Collection[str] | None = None,
    kinds: Collection[str] | None = None,
    limit: int = 50,
    min_similarity: float = 0.2,
) -> list[tuple[int, float]]:
    """(doc id, cosine similarity) of the passages with a vector of the same dimension,
    most similar first (brute force in numpy over the tenant's filtered passages)."""
    q = normalise(vector)
    query = select(SearchDoc.id, SearchDoc.embedding).where(
        SearchDoc.tenant == tenant,
        SearchDoc.embedding.is_not(None),
        SearchDoc.embedding_dim == int(q.shape[0]),
    )
    if meeting_ids is not None:
        query = query.where(SearchDoc.meeting_id.in_(list(meeting_ids)))
    if kinds is not None:
        query = query.where(SearchDoc.kind.in_(list(kinds)))
    rows = session.execute(query).all()
    if not rows:
        return []
    matrix = np.vstack([from_blob(r.embedding) for r in rows])
    sims = matrix @ q
    order = np.argsort(-sims, kind="stable")[:limit]
    return [(int(rows[i].id), float(sims[i])) for i in order if sims[i] >= min_similarity]


def has_vectors(session: Session, *, tenant: str = DEFAULT_TENANT) -> bool:
    return (
        session.scalar(
            select(SearchDoc.id)
            .where(SearchDoc.tenant == tenant, SearchDoc.embedding.is_not(None))
            .limit(1)
        )
        is not None
    )


def without_vectors(
    session: Session, *, tenant: str = DEFAULT_TENANT, limit: int = 10_000
) -> list[tuple[int, str]]:
    rows = session.execute(
        select(SearchDoc.id, SearchDoc.text)
        .where(SearchDoc.tenant == tenant, SearchDoc.embedding.is_(None))
        .order_by(SearchDoc.id)
        .limit(limit)
    ).all()
    return [(int(r.id), str(r.text)) for r in rows]


@dataclass(frozen=True)
class Passage:
    doc_id: int
    meeting_id: str
    meeting_title: str | None
    meeting_date: dt.date | None
    kind: str
    segment: int | None
    speaker: str | None
    start: float | None
    text: str


def passages(session: Session, doc_ids: Iterable[int]) -> dict[int, Passage]:
    """The passages with these ids, with their meeting's title and date."""
    ids = list(doc_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(SearchDoc, Meeting.title, Meeting.date)
        .join(Meeting, Meeting.id == SearchDoc.meeting_id)
        .where(SearchDoc.id.in_(ids))
    ).all()
    return {
        d.id: Passage(
            d.id, d.meeting_id, title, date, d.kind, d.segment, d.speaker, d.start, d.text
        )
        for d, title, date in rows
    }


def meeting_segments(session: Session, meeting_id: str) -> list[SearchDoc]:
    """The stored transcript of a meeting: its segments in order."""
    return list(
        session.scalars(
            select(SearchDoc)
            .where(SearchDoc.meeting_id == meeting_id, SearchDoc.kind == "segment")
            .order_by(SearchDoc.position)
        )
    )


def stored_transcript(session: Session, meeting_id: str) -> Transcript:
    """The meeting's transcript as the index holds it (segments, speakers, times)."""
    return Transcript(
        segments=[
            Segment(index=d.position, speaker=d.speaker, start=d.start, text=d.text)
            for d in meeting_segments(session, meeting_id)
        ]
    )
