"""Run the pipeline on every meeting of a labelled dataset and score the notes.

Meetings run concurrently under a bound; each is timed (wall clock around the whole
pipeline run, so under concurrency it includes waiting for shared rate limits) and costed
(the provider-reported usage priced by the gateway, as the notes' provenance carries it).
A meeting whose run fails with a :class:`~minutes.errors.MinutesError` is scored as if it
produced nothing, and reported as failed: leaving it out would flatter the figures. Where the
labels link items to transcript lines (``evidence``), the utterance-level figures of
:mod:`minutes.evaluation.utterances` are computed too.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from decimal import Decimal
from importlib.metadata import PackageNotFoundError, version

from pydantic import BaseModel, Field

from minutes.errors import MinutesError
from minutes.evaluation.dataset import Dataset, LabelledMeeting
from minutes.evaluation.metrics import (
    PRF,
    Rate,
    Rouge,
    Similarity,
    grounding,
    match_items,
    mean_rouge,
    percentile,
    pooled,
    pooled_rate,
    prf,
    rouge,
    same_person,
)
from minutes.evaluation.utterances import (
    GoldUtterances,
    cited_segments,
    gold_utterances,
    utterance_prf,
)
from minutes.llm.gateway import Gateway
from minutes.notes import MeetingNotes
from minutes.pipeline.options import PipelineOptions
from minutes.pipeline.runner import run_pipeline
from minutes.prompts import PromptLibrary

log = logging.getLogger(__name__)

# Cosine similarity of all-MiniLM-L6-v2 embeddings at which a predicted item and a gold item
# are the same item. Chosen on real AMI pairs (README, "Evaluation"): paraphrases of one item
# score 0.5-0.75 ("Do the working design" / "The industrial designer will work on the working
# design." 0.75; "Let's go for a small LCD." / "The remote will feature a small sized LCD
# screen." 0.61), while different items of the same meeting reach 0.41-0.48 ("Do the working
# design" / "The user interface designer will work on technical functions." 0.43). A few true
# pairs fall below 0.5 too: the threshold errs towards missing a match, not inventing one.
DEFAULT_THRESHOLD = 0.5

# Which prompts each pipeline stage calls, by key-point strategy: a stage's figures are
# credited to these prompts' versions.
STAGE_PROMPTS: dict[str, tuple[str, ...]] = {
    "action_items": ("action_item_extraction",),
    "decisions": ("decision_extraction",),
    "narrative": ("narrative_summary",),
    "tldr": ("tldr_generation",),
    "priority": ("priority_classification",),
}
KEY_POINT_PROMPTS: dict[str, tuple[str, ...]] = {
    "map_reduce": ("key_points_map", "key_points_reduce"),
    "refine": ("key_points_refine",),
    "stuff": ("key_points_refine",),
}
# With one pass per chunk, one prompt serves the three per-chunk stages (credited once).
ONE_PASS_PROMPTS: dict[str, tuple[str, ...]] = {
    "key_points": ("chunk_notes", "key_points_reduce"),
    "action_items": ("chunk_notes",),
    "decisions": ("chunk_notes",),
}


class ItemMatch(BaseModel):
    predicted: str
    gold: str
    score: float


class ItemScores(BaseModel):
    """One meeting's action items or decisions against the gold: counts and what was missed."""

    counts: PRF
    matches: list[ItemMatch] = Field(default_factory=list)
    missed: list[str] = Field(default_factory=list, description="gold items not matched")
    spurious: list[str] = Field(default_factory=list, description="predictions not matched")


class StageUse(BaseModel):
    stage: str
    engine: str
    model: str | None = None
    prompt_name: str | None = None
    prompt_version: str | None = None
    prompts: list[str] = Field(default_factory=list)
    degraded: bool = False


class MeetingResult(BaseModel):
    meeting_id: str
    style: str | None = None
    segments: int = 0
    words: int = 0
    engine: str | None = None
    degraded: bool = False
    error: str | None = None
    action_items: ItemScores
    assignee: Rate
    due_date: Rate
    decisions: ItemScores
    narrative: Rouge
    tldr: Rouge
    grounding: Rate = Field(description="action items, decisions and key points together")
    action_items_grounding: Rate
    decisions_grounding: Rate
    action_utterances: PRF | None = Field(
        None, description="cited segments vs the gold evidence's; None: evidence not labelled"
    )
    decision_utterances: PRF | None = None
    cost_usd: Decimal = Decimal(0)
    latency_s: float = 0.0
    llm_calls: int = 0
    tokens: int = 0
    stages: list[StageUse] = Field(default_factory=list)


class EvalSummary(BaseModel):
    """The dataset's figures: item scores pooled over meetings (micro-average), ROUGE and
    cost averaged per meeting."""

    meetings: int
    failed: int
    degraded: int
    action_items: PRF
    action_items_macro_f1: float | None
    assignee: Rate
    due_date: Rate
    decisions: PRF
    decisions_macro_f1: float | None
    narrative: Rouge
    tldr: Rouge
    grounding: Rate
    action_items_grounding: Rate
    decisions_grounding: Rate
    action_utterances: PRF | None = Field(
        None, description="pooled over the meetings whose labels carry evidence; None: none do"
    )
    decision_utterances: PRF | None = None
    utterance_meetings: int = Field(0, description="meetings scored at the utterance level")
    cost_usd_total: Decimal
    cost_usd_per_meeting: Decimal
    latency_s_mean: float | None
    latency_s_p50: float | None
    latency_s_p95: float | None


class PromptUse(BaseModel):
    """A prompt version the run exercised, the model it mostly ran on, and in how many
    meetings its stage used an LLM at all (the rest fell back to the extractive engine)."""

    name: str
    version: str
    task: str
    stage: str
    model: str | None
    meetings: int


class EvalRun(BaseModel):
    dataset: str
    dataset_path: str
    dataset_hash: str
    engine: str
    model: str | None
    strategy: str
    extraction: str = "stages"
    prompt_versions: dict[str, str]
    prompts_used: list[PromptUse]
    threshold: float
    similarity: str
    minutes_version: str
    started_at: dt.datetime
    finished_at: dt.datetime
    summary: EvalSummary
    meetings: list[MeetingResult]

    @property
    def used_llm(self) -> bool:
        return bool(self.prompts_used)


def _minutes_version() -> str:
    try:
        return version("minutes")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


def score_items(
    predicted: Sequence[str], gold: Sequence[str], similarity: Similarity, threshold: float
) -> tuple[ItemScores, list[tuple[int, int]]]:
    """Scores of one meeting's items, and the matched (predicted, gold) index pairs."""
    matches = match_items(predicted, gold, similarity, threshold)
    matched_p = {m.predicted for m in matches}
    matched_g = {m.gold for m in matches}
    scores = ItemScores(
        counts=prf(matches, len(predicted), len(gold)),
        matches=[
            ItemMatch(predicted=predicted[m.predicted], gold=gold[m.gold], score=m.score)
            for m in matches
        ],
        missed=[g for i, g in enumerate(gold) if i not in matched_g],
        spurious=[p for i, p in enumerate(predicted) if i not in matched_p],
    )
    return scores, [(m.predicted, m.gold) for m in matches]


def score_meeting(
    meeting: LabelledMeeting,
    notes: MeetingNotes,
    transcript_segments: Sequence[str],
    *,
    similarity: Similarity,
    threshold: float,
    grounded: dict[str, Rate],
    utterances: GoldUtterances | None = None,
) -> MeetingResult:
    """Everything but timing and cost: item matches, attribute accuracy, ROUGE, grounding,
    and, given the gold ``utterances``, the utterance-level figures."""
    labels = meeting.labels
    gold_actions = labels.action_items
    actions, pairs = score_items(
        [a.task for a in notes.action_items],
        [g.action for g in gold_actions],
        similarity,
        threshold,
    )
    assignee, due = Rate(), Rate()
    for p, g in pairs:
        pred, gold = notes.action_items[p], gold_actions[g]
        if gold.assignee_labelled:
            assignee += Rate(hits=int(same_person(pred.assignee, gold.assignee)), total=1)
        if gold.due_labelled:
            due += Rate(hits=int(pred.due_date == gold.due), total=1)
    decisions, _ = score_items(
        [d.decision for d in notes.decisions],
        [g.decision for g in labels.decisions],
        similarity,
        threshold,
    )
    return MeetingResult(
        meeting_id=meeting.id,
        style=labels.style,
        segments=len(transcript_segments),
        words=sum(len(t.split()) for t in transcript_segments),
        engine=notes.engine,
        degraded=notes.degraded,
        action_items=actions,
        assignee=assignee,
        due_date=due,
        decisions=decisions,
        narrative=rouge(notes.narrative, labels.summary),
        tldr=rouge(notes.tldr, labels.reference_tldr),
        grounding=pooled_rate(grounded.values()),
        action_items_grounding=grounded["action_items"],
        decisions_grounding=grounded["decisions"],
        action_utterances=None
        if utterances is None
        else utterance_prf(
            cited_segments(a.sources for a in notes.action_items), utterances.action_items
        ),
        decision_utterances=None
        if utterances is None
        else utterance_prf(
            cited_segments(d.sources for d in notes.decisions), utterances.decisions
        ),
        cost_usd=notes.cost_usd,
        llm_calls=sum(p.calls for p in notes.provenance),
        tokens=sum(p.input_tokens + p.output_tokens for p in notes.provenance),
        stages=[
            StageUse(
                stage=p.stage,
                engine=p.engine,
                model=p.model,
                prompt_name=p.prompt_name,
                prompt_version=p.prompt_version,
                prompts=p.prompts,
                degraded=p.degraded,
            )
            for p in notes.provenance
        ],
    )


async def _run_one(
    meeting: LabelledMeeting,
    *,
    options: PipelineOptions,
    gateway: Gateway | None,
    prompts: PromptLibrary | None,
    similarity: Similarity,
    threshold: float,
) -> tuple[MeetingResult, MinutesError | None]:
    transcript = await asyncio.to_thread(meeting.load_transcript)
    utterances = None
    if meeting.labels.evidence_labelled:
        utterances = await asyncio.to_thread(
            gold_utterances,
            meeting.transcript_path,
            transcript,
            [g.evidence or [] for g in meeting.labels.action_items],
            [g.evidence or [] for g in meeting.labels.decisions],
        )
    started = time.perf_counter()
    failure: MinutesError | None = None
    try:
        notes = await run_pipeline(transcript, options=options, gateway=gateway, prompts=prompts)
    except MinutesError as exc:
        log.warning("meeting %s failed: %s", meeting.id, exc)
        failure = exc
        notes = MeetingNotes()
    latency = time.perf_counter() - started
    grounded = {
        kind: grounding(transcript, [[s.quote for s in item.sources] for item in items])
        for kind, items in (
            ("action_items", notes.action_items),
            ("decisions", notes.decisions),
            ("key_points", notes.key_points),
        )
    }
    # Embedding the texts is CPU work for a local model: off the event loop.
    result = await asyncio.to_thread(
        score_meeting,
        meeting,
        notes,
        [s.text for s in transcript.segments],
        similarity=similarity,
        threshold=threshold,
        grounded=grounded,
        utterances=utterances,
    )
    error = f"{type(failure).__name__}: {failure}" if failure else None
    return result.model_copy(update={"latency_s": latency, "error": error}), failure


def summarize_results(results: Sequence[MeetingResult]) -> EvalSummary:
    n = len(results)
    latencies = [r.latency_s for r in results if r.error is None]
    total_cost = sum((r.cost_usd for r in results), Decimal(0))
    action_utt = [r.action_utterances for r in results if r.action_utterances is not None]
    decision_utt = [r.decision_utterances for r in results if r.decision_utterances is not None]
    return EvalSummary(
        meetings=n,
        failed=sum(r.error is not None for r in results),
        degraded=sum(r.degraded for r in results),
        action_items=pooled(r.action_items.counts for r in results),
        action_items_macro_f1=_mean([r.action_items.counts.f1 for r in results]),
        assignee=pooled_rate(r.assignee for r in results),
        due_date=pooled_rate(r.due_date for r in results),
        decisions=pooled(r.decisions.counts for r in results),
        decisions_macro_f1=_mean([r.decisions.counts.f1 for r in results]),
        narrative=mean_rouge([r.narrative for r in results]),
        tldr=mean_rouge([r.tldr for r in results]),
        grounding=pooled_rate(r.grounding for r in results),
        action_items_grounding=pooled_rate(r.action_items_grounding for r in results),
        decisions_grounding=pooled_rate(r.decisions_grounding for r in results),
        action_utterances=pooled(action_utt) if action_utt else None,
        decision_utterances=pooled(decision_utt) if decision_utt else None,
        utterance_meetings=len(action_utt),
        cost_usd_total=total_cost,
        cost_usd_per_meeting=total_cost / n if n else Decimal(0),
        latency_s_mean=_mean(latencies),
        latency_s_p50=percentile(latencies, 50),
        latency_s_p95=percentile(latencies, 95),
    )


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def prompts_used(
    results: Sequence[MeetingResult], library: PromptLibrary, options: PipelineOptions
) -> list[PromptUse]:
    """The prompt versions whose stage ran on an LLM in at least one meeting.

    Versions come from the library with the run's selection, which is what every stage
    asked for; the model is the one the stage used in most meetings."""
    stage_prompts = {**STAGE_PROMPTS, "key_points": KEY_POINT_PROMPTS[options.strategy]}
    if options.extraction == "one-pass":
        stage_prompts.update(ONE_PASS_PROMPTS)
    uses: list[PromptUse] = []
    for stage, names in stage_prompts.items():
        models = Counter(
            s.model
            for r in results
            for s in r.stages
            if s.stage == stage and s.engine == "llm" and s.model
        )
        if not models:
            continue
        called = {ref for r in results for s in r.stages if s.stage == stage for ref in s.prompts}
        for name in names:
            prompt = library.get(name, options.prompt_versions.get(name))
            if prompt.ref not in called:
                continue  # e.g. the reduce prompt when no meeting needed a reduce
            if any(u.name == prompt.name and u.version == prompt.version for u in uses):
                continue  # one prompt of several stages (one pass per chunk): one row
            uses.append(
                PromptUse(
                    name=prompt.name,
                    version=prompt.version,
                    task=prompt.task,
                    stage=stage,
                    model=models.most_common(1)[0][0],
                    meetings=sum(models.values()),
                )
            )
    return uses


async def evaluate(
    dataset: Dataset,
    *,
    similarity: Similarity,
    similarity_name: str,
    threshold: float = DEFAULT_THRESHOLD,
    options: PipelineOptions | None = None,
    gateway: Gateway | None = None,
    prompts: PromptLibrary,
    concurrency: int = 4,
    on_meeting: Callable[[MeetingResult], None] | None = None,
) -> EvalRun:
    """Run and score every meeting of ``dataset``; meetings keep the dataset's order."""
    options = options or PipelineOptions()
    started_at = dt.datetime.now(dt.UTC)
    bound = asyncio.Semaphore(max(1, concurrency))

    async def one(meeting: LabelledMeeting) -> tuple[MeetingResult, MinutesError | None]:
        async with bound:
            result, failure = await _run_one(
                meeting,
                options=options,
                gateway=gateway,
                prompts=prompts,
                similarity=similarity,
                threshold=threshold,
            )
        if on_meeting is not None:
            on_meeting(result)
        return result, failure

    outcomes = await asyncio.gather(*(one(m) for m in dataset.meetings))
    failures = [f for _, f in outcomes if f is not None]
    if failures and len(failures) == len(outcomes):
        raise failures[0]  # nothing ran: figures of all zeros would only mislead
    results = [r for r, _ in outcomes]
    versions = {
        name: prompts.get(name, options.prompt_versions.get(name)).version
        for name in prompts.names()
    }
    return EvalRun(
        dataset=dataset.name,
        dataset_path=str(dataset.path),
        dataset_hash=dataset.content_hash,
        engine=options.engine,
        model=options.model,
        strategy=options.strategy,
        extraction=options.extraction,
        prompt_versions=versions,
        prompts_used=prompts_used(results, prompts, options),
        threshold=threshold,
        similarity=similarity_name,
        minutes_version=_minutes_version(),
        started_at=started_at,
        finished_at=dt.datetime.now(dt.UTC),
        summary=summarize_results(results),
        meetings=results,
    )
