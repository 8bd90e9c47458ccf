"""Meetings and what was derived from them: save (one transaction), list, show, forget.

The repository functions take a ``Session`` and never commit: the caller decides what one
transaction holds (``Store.transaction()``), so that a run that fails half-way stores nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Collection
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from minutes.errors import NotFound
from minutes.notes import MeetingNotes
from minutes.store.db import affected
from minutes.store.models import (
    DEFAULT_TENANT,
    ActionItemRow,
    CacheEntry,
    DecisionRow,
    LLMCall,
    Meeting,
    NotesRow,
)
from minutes.store.search_index import drop_meeting as drop_from_index
from minutes.store.search_index import index_meeting
from minutes.transcripts.models import Transcript
from minutes.units import from_micros, to_micros, utcnow_naive

if TYPE_CHECKING:
    pass

MIN_PREFIX = 4


def transcript_hash(transcript: Transcript) -> str:
    """Identity of a transcript's content: speakers and words, not file name or format."""
    return hashlib.sha256(transcript.text().encode("utf-8")).hexdigest()


def new_meeting_id() -> str:
    return uuid.uuid4().hex


# --- views returned to callers -----------------------------------------------------------


class MeetingSummary(BaseModel):
    id: str
    title: str | None
    date: dt.date | None
    participants: list[str]
    source_name: str | None
    created_at: dt.datetime
    runs: int = Field(description="how many times the meeting was summarized")
    action_items: int
    decisions: int
    cost_usd: Decimal = Field(description="what its stored notes cost, all runs")


class ActionView(BaseModel):
    id: int
    meeting_id: str
    meeting_title: str | None
    meeting_date: dt.date | None
    task: str
    assignee: str | None
    due_date: dt.date | None
    due_text: str | None
    priority: str
    status: str


class MeetingDetail(BaseModel):
    summary: MeetingSummary
    notes: MeetingNotes
    notes_created_at: dt.datetime
    actions: list[ActionView]


class ForgetResult(BaseModel):
    meeting_id: str
    notes: int
    action_items: int
    decisions: int
    cache_entries: int
    ledger_rows_detached: int


# --- writes ------------------------------------------------------------------------------


def meeting_id_for(
    session: Session, transcript: Transcript, *, tenant: str = DEFAULT_TENANT
) -> str:
    """The id of the stored meeting with this transcript, else a new id (nothing is written).

    Decided before the run, so that every ledger row of the run carries the id."""
    existing = session.scalar(
        select(Meeting.id).where(
            Meeting.tenant == tenant, Meeting.transcript_hash == transcript_hash(transcript)
        )
    )
    return existing or new_meeting_id()


def save_meeting(
    session: Session,
    transcript: Transcript,
    notes: MeetingNotes,
    *,
    meeting_id: str | None = None,
    source_path: Path | str | None = None,
    tenant: str = DEFAULT_TENANT,
) -> str:
    """Store ``notes`` for ``transcript``; returns the meeting's id.

    A transcript stored before (same content hash) gets a new notes row, and its action items
    and decisions are replaced by the new run's, keeping the status of items that reappear.
    Nothing is committed here.
    """
    digest = transcript_hash(transcript)
    meeting = session.scalar(
        select(Meeting).where(Meeting.tenant == tenant, Meeting.transcript_hash == digest)
    )
    if meeting is None:
        meeting = Meeting(
            id=meeting_id or new_meeting_id(),
            tenant=tenant,
            transcript_hash=digest,
            source_format=transcript.source_format,
        )
        session.add(meeting)
    meeting.title = notes.title or transcript.title
    meeting.date = notes.date or transcript.date
    meeting.timezone = transcript.timezone
    meeting.participants = list(notes.participants or transcript.participants)
    meeting.source_name = str(source_path) if source_path else transcript.source_name
    session.flush()

    previous_status = _previous_status(session, meeting.id)
    session.execute(delete(ActionItemRow).where(ActionItemRow.meeting_id == meeting.id))
    session.execute(delete(DecisionRow).where(DecisionRow.meeting_id == meeting.id))

    row = NotesRow(
        meeting_id=meeting.id,
        notes=notes.model_dump(mode="json"),
        engine=notes.engine,
        degraded=notes.degraded,
        cost_micros=to_micros(notes.cost_usd),
        created_at=utcnow_naive(),
    )
    session.add(row)
    session.flush()
    session.add_all(_action_rows(meeting.id, row.id, notes, previous_status))
    session.add_all(_decision_rows(meeting.id, row.id, notes))
    session.flush()
    index_meeting(session, meeting.id, transcript, notes, tenant=tenant)  # searchable at once
    return meeting.id


def _action_key(task: str, assignee: str | None) -> tuple[str, str]:
    return (" ".join(task.lower().split()), (assignee or "").lower())


def _previous_status(session: Session, meeting_id: str) -> dict[tuple[str, str], tuple[str, Any]]:
    rows = session.execute(
        select(
            ActionItemRow.task,
            ActionItemRow.assignee,
            ActionItemRow.status,
            ActionItemRow.closed_at,
        ).where(ActionItemRow.meeting_id == meeting_id)
    ).all()
    return {_action_key(r.task, r.assignee): (r.status, r.closed_at) for r in rows}


def _action_rows(
    meeting_id: str,
    notes_id: int,
    notes: MeetingNotes,
    previous: dict[tuple[str, str], tuple[str, Any]],
) -> list[ActionItemRow]:
    rows = []
    for i, item in enumerate(notes.action_items):
        status, closed_at = previous.get(_action_key(item.task, item.assignee), ("open", None))
        rows.append(
            ActionItemRow(
                meeting_id=meeting_id,
                notes_id=notes_id,
                position=i,
                task=item.task,
                assignee=item.assignee,
                due_date=item.due_date,
                due_text=item.due_text,
                priority=item.priority,
                context=item.context,
                status=status,
                closed_at=closed_at,
                sources=[s.model_dump(mode="json") for s in item.sources],
            )
        )
    return rows


def _decision_rows(meeting_id: str, notes_id: int, notes: MeetingNotes) -> list[DecisionRow]:
    return [
        DecisionRow(
            meeting_id=meeting_id,
            notes_id=notes_id,
            position=i,
            decision=d.decision,
            rationale=d.rationale,
            alternatives=list(d.alternatives),
            decided_by=list(d.decided_by),
            sources=[s.model_dump(mode="json") for s in d.sources],
        )
        for i, d in enumerate(notes.decisions)
    ]


def set_action_status(
    session: Session, action_id: int, *, done: bool, tenant: str = DEFAULT_TENANT
) -> ActionView:
    item = session.scalar(
        select(ActionItemRow)
        .join(Meeting, Meeting.id == ActionItemRow.meeting_id)
        .where(ActionItemRow.id == action_id, Meeting.tenant == tenant)
    )
    if item is None:  # another tenant's item is as absent as one that never existed
        raise NotFound(f"no action item {action_id}")
    item.status = "done" if done else "open"
    item.closed_at = utcnow_naive() if done else None
    session.flush()
    return list_actions(session, action_id=action_id, tenant=tenant)[0]


def forget_meeting(
    session: Session, id_or_prefix: str, *, tenant: str = DEFAULT_TENANT
) -> ForgetResult:
    """Delete a meeting, its notes, items and decisions and the cache entries its runs made.

    Its ledger rows stay (money spent is history) but lose the link to the meeting.
    """
    meeting_id = resolve_meeting_id(session, id_or_prefix, tenant=tenant)

    def count(model: Any, column: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(model).where(column)) or 0)

    result = ForgetResult(
        meeting_id=meeting_id,
        notes=count(NotesRow, NotesRow.meeting_id == meeting_id),
        action_items=count(ActionItemRow, ActionItemRow.meeting_id == meeting_id),
        decisions=count(DecisionRow, DecisionRow.meeting_id == meeting_id),
        cache_entries=affected(
            session.execute(delete(CacheEntry).where(CacheEntry.meeting_id == meeting_id))
        ),
        ledger_rows_detached=affected(
            session.execute(
                update(LLMCall).where(LLMCall.meeting_id == meeting_id).values(meeting_id=None)
            )
        ),
    )
    # Children first: the same on a SQLite opened without foreign keys as on PostgreSQL.
    drop_from_index(session, meeting_id)  # a forgotten meeting leaves no search hit
    for model in (ActionItemRow, DecisionRow, NotesRow):
        session.execute(delete(model).where(model.meeting_id == meeting_id))
    session.execute(delete(Meeting).where(Meeting.id == meeting_id))
    session.flush()
    return result


# --- reads -------------------------------------------------------------------------------


def resolve_meeting_id(session: Session, id_or_prefix: str, *, tenant: str = DEFAULT_TENANT) -> str:
    """A full meeting id of ``tenant`` from an id or a unique prefix of at least four
    characters; another tenant's meeting is not found."""
    wanted = id_or_prefix.strip().lower()
    exact = session.get(Meeting, wanted)
    if exact is not None and exact.tenant == tenant:
        return wanted
    if len(wanted) < MIN_PREFIX:
        raise NotFound(f"no meeting {id_or_prefix!r} (give at least {MIN_PREFIX} characters)")
    found = session.scalars(
        select(Meeting.id)
        .where(Meeting.tenant == tenant, Meeting.id.startswith(wanted, autoescape=True))
        .limit(2)
    ).all()
    if not found:
        raise NotFound(f"no meeting {id_or_prefix!r}")
    if len(found) > 1:
        raise NotFound(f"{id_or_prefix!r} matches more than one meeting; give more of the id")
    return found[0]


def list_meetings(
    session: Session,
    *,
    limit: int = 50,
    offset: int = 0,
    tenant: str = DEFAULT_TENANT,
    meeting_id: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    participant: str | None = None,
) -> list[MeetingSummary]:
    """Meetings of ``tenant``, newest first; ``since``/``until`` bound the meeting date,
    ``participant`` matches a participant's name case-insensitively."""
    notes_stats = (
        select(
            NotesRow.meeting_id,
            func.count(NotesRow.id).label("runs"),
            func.coalesce(func.sum(NotesRow.cost_micros), 0).label("cost"),
        )
        .group_by(NotesRow.meeting_id)
        .subquery()
    )
    actions = (
        select(ActionItemRow.meeting_id, func.count(ActionItemRow.id).label("n"))
        .group_by(ActionItemRow.meeting_id)
        .subquery()
    )
    decisions = (
        select(DecisionRow.meeting_id, func.count(DecisionRow.id).label("n"))
        .group_by(DecisionRow.meeting_id)
        .subquery()
    )
    query = select(
        Meeting,
        func.coalesce(notes_stats.c.runs, 0),
        func.coalesce(notes_stats.c.cost, 0),
        func.coalesce(actions.c.n, 0),
        func.coalesce(decisions.c.n, 0),
    ).where(Meeting.tenant == tenant)
    if meeting_id is not None:
        query = query.where(Meeting.id == meeting_id)
    if since is not None:
        query = query.where(Meeting.date >= since)
    if until is not None:
        query = query.where(Meeting.date <= until)
    query = (
        query.outerjoin(notes_stats, notes_stats.c.meeting_id == Meeting.id)
        .outerjoin(actions, actions.c.meeting_id == Meeting.id)
        .outerjoin(decisions, decisions.c.meeting_id == Meeting.id)
        .order_by(Meeting.created_at.desc(), Meeting.id)
    )
    if participant:
        # Participants are a JSON list: matched here, the same on SQLite and PostgreSQL.
        who = participant.casefold()
        rows = [
            r
            for r in session.execute(query).all()
            if any(who in str(p).casefold() for p in r[0].participants or [])
        ][offset : offset + limit]
    else:
        rows = list(session.execute(query.offset(offset).limit(limit)).all())
    return [_summary(m, runs, cost, n_a, n_d) for m, runs, cost, n_a, n_d in rows]


def _summary(m: Meeting, runs: int, cost: int, n_actions: int, n_decisions: int) -> MeetingSummary:
    return MeetingSummary(
        id=m.id,
        title=m.title,
        date=m.date,
        participants=list(m.participants or []),
        source_name=m.source_name,
        created_at=m.created_at,
        runs=int(runs),
        action_items=int(n_actions),
        decisions=int(n_decisions),
        cost_usd=from_micros(cost),
    )


def get_meeting(
    session: Session, id_or_prefix: str, *, tenant: str = DEFAULT_TENANT
) -> MeetingDetail:
    meeting_id = resolve_meeting_id(session, id_or_prefix, tenant=tenant)
    summary = list_meetings(session, tenant=tenant, meeting_id=meeting_id)[0]
    latest = session.scalars(
        select(NotesRow)
        .where(NotesRow.meeting_id == meeting_id)
        .order_by(NotesRow.created_at.desc(), NotesRow.id.desc())
        .limit(1)
    ).first()
    if latest is None:
        raise NotFound(f"meeting {meeting_id} has no notes")
    return MeetingDetail(
        summary=summary,
        notes=MeetingNotes.model_validate(latest.notes),
        notes_created_at=latest.created_at,
        actions=list_actions(session, meeting_id=meeting_id, tenant=tenant),
    )


def list_actions(
    session: Session,
    *,
    assignee: str | None = None,
    open_only: bool = False,
    meeting_id: str | None = None,
    action_id: int | None = None,
    tenant: str = DEFAULT_TENANT,
    status: str | None = None,
    due_before: dt.date | None = None,
    limit: int | None = None,
    offset: int = 0,
    assignees: Collection[str] | None = None,
) -> list[ActionView]:
    """Action items of ``tenant`` across meetings (of each meeting's latest run), newest
    meeting first; ``due_before`` keeps items with a due date before that day."""
    query = (
        select(ActionItemRow, Meeting.title, Meeting.date)
        .join(Meeting, Meeting.id == ActionItemRow.meeting_id)
        .where(Meeting.tenant == tenant)
    )
    if status is not None:
        query = query.where(ActionItemRow.status == status)
    if due_before is not None:
        query = query.where(ActionItemRow.due_date < due_before)
    if assignee:
        query = query.where(func.lower(ActionItemRow.assignee) == assignee.lower())
    if assignees is not None:  # any of these names (a person's aliases), case-insensitively
        query = query.where(func.lower(ActionItemRow.assignee).in_([n.lower() for n in assignees]))
    if open_only:
        query = query.where(ActionItemRow.status == "open")
    if meeting_id:
        query = query.where(ActionItemRow.meeting_id == meeting_id)
    if action_id is not None:
        query = query.where(ActionItemRow.id == action_id)
    query = query.order_by(
        Meeting.created_at.desc(), ActionItemRow.meeting_id, ActionItemRow.position
    ).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [
        ActionView(
            id=a.id,
            meeting_id=a.meeting_id,
            meeting_title=title,
            meeting_date=date,
            task=a.task,
            assignee=a.assignee,
            due_date=a.due_date,
            due_text=a.due_text,
            priority=a.priority,
            status=a.status,
        )
        for a, title, date in session.execute(query).all()
    ]


def already_stored(
    store: Any, transcript: Transcript, *, tenant: str = DEFAULT_TENANT
) -> str | None:
    """The id of a stored meeting of ``tenant`` with this exact transcript and notes."""
    with store.read() as session:
        return session.scalar(
            select(Meeting.id)
            .join(NotesRow, NotesRow.meeting_id == Meeting.id)
            .where(
                Meeting.tenant == tenant,
                Meeting.transcript_hash == transcript_hash(transcript),
            )
            .limit(1)
        )


class DecisionView(BaseModel):
    id: int
    meeting_id: str
    meeting_title: str | None
    meeting_date: dt.date | None
    decision: str
    rationale: str | None
    alternatives: list[str]
    decided_by: list[str]
    created_at: dt.datetime


def list_decisions(
    session: Session,
    *,
    tenant: str = DEFAULT_TENANT,
    meeting_id: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[DecisionView]:
    """Decisions of ``tenant`` across meetings, newest meeting first."""
    query = (
        select(DecisionRow, Meeting.title, Meeting.date)
        .join(Meeting, Meeting.id == DecisionRow.meeting_id)
        .where(Meeting.tenant == tenant)
    )
    if meeting_id:
        query = query.where(DecisionRow.meeting_id == meeting_id)
    query = query.order_by(
        Meeting.date.desc().nulls_last(),
        Meeting.created_at.desc(),
        DecisionRow.meeting_id,
        DecisionRow.position,
    ).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [
        DecisionView(
            id=d.id,
            meeting_id=d.meeting_id,
            meeting_title=title,
            meeting_date=date,
            decision=d.decision,
            rationale=d.rationale,
            alternatives=[str(a) for a in d.alternatives or []],
            decided_by=[str(p) for p in d.decided_by or []],
            created_at=d.created_at,
        )
        for d, title, date in session.execute(query).all()
    ]
