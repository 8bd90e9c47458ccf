"""Questions across meetings, answered with citations.

1. Retrieve: the best passages for the question (``memory.search``, hybrid).
2. Answer: the ``answer_question`` prompt through the gateway, structured output: claims,
   each citing passages with verbatim quotes.
3. Check: every quote is looked up in the cited meeting's stored transcript with the same
   matcher as all grounding (``items.grounding.locate_quote``); a citation whose quote is not
   there is dropped, and a claim left without a citation is dropped with it.
4. Say so: no passage, a model that says the passages do not answer, or no claim surviving
   the check is an answer that says the meetings hold no answer.

Without a gateway, or when every model fails, the answer is extractive: the best passages,
ranked and cited, labelled as such.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from minutes.items.grounding import locate_quote
from minutes.llm.calls import ChatMessage, LLMRequest
from minutes.memory.search import EmbedFn, SearchHit, clock, search
from minutes.pipeline.context import falls_back
from minutes.prompts import PromptLibrary, configured_library
from minutes.store.models import DEFAULT_TENANT
from minutes.store.search_index import stored_transcript

if TYPE_CHECKING:
    from minutes.llm.gateway import Gateway
    from minutes.store.db import Store
    from minutes.transcripts.models import Transcript

log = logging.getLogger(__name__)

PROMPT = "answer_question"
PASSAGES = 8
EXTRACTIVE_LABEL = (
    "extractive answer (no language model answered): the passages that match the question "
    "best, ranked; read them, they are not a summary"
)
NO_ANSWER = "The stored meetings hold no answer to this question."


# --- what the model returns -------------------------------------------------------------


class ModelCitation(BaseModel):
    passage: int = Field(ge=1, description="the passage's number in the prompt")
    quote: str


class ModelClaim(BaseModel):
    text: str
    citations: list[ModelCitation] = Field(default_factory=list)


class ModelAnswer(BaseModel):
    answerable: bool = True
    claims: list[ModelClaim] = Field(default_factory=list)


# --- what callers get -------------------------------------------------------------------


class Citation(BaseModel):
    meeting_id: str
    meeting_title: str | None
    meeting_date: str | None
    segment: int
    speaker: str | None
    time: str | None
    quote: str = Field(description="verbatim from the stored transcript")


class Claim(BaseModel):
    text: str
    citations: list[Citation]


class Answer(BaseModel):
    question: str
    answered: bool = Field(description="whether the meetings hold an answer")
    mode: Literal["llm", "extractive"]
    label: str | None = Field(None, description="what kind of answer this is, when not llm")
    text: str = Field(description="the answer as prose, claims with [n] citation marks")
    claims: list[Claim] = Field(default_factory=list)
    passages: list[SearchHit] = Field(default_factory=list, description="what was retrieved")
    dropped_claims: int = Field(0, description="claims dropped: no citation checked out")
    dropped_citations: int = Field(0, description="citations whose quote is not in the meeting")
    model: str | None = None
    reason: str | None = Field(None, description="why the answer is extractive, when it is")


def _render_passages(hits: list[SearchHit]) -> str:
    lines = []
    for i, h in enumerate(hits, 1):
        when = h.meeting_date.isoformat() if h.meeting_date else "undated"
        who = h.speaker or "unknown speaker"
        lines.append(f"[{i}] {h.meeting_title or h.meeting_id[:8]} ({when}), {who}: {h.text}")
    return "\n".join(lines)


def _citation(hit: SearchHit, transcript: Transcript, quote: str) -> Citation | None:
    hint = [hit.segment] if hit.segment is not None else None
    found = locate_quote(transcript, quote, hint=hint)
    if found is None:
        return None
    seg = next((s for s in transcript.segments if s.index == found.segment), None)
    return Citation(
        meeting_id=hit.meeting_id,
        meeting_title=hit.meeting_title,
        meeting_date=hit.meeting_date.isoformat() if hit.meeting_date else None,
        segment=found.segment,
        speaker=found.speaker or (seg.speaker if seg else None),
        time=clock(found.start if found.start is not None else (seg.start if seg else None)),
        quote=found.quote,
    )


def _prose(claims: list[Claim]) -> str:
    parts = []
    n = 0
    for claim in claims:
        marks = []
        for _ in claim.citations:
            n += 1
            marks.append(f"[{n}]")
        parts.append(f"{claim.text} {''.join(marks)}")
    return " ".join(parts)


def extractive_answer(question: str, hits: list[SearchHit], *, reason: str | None) -> Answer:
    """The passages themselves, best first, each cited: what is left without a model."""
    claims = [
        Claim(
            text=h.text,
            citations=[
                Citation(
                    meeting_id=h.meeting_id,
                    meeting_title=h.meeting_title,
                    meeting_date=h.meeting_date.isoformat() if h.meeting_date else None,
                    segment=h.segment if h.segment is not None else 0,
                    speaker=h.speaker,
                    time=h.time,
                    quote=h.text,
                )
            ],
        )
        for h in hits
        if h.segment is not None
    ]
    return Answer(
        question=question,
        answered=bool(claims),
        mode="extractive",
        label=EXTRACTIVE_LABEL,
        text="\n".join(f"[{i}] {c.text}" for i, c in enumerate(claims, 1)) or NO_ANSWER,
        claims=claims,
        passages=hits,
        reason=reason,
    )


async def ask(
    store: Store,
    question: str,
    *,
    gateway: Gateway | None,
    tenant: str = DEFAULT_TENANT,
    limit: int = PASSAGES,
    embed: EmbedFn | None = None,
    library: PromptLibrary | None = None,
    people: Mapping[str, list[str]] | None = None,
) -> Answer:
    """Answer ``question`` from ``tenant``'s meetings (``gateway`` None: extractively)."""
    query_vector = (await embed([question]))[0] if embed is not None else None
    with store.read() as session:
        hits = search(
            session,
            question,
            tenant=tenant,
            limit=limit,
            kinds=("segment",),  # the evidence: words as said, never a model's paraphrase
            query_vector=query_vector,
            people=people,
        )
        transcripts = {h.meeting_id: stored_transcript(session, h.meeting_id) for h in hits}
    if not hits:
        return Answer(
            question=question,
            answered=False,
            mode="llm" if gateway else "extractive",
            text=NO_ANSWER,
            reason=None if gateway else "no language model",
        )
    if gateway is None:
        return extractive_answer(question, hits, reason="no language model (offline)")
    prompt = (library or configured_library(gateway.settings)).get(PROMPT)
    system, user = prompt.render(question=question, passages=_render_passages(hits))
    request = LLMRequest(
        task=prompt.task,
        messages=[
            ChatMessage(role="system", content=system),
            ChatMessage(role="user", content=user),
        ],
        prompt_name=prompt.name,
        prompt_version=prompt.version,
        max_tokens=800,
    )
    try:
        result = await gateway.structured(request, ModelAnswer)
    except Exception as exc:
        if not falls_back(exc):
            raise
        log.warning("ask fell back to the extractive answer: %s", exc)
        return extractive_answer(question, hits, reason=f"{type(exc).__name__}: {exc}")
    reply = result.data
    assert reply is not None
    claims: list[Claim] = []
    dropped_claims = dropped_citations = 0
    for claim in reply.claims if reply.answerable else []:
        checked = []
        for c in claim.citations:
            hit = hits[c.passage - 1] if c.passage <= len(hits) else None
            cited = _citation(hit, transcripts[hit.meeting_id], c.quote) if hit else None
            if cited is None:
                dropped_citations += 1
            elif cited not in checked:
                checked.append(cited)
        if checked and claim.text.strip():
            claims.append(Claim(text=claim.text.strip(), citations=checked))
        else:
            dropped_claims += 1
    return Answer(
        question=question,
        answered=bool(claims),
        mode="llm",
        text=_prose(claims) if claims else NO_ANSWER,
        claims=claims,
        passages=hits,
        dropped_claims=dropped_claims,
        dropped_citations=dropped_citations,
        model=result.model,
    )
