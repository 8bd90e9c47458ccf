"""Hybrid search across meetings: full-text (BM25 on SQLite's FTS5, ``ts_rank_cd`` on
PostgreSQL) fused with vector similarity by reciprocal rank fusion, when passages and the
query have vectors of the same model.

A hit is a transcript segment or a note item (key point, action item, decision, TL;DR) of
one of the tenant's meetings, with the meeting, its date, the speaker, the time into the
meeting and the text with the matching words marked ``**like this**``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from minutes.memory.people import meetings_attended, resolve_person
from minutes.store.meetings import list_meetings, resolve_meeting_id
from minutes.store.models import DEFAULT_TENANT
from minutes.store.search_index import (
    MARK,
    Passage,
    full_text,
    has_vectors,
    nearest,
    passages,
    query_terms,
    set_embeddings,
    without_vectors,
)

if TYPE_CHECKING:
    from minutes.store.db import Store

# The usual constant of reciprocal rank fusion (Cormack et al. 2009): score = sum 1/(k+rank).
RRF_K = 60
CANDIDATES = 50
KINDS = ("segment", "key_point", "action", "decision", "tldr")

EmbedFn = Callable[[list[str]], Coroutine[Any, Any, list[list[float]]]]


class SearchHit(BaseModel):
    meeting_id: str
    meeting_title: str | None
    meeting_date: dt.date | None
    kind: str = Field(description="segment, key_point, action, decision or tldr")
    segment: int | None = Field(None, description="the transcript segment it is or cites")
    speaker: str | None
    start: float | None = Field(None, description="seconds into the meeting")
    time: str | None = Field(None, description="start as H:MM:SS")
    text: str
    marked: str = Field(description="the text with the matching words marked **like this**")
    score: float = Field(description="fused score (reciprocal rank fusion)")
    matched_by: list[str] = Field(description="'text', 'vector' or both")


def clock(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def rrf(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> list[tuple[int, float]]:
    """Reciprocal rank fusion of ranked id lists: (id, score), best first."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, doc_id in enumerate(ranking, 1):
            scores[doc_id] = scores.get(doc_id, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def mark_terms(text: str, query: str) -> str:
    """``text`` with the words that share a stem with a query word marked (for hits that the
    vector search found and the full-text search did not)."""
    stems = [t[: max(4, len(t) - 2)] if len(t) > 4 else t for t in query_terms(query)]
    if not stems:
        return text

    def mark(m: re.Match[str]) -> str:
        word = m.group(0)
        low = word.lower()
        if any(low == s or (len(s) >= 4 and low.startswith(s)) for s in stems):
            return f"{MARK}{word}{MARK}"
        return word

    return re.sub(r"\w+", mark, text)


def candidate_meetings(
    session: Session,
    *,
    tenant: str = DEFAULT_TENANT,
    since: dt.date | None = None,
    until: dt.date | None = None,
    participant: str | None = None,
    meeting: str | None = None,
    people: Mapping[str, list[str]] | None = None,
) -> list[str] | None:
    """Ids of the meetings the filters allow; None when nothing filters."""
    if since is None and until is None and participant is None and meeting is None:
        return None
    meeting_id = resolve_meeting_id(session, meeting, tenant=tenant) if meeting else None
    rows = list_meetings(
        session, tenant=tenant, meeting_id=meeting_id, since=since, until=until, limit=1_000_000
    )
    ids = [m.id for m in rows]
    if participant:
        person = resolve_person(session, participant, tenant=tenant, config=people)
        attended = meetings_attended(session, person.names, tenant=tenant)
        ids = [i for i in ids if i in attended]
    return ids


def search(
    session: Session,
    query: str,
    *,
    tenant: str = DEFAULT_TENANT,
    since: dt.date | None = None,
    until: dt.date | None = None,
    participant: str | None = None,
    meeting: str | None = None,
    limit: int = 10,
    kinds: Collection[str] | None = None,
    query_vector: Sequence[float] | None = None,
    people: Mapping[str, list[str]] | None = None,
) -> list[SearchHit]:
    """The best ``limit`` passages of ``tenant``'s meetings for ``query``."""
    allowed = candidate_meetings(
        session,
        tenant=tenant,
        since=since,
        until=until,
        participant=participant,
        meeting=meeting,
        people=people,
    )
    text_hits = full_text(
        session, query, tenant=tenant, meeting_ids=allowed, kinds=kinds, limit=CANDIDATES
    )
    rankings: list[list[int]] = [[h.doc_id for h in text_hits]]
    vector_ids: set[int] = set()
    if query_vector is not None and (allowed is None or allowed):
        near = nearest(
            session,
            query_vector,
            tenant=tenant,
            meeting_ids=allowed,
            kinds=kinds,
            limit=CANDIDATES,
        )
        rankings.append([doc_id for doc_id, _ in near])
        vector_ids = {doc_id for doc_id, _ in near}
    fused = rrf(rankings)[:limit]
    found = passages(session, [doc_id for doc_id, _ in fused])
    marked = {h.doc_id: h.marked for h in text_hits}
    hits = []
    for doc_id, score in fused:
        p: Passage = found[doc_id]
        hits.append(
            SearchHit(
                meeting_id=p.meeting_id,
                meeting_title=p.meeting_title,
                meeting_date=p.meeting_date,
                kind=p.kind,
                segment=p.segment,
                speaker=p.speaker,
                start=p.start,
                time=clock(p.start),
                text=p.text,
                marked=marked.get(doc_id) or mark_terms(p.text, query),
                score=round(score, 6),
                matched_by=[
                    name
                    for name, ids in (("text", set(marked)), ("vector", vector_ids))
                    if doc_id in ids
                ],
            )
        )
    return hits


async def embed_pending(
    store: Store, embed: EmbedFn, *, tenant: str = DEFAULT_TENANT, batch: int = 64
) -> int:
    """Give every passage of ``tenant`` without a vector one; returns how many got one."""
    done = 0
    while True:
        with store.read() as session:
            pending = without_vectors(session, tenant=tenant, limit=batch)
        if not pending:
            return done
        vectors = await embed([body for _, body in pending])
        with store.transaction() as session:
            set_embeddings(
                session, {doc_id: v for (doc_id, _), v in zip(pending, vectors, strict=True)}
            )
        done += len(pending)


def vectors_stored(session: Session, *, tenant: str = DEFAULT_TENANT) -> bool:
    return has_vectors(session, tenant=tenant)


def local_embedder() -> EmbedFn | None:
    """The in-process MiniLM's batch embedding, when the ``embeddings`` extra is installed."""
    from minutes.llm.providers.embeddings import LocalMiniLMEmbeddings, local_embedder_available

    if not local_embedder_available()[0]:
        return None
    return LocalMiniLMEmbeddings().aembed_documents
