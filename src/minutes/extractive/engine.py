"""The extractive engine end to end: every stage, timed, with its provenance.

It is the last fallback of the LLM pipeline and the offline default, so it must not fail:
a stage that raises anyway (a bug, not an expected condition) is logged, leaves its part
of the notes empty, and is marked ``degraded`` with the reason.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from minutes.extractive.actions import extract_action_items
from minutes.extractive.decisions import extract_decisions
from minutes.extractive.key_points import extract_key_points
from minutes.extractive.summary import classify_priority, make_narrative, make_tldr, meeting_topics
from minutes.notes import ActionItem, Decision, KeyPoint, MeetingNotes, Priority, StageProvenance
from minutes.transcripts.models import Transcript

logger = logging.getLogger(__name__)

T = TypeVar("T")


class _Stages:
    """Runs stages, keeping one StageProvenance per stage."""

    def __init__(self) -> None:
        self.provenance: list[StageProvenance] = []
        self.failures: list[str] = []

    def run(self, stage: str, fn: Callable[[], T], default: T) -> T:
        started = time.perf_counter()
        reason: str | None = None
        try:
            result = fn()
        except Exception as exc:  # the fallback of last resort must still return notes
            logger.exception("extractive stage %s failed", stage)
            reason = f"extractive {stage} failed: {type(exc).__name__}: {exc}"
            self.failures.append(reason)
            result = default
        self.provenance.append(
            StageProvenance(
                stage=stage,
                engine="extractive",
                latency_ms=round((time.perf_counter() - started) * 1000, 3),
                degraded=reason is not None,
                reason=reason,
            )
        )
        return result


def summarize_extractive(
    transcript: Transcript,
    *,
    meeting_date: dt.date | None = None,
    timezone: str | None = None,
    max_key_points: int = 10,
) -> MeetingNotes:
    """Meeting notes without any model: central sentences, rule-based action items and
    decisions, templated TL;DR and narrative.

    ``meeting_date`` and ``timezone`` (default: the transcript's) anchor relative due
    dates. Never raises on a valid ``Transcript``, whatever its content.
    """
    stages = _Stages()
    participants = list(transcript.participants)
    meeting_date = meeting_date or transcript.date
    timezone = timezone or transcript.timezone

    key_points: list[KeyPoint] = stages.run(
        "key_points", lambda: extract_key_points(transcript, max_key_points), []
    )
    action_items: list[ActionItem] = stages.run(
        "action_items", lambda: extract_action_items(transcript, meeting_date, timezone), []
    )
    decisions: list[Decision] = stages.run("decisions", lambda: extract_decisions(transcript), [])
    # Topics feed both texts; a failure there only costs the topic words.
    try:
        topics = meeting_topics(transcript)
    except Exception:
        logger.exception("extractive topics failed")
        topics = []
    narrative: str = stages.run(
        "narrative",
        lambda: make_narrative(
            transcript.title,
            participants,
            key_points,
            action_items,
            decisions,
            duration_s=transcript.duration,
            topics=topics,
        ),
        "",
    )
    tldr: str = stages.run(
        "tldr",
        lambda: make_tldr(
            transcript.title, participants, key_points, action_items, decisions, topics=topics
        ),
        "",
    )
    priority: Priority = stages.run(
        "priority",
        lambda: classify_priority(transcript, key_points, action_items, decisions),
        "normal",
    )
    return MeetingNotes(
        title=transcript.title,
        date=meeting_date,
        participants=participants,
        tldr=tldr,
        narrative=narrative,
        key_points=key_points,
        action_items=action_items,
        decisions=decisions,
        priority=priority,
        engine="extractive",
        degraded=bool(stages.failures),
        degraded_reasons=stages.failures,
        provenance=stages.provenance,
    )
