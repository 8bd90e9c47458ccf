"""What the pages show, read from the store for one tenant (no HTML here)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from minutes.config import Settings
from minutes.notes import MeetingNotes
from minutes.store.jobs import JobView, latest_job
from minutes.store.ledger import costs, metrics, total_cost
from minutes.store.meetings import ActionView, MeetingSummary, list_actions, list_meetings
from minutes.store.models import Job, NotesRow, SearchDoc
from minutes.transcripts.models import Segment, Transcript

# The notes' sections and the pipeline stage that makes each (for "extractive" labels).
SECTION_STAGES = {
    "tldr": "tldr",
    "narrative": "narrative",
    "key_points": "key_points",
    "action_items": "action_items",
    "decisions": "decisions",
}


@dataclass
class MeetingRow:
    summary: MeetingSummary
    engine: str | None = None
    models: list[str] = field(default_factory=list)
    degraded: bool = False
    job: JobView | None = None


def _matches(summary: MeetingSummary, query: str) -> bool:
    wanted = query.casefold()
    haystack = [summary.title or "", summary.source_name or "", *summary.participants]
    return any(wanted in h.casefold() for h in haystack)


def meeting_rows(
    session: Session, tenant: str, query: str = "", *, limit: int = 500
) -> list[MeetingRow]:
    """Meetings newest first; ``query`` matches title, file name or a participant."""
    summaries = list_meetings(session, tenant=tenant, limit=limit)
    if query.strip():
        summaries = [s for s in summaries if _matches(s, query.strip())]
    rows = {s.id: MeetingRow(summary=s) for s in summaries}
    if not rows:
        return []
    latest: dict[str, NotesRow] = {}
    for notes in session.scalars(
        select(NotesRow)
        .where(NotesRow.meeting_id.in_(list(rows)))
        .order_by(NotesRow.created_at, NotesRow.id)
    ):
        latest[notes.meeting_id] = notes  # the last one wins: the newest run
    for meeting_id, notes in latest.items():
        row = rows[meeting_id]
        row.engine, row.degraded = notes.engine, bool(notes.degraded)
        stages = (notes.notes or {}).get("provenance") or []
        row.models = sorted({str(p["model"]) for p in stages if p.get("model")})
    for row in rows.values():
        if row.summary.runs == 0:
            row.job = latest_job(session, row.summary.id, tenant=tenant)
    return list(rows.values())


def transcript_segments(session: Session, meeting_id: str, tenant: str) -> list[Segment]:
    """The meeting's transcript: the latest job's copy, else the search index's segments
    (meetings summarized by the CLI have no job)."""
    stored = session.scalar(
        select(Job.transcript)
        .where(Job.tenant == tenant, Job.meeting_id == meeting_id)
        .order_by(Job.created_at.desc())
        .limit(1)
    )
    if stored:
        return Transcript.model_validate(stored).segments
    docs = session.scalars(
        select(SearchDoc)
        .where(
            SearchDoc.tenant == tenant,
            SearchDoc.meeting_id == meeting_id,
            SearchDoc.kind == "segment",
        )
        .order_by(SearchDoc.position)
    )
    return [
        Segment(
            index=d.segment if d.segment is not None else d.position,
            speaker=d.speaker,
            start=d.start,
            text=d.text,
        )
        for d in docs
    ]


def stage_labels(notes: MeetingNotes) -> dict[str, str]:
    """Section -> "extractive" or "degraded" for the sections not written by a model."""
    by_stage = {p.stage: p for p in notes.provenance}
    labels: dict[str, str] = {}
    for section, stage in SECTION_STAGES.items():
        p = by_stage.get(stage)
        if p is None:
            if notes.engine == "extractive":
                labels[section] = "extractive"
            continue
        if p.degraded:
            labels[section] = "degraded"
        elif p.engine == "extractive":
            labels[section] = "extractive"
    return labels


@dataclass
class AssigneeGroup:
    assignee: str
    open: list[ActionView]
    done: list[ActionView]
    overdue: int


def commitments(
    session: Session, tenant: str, today: dt.date, *, status: str | None = None
) -> list[AssigneeGroup]:
    """Action items by assignee (unassigned last); open ones by due date, then done ones."""
    groups: dict[str, list[ActionView]] = defaultdict(list)
    for item in list_actions(session, tenant=tenant, status=status, limit=2000):
        groups[item.assignee or ""].append(item)

    def due(a: ActionView) -> tuple[bool, dt.date]:
        return (a.due_date is None, a.due_date or dt.date.max)

    out = []
    for name in sorted(groups, key=lambda n: (n == "", n.casefold())):
        items = groups[name]
        opened = sorted((a for a in items if a.status != "done"), key=due)
        done = sorted((a for a in items if a.status == "done"), key=due)
        late = sum(1 for a in opened if is_overdue(a, today))
        out.append(AssigneeGroup(name or "Unassigned", opened, done, late))
    return out


def is_overdue(item: ActionView, today: dt.date) -> bool:
    return item.status != "done" and item.due_date is not None and item.due_date < today


# --- spend and health ----------------------------------------------------------------------


@dataclass
class SpendData:
    days: list[str]
    cost_per_day: list[tuple[str, float]]
    cache_rate_per_day: list[tuple[int, float]]
    by_model: list[tuple[str, float]]
    by_task: list[tuple[str, float]]
    p95_by_model: dict[str, list[tuple[int, float]]]
    success_by_model: dict[str, list[tuple[int, float]]]
    totals: list[dict[str, object]]
    spent_today: Decimal
    spent_month: Decimal
    daily_limit: Decimal | None
    monthly_limit: Decimal | None
    total: Decimal


def spend(
    session: Session, tenant: str, settings: Settings, *, days: int, now: dt.datetime
) -> SpendData:
    from minutes.store.budgets import budget_for

    today = now.date()
    first = today - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    labels = [(first + dt.timedelta(days=i)).isoformat() for i in range(days)]
    index = {d: i for i, d in enumerate(labels)}
    per_day = {r.key: r for r in costs(session, by="day", since=since, tenant=tenant)}
    cost_per_day = [(d, float(per_day[d].cost_usd) if d in per_day else 0.0) for d in labels]
    cache_rate = [
        (index[d], r.cache_hits / r.requests)
        for d, r in per_day.items()
        if d in index and r.requests
    ]
    by_model = [
        (r.key, float(r.cost_usd)) for r in costs(session, by="model", since=since, tenant=tenant)
    ]
    by_task = [
        (r.key, float(r.cost_usd)) for r in costs(session, by="task", since=since, tenant=tenant)
    ]
    p95: dict[str, list[tuple[int, float]]] = defaultdict(list)
    success: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for d in labels:
        if d not in per_day:
            continue
        start = dt.datetime.fromisoformat(d).replace(tzinfo=dt.UTC)
        for row in metrics(session, since=start, until=start + dt.timedelta(days=1), tenant=tenant):
            if row.model == "(all)":
                continue
            if row.p95_latency_ms is not None:
                p95[row.model].append((index[d], row.p95_latency_ms))
            if row.success_rate is not None:
                success[row.model].append((index[d], row.success_rate))
    totals = [r.model_dump() for r in metrics(session, since=since, tenant=tenant)]
    budget = budget_for(session, tenant, settings.budget)
    midnight = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)
    month = midnight.replace(day=1)
    return SpendData(
        days=labels,
        cost_per_day=cost_per_day,
        cache_rate_per_day=cache_rate,
        by_model=by_model,
        by_task=by_task,
        p95_by_model=dict(p95),
        success_by_model=dict(success),
        totals=totals,
        spent_today=total_cost(session, since=midnight, tenant=tenant),
        spent_month=total_cost(session, since=month, tenant=tenant),
        daily_limit=budget.daily_usd,
        monthly_limit=budget.monthly_usd,
        total=total_cost(session, since=since, tenant=tenant),
    )
