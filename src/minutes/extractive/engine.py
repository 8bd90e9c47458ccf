"""The extractive engine end to end: every stage, timed, with its provenance.

It is the last fallback of the LLM pipeline and the offline default, so it must not fail:
a stage that raises anyway (a bug, not an expected condition) is logged, leaves its part
of the notes empty, and is marked ``degraded`` with the reason.

Action items and decisions come from the rules first; then the learned detector
(:mod:`minutes.extractive.detector`, trained on AMI's annotations) flags the segments that say
one, and those the rules missed become items (:mod:`minutes.extractive.detected`). A detector
that cannot be loaded leaves the rules' items as they are, and the notes say so (degraded).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal, TypeVar

from minutes.extractive.actions import extract_action_items
from minutes.extractive.decisions import extract_decisions
from minutes.extractive.detected import (
    Flagged,
    add_detected_actions,
    add_detected_decisions,
    flagged,
)
from minutes.extractive.key_points import extract_key_points
from minutes.extractive.summary import classify_priority, make_narrative, make_tldr, meeting_topics
from minutes.notes import ActionItem, Decision, KeyPoint, MeetingNotes, Priority, StageProvenance
from minutes.transcripts.models import Transcript

if TYPE_CHECKING:
    from minutes.extractive.detector import Detector

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


def _flags(
    transcript: Transcript, detector: Detector | Literal["shipped"] | None, stages: _Stages
) -> dict[str, list[Flagged]]:
    """The detector's flagged segments per label; none without a detector or when it fails."""
    if detector is None or not transcript.segments:
        return {}
    try:
        # Here, not at the top: the detector brings numpy, which importing the engine (for
        # ``minutes --help``, say) should not pay for.
        from minutes.extractive.detector import load_detector

        model = load_detector() if detector == "shipped" else detector
        probabilities = model.probabilities(transcript.segments)
        return {
            label: flagged(p, model.labels[label].threshold) for label, p in probabilities.items()
        }
    except Exception as exc:  # a broken model file must not cost the rules' items
        logger.exception("extractive detector failed")
        stages.failures.append(f"extractive detector failed: {type(exc).__name__}: {exc}")
        return {}


def _or_rules(add: Callable[[], list[T]], rules: list[T], stages: _Stages) -> list[T]:
    """The rules' items with the detected ones added; the rules' alone if adding fails."""
    try:
        return add()
    except Exception as exc:  # a bug in the additions must not cost the rules' items
        logger.exception("extractive detected items failed")
        stages.failures.append(f"extractive detected items failed: {type(exc).__name__}: {exc}")
        return rules


def action_items_with_detector(
    transcript: Transcript,
    meeting_date: dt.date | None = None,
    timezone: str | None = None,
) -> list[ActionItem]:
    """The action items stage alone, as :func:`summarize_extractive` makes it: the rules'
    items and those the shipped detector finds where the rules did not (the rules' alone
    when the detector cannot run). What an LLM stage falls back to."""
    stages = _Stages()
    found = extract_action_items(transcript, meeting_date, timezone)
    flags = _flags(transcript, "shipped", stages).get("action", [])
    return _or_rules(
        lambda: add_detected_actions(transcript, found, flags, meeting_date, timezone),
        found,
        stages,
    )


def decisions_with_detector(transcript: Transcript) -> list[Decision]:
    """The decisions stage alone, as :func:`summarize_extractive` makes it (rules, then the
    shipped detector's additions)."""
    stages = _Stages()
    found = extract_decisions(transcript)
    flags = _flags(transcript, "shipped", stages).get("decision", [])
    return _or_rules(lambda: add_detected_decisions(transcript, found, flags), found, stages)


def summarize_extractive(
    transcript: Transcript,
    *,
    meeting_date: dt.date | None = None,
    timezone: str | None = None,
    max_key_points: int = 10,
    detector: Detector | Literal["shipped"] | None = "shipped",
) -> MeetingNotes:
    """Meeting notes without any model: central sentences, rule-based action items and
    decisions with those the learned detector finds where the rules did not, templated
    TL;DR and narrative.

    ``meeting_date`` and ``timezone`` (default: the transcript's) anchor relative due
    dates. ``detector``: the shipped one by default, another :class:`Detector` (the training
    script passes each fold's), or ``None`` for the rules alone. Never raises on a valid
    ``Transcript``, whatever its content.
    """
    stages = _Stages()
    participants = list(transcript.participants)
    meeting_date = meeting_date or transcript.date
    timezone = timezone or transcript.timezone

    key_points: list[KeyPoint] = stages.run(
        "key_points", lambda: extract_key_points(transcript, max_key_points), []
    )
    flags = _flags(transcript, detector, stages)

    def actions() -> list[ActionItem]:
        found = extract_action_items(transcript, meeting_date, timezone)
        return _or_rules(
            lambda: add_detected_actions(
                transcript, found, flags.get("action", []), meeting_date, timezone
            ),
            found,
            stages,
        )

    def decided() -> list[Decision]:
        found = extract_decisions(transcript)
        return _or_rules(
            lambda: add_detected_decisions(transcript, found, flags.get("decision", [])),
            found,
            stages,
        )

    action_items: list[ActionItem] = stages.run("action_items", actions, [])
    decisions: list[Decision] = stages.run("decisions", decided, [])
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
