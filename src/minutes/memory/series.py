"""Across a series of meetings: decisions that revise earlier ones, and later mentions of open
action items.

Both are read from what is stored, when asked: a meeting saved again gets new item rows (and
ids), so links kept in a table would point at rows that no longer exist. Matching is lexical
and offline, on the subject words of the items (stop words and the words that say *that*
something was decided or done dropped, endings trimmed):

- A decision **supersedes** the decision on the same subject of the most recent *earlier*
  meeting that has one (by meeting date, then by when it was stored; the best match there):
  the same subject is at least two subject words shared and at
  least half of the shorter one's subject words. The decision log follows these links into a
  chain, newest first.
- An open action item is **mentioned** in a later meeting when a line of that meeting shares
  its subject (the same rule) and is spoken by its assignee or names them. A line that says
  the work is finished ("I sent the deck", "the migration is done") proposes ``done``; one
  that says it goes on ("still working on the migration", "haven't sent it yet") proposes
  ``in_progress``. Proposals change nothing until confirmed (``minutes done``) or applied
  with ``--auto`` (only ``done`` ones).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from minutes.memory.people import same_person
from minutes.store.meetings import ActionView, list_actions, set_action_status
from minutes.store.models import DEFAULT_TENANT, DecisionRow, Meeting, SearchDoc
from minutes.store.search_index import STOPWORDS

_WORD = re.compile(r"[a-z0-9]+")
# Words that say that something was decided, promised or done, not what it was about.
_NOT_SUBJECT = frozenset(
    """decide decided decision agree agreed agreement let lets go going gonna okay ok yes yeah
    so well now then will shall should must need needs want wants think thought sure fine
    make made do doing done did finish finished complete completed still working work
    already yet today tomorrow week next last friday monday tuesday wednesday
    thursday saturday sunday morning afternoon end one two three take took sent send get
    got can ll ve re don didn haven hasn isn won wasn up out""".split()  # noqa: SIM905
)
# Irregular past forms that would otherwise not meet their task's verb (kept for the
# subject words of tasks like "write the spec" / "I wrote the spec").
_IRREGULAR = {"wrote": "write", "written": "write", "built": "build", "bought": "buy"}


def _stem(word: str) -> str:
    word = _IRREGULAR.get(word, word)
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + keep
    return word


def subject_words(text: str) -> frozenset[str]:
    """What an item is about: its content words, stemmed."""
    return frozenset(
        _stem(w)
        for w in _WORD.findall(text.lower())
        if w not in STOPWORDS and w not in _NOT_SUBJECT and len(w) > 1
    )


def same_subject(a: frozenset[str], b: frozenset[str]) -> float:
    """The share of the shorter subject that the other has; 0 below two shared words."""
    shared = len(a & b)
    if shared < 2:
        return 0.0
    score = shared / min(len(a), len(b))
    return score if score >= 0.5 else 0.0


def _order(date: dt.date | None, created: dt.datetime) -> tuple[dt.date, dt.datetime]:
    return (date or created.date(), created)


# --- decisions ---------------------------------------------------------------------------


class DecisionRef(BaseModel):
    id: int
    meeting_id: str
    meeting_title: str | None
    meeting_date: dt.date | None
    decision: str


class LoggedDecision(DecisionRef):
    decided_by: list[str]
    rationale: str | None
    supersedes: int | None = Field(
        None, description="the earlier decision on the same subject that this one revises"
    )
    chain: list[DecisionRef] = Field(
        default_factory=list,
        description="the decisions it revises, newest first (supersedes, then what that one "
        "superseded, ...)",
    )


@dataclass(frozen=True)
class _Decision:
    ref: DecisionRef
    decided_by: list[str]
    rationale: str | None
    order: tuple[dt.date, dt.datetime]
    subject: frozenset[str]


def decision_log(
    session: Session,
    *,
    tenant: str = DEFAULT_TENANT,
    meeting_id: str | None = None,
    limit: int | None = None,
) -> list[LoggedDecision]:
    """Decisions of ``tenant`` newest meeting first, each with the chain of earlier decisions
    it revises. ``meeting_id`` keeps one meeting's decisions (their chains still reach into
    earlier meetings)."""
    rows = session.execute(
        select(DecisionRow, Meeting.title, Meeting.date, Meeting.created_at)
        .join(Meeting, Meeting.id == DecisionRow.meeting_id)
        .where(Meeting.tenant == tenant)
    ).all()
    decisions = [
        _Decision(
            ref=DecisionRef(
                id=d.id,
                meeting_id=d.meeting_id,
                meeting_title=title,
                meeting_date=date,
                decision=d.decision,
            ),
            decided_by=[str(p) for p in d.decided_by or []],
            rationale=d.rationale,
            order=_order(date, created),
            subject=subject_words(d.decision),
        )
        for d, title, date, created in rows
    ]
    decisions.sort(key=lambda d: (d.order, -d.ref.id), reverse=True)  # newest first
    revises = _supersedes(decisions)
    by_id = {d.ref.id: d for d in decisions}
    log: list[LoggedDecision] = []
    for d in decisions:
        if meeting_id is not None and d.ref.meeting_id != meeting_id:
            continue
        chain: list[DecisionRef] = []
        seen = {d.ref.id}
        step = revises.get(d.ref.id)
        while step is not None and step not in seen:
            seen.add(step)
            chain.append(by_id[step].ref)
            step = revises.get(step)
        log.append(
            LoggedDecision(
                **d.ref.model_dump(),
                decided_by=d.decided_by,
                rationale=d.rationale,
                supersedes=revises.get(d.ref.id),
                chain=chain,
            )
        )
        if limit is not None and len(log) >= limit:
            break
    return log


def _supersedes(newest_first: Sequence[_Decision]) -> dict[int, int]:
    """decision id -> the id of the decision it revises."""
    found: dict[int, int] = {}
    for i, later in enumerate(newest_first):
        # The decision in force on that subject is the most recent one: the newest earlier
        # meeting with a match wins, and within it the best match.
        best: tuple[str, float, int] | None = None
        for earlier in newest_first[i + 1 :]:
            if earlier.ref.meeting_id == later.ref.meeting_id or earlier.order >= later.order:
                continue  # only an earlier meeting's decision is revised
            if best is not None and earlier.ref.meeting_id != best[0]:
                break
            score = same_subject(later.subject, earlier.subject)
            if score and (best is None or score > best[1]):
                best = (earlier.ref.meeting_id, score, earlier.ref.id)
        if best is not None:
            found[later.ref.id] = best[2]
    return found


# --- mentions of open action items ---------------------------------------------------------

_DONE = re.compile(
    r"\b(sent|done|finished|completed|shipped|merged|submitted|delivered|fixed|wrapped up|"
    r"took care of|closed|resolved|published|booked|scheduled|set up|updated|uploaded|"
    r"shared|wrote|written|filed|signed|paid|ordered|reviewed|approved|deployed|released|"
    r"cancell?ed|emailed|called)\b",
    re.IGNORECASE,
)
_ONGOING = re.compile(
    r"\b(still|working on|in progress|halfway|almost|nearly|started|underway|not yet|"
    r"haven'?t|hasn'?t|didn'?t|not done|not finished|blocked|waiting|behind|later this week)\b",
    re.IGNORECASE,
)
# "I'll send ..." / "will be done" are promises, not reports.
_FUTURE = re.compile(r"\b(i'?ll|will|going to|gonna|plan to|can you|could you)\b", re.IGNORECASE)

Proposal = Literal["done", "in_progress"]


class Mention(BaseModel):
    action: ActionView
    proposed: Proposal = Field(description="done: the line reports it finished; in_progress")
    meeting_id: str
    meeting_title: str | None
    meeting_date: dt.date | None
    speaker: str | None
    start: float | None
    quote: str
    applied: bool = False


def proposed_status(line: str) -> Proposal | None:
    if _ONGOING.search(line):
        return "in_progress"
    if _DONE.search(line) and not _FUTURE.search(line):
        return "done"
    return None


@dataclass(frozen=True)
class _Line:
    meeting_id: str
    title: str | None
    date: dt.date | None
    order: tuple[dt.date, dt.datetime]
    speaker: str | None
    start: float | None
    text: str
    subject: frozenset[str]


def _lines(session: Session, tenant: str) -> list[_Line]:
    rows = session.execute(
        select(SearchDoc, Meeting.title, Meeting.date, Meeting.created_at)
        .join(Meeting, Meeting.id == SearchDoc.meeting_id)
        .where(SearchDoc.tenant == tenant, SearchDoc.kind == "segment")
        .order_by(SearchDoc.meeting_id, SearchDoc.position)
    ).all()
    return [
        _Line(
            doc.meeting_id,
            title,
            date,
            _order(date, created),
            doc.speaker,
            doc.start,
            doc.text,
            subject_words(doc.text),
        )
        for doc, title, date, created in rows
    ]


def _names_them(line: _Line, assignee: str) -> bool:
    if line.speaker and same_person(line.speaker, assignee):
        return True
    first = assignee.split()[0].lower() if assignee.split() else ""
    return bool(first) and re.search(rf"\b{re.escape(first)}\b", line.text.lower()) is not None


def find_mentions(
    session: Session,
    *,
    tenant: str = DEFAULT_TENANT,
    actions: Iterable[ActionView] | None = None,
) -> list[Mention]:
    """For each open action item, its latest mention in a later meeting that proposes a new
    status (see the module's docstring)."""
    meetings = {
        m.id: _order(m.date, m.created_at)
        for m in session.scalars(select(Meeting).where(Meeting.tenant == tenant))
    }
    items = list(actions) if actions is not None else list_actions(session, tenant=tenant)
    items = [a for a in items if a.status == "open" and a.meeting_id in meetings]
    if not items:
        return []
    lines = _lines(session, tenant)
    found: list[Mention] = []
    for action in items:
        since = meetings[action.meeting_id]
        subject = subject_words(action.task)
        best: tuple[tuple[dt.date, dt.datetime], float, _Line, Proposal] | None = None
        for line in lines:
            if line.order <= since or line.meeting_id == action.meeting_id:
                continue
            score = same_subject(subject, line.subject)
            if not score:
                continue
            if action.assignee and not _names_them(line, action.assignee):
                continue
            proposal = proposed_status(line.text)
            if proposal is None:
                continue
            key = (line.order, score)
            if best is None or key > (best[0], best[1]):
                best = (line.order, score, line, proposal)
        if best is not None:
            line = best[2]
            found.append(
                Mention(
                    action=action,
                    proposed=best[3],
                    meeting_id=line.meeting_id,
                    meeting_title=line.title,
                    meeting_date=line.date,
                    speaker=line.speaker,
                    start=line.start,
                    quote=line.text,
                )
            )
    return found


def apply_mentions(
    session: Session, mentions: Sequence[Mention], *, tenant: str = DEFAULT_TENANT
) -> list[Mention]:
    """Mark done the items whose mention says they are done; the others are left as they are.
    Returns the mentions with ``applied`` set."""
    applied: list[Mention] = []
    for m in mentions:
        if m.proposed == "done":
            set_action_status(session, m.action.id, done=True, tenant=tenant)
            m = m.model_copy(update={"applied": True})
        applied.append(m)
    return applied
