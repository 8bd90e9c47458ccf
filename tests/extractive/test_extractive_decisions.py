"""Decisions: found with deciders, rationale and alternatives; open items are not decisions."""

from __future__ import annotations

import pytest

from conftest import MakeTranscript
from minutes.extractive import extract_decisions
from minutes.transcripts.models import Transcript


def test_planning_meeting_decisions(planning: Transcript) -> None:
    decisions = extract_decisions(planning)
    assert len(decisions) == 2
    db, freeze = decisions
    assert db.decision == "We're going with PostgreSQL."
    assert db.rationale == "we need proper transactions for the ledger"
    assert db.alternatives == ["MongoDB"]
    # team phrasing: the speaker plus those who agreed right after
    assert db.decided_by == ["Lena Fischer", "Marcus Webb", "Priya Natarajan"]
    assert [s.segment for s in db.sources] == [6]
    assert freeze.decision == "Let's go with a two-week freeze before the cutover."
    assert freeze.rationale == "support is short-staffed in April"
    # Priya's "OK, that's it" comes after the talk moved on: not agreement
    assert freeze.decided_by == ["Marcus Webb", "Lena Fischer"]
    for d in decisions:
        for src in d.sources:
            assert src.quote in planning.segments[src.segment].text


@pytest.mark.parametrize(
    "sentence",
    [
        "We haven't decided on the pricing page yet.",
        "We need to decide on the colours.",
        "Should we go with the blue one?",
        "If we decide to go with Rust, hiring gets harder.",
        "Let's go for lunch then.",
        "I agree.",
        "Once we've decided on the vendor we can start.",
        "We decided.",
    ],
)
def test_not_decisions(make_transcript: MakeTranscript, sentence: str) -> None:
    t = make_transcript(("Ann", "So."), ("Bob", sentence), ("Ann", "Yeah."))
    assert extract_decisions(t) == []


@pytest.mark.parametrize(
    ("sentence", "decision", "alternatives"),
    [
        ("We've decided to ship on Monday.", "We've decided to ship on Monday.", []),
        (
            "The decision is to keep the old API for now.",
            "The decision is to keep the old API for now.",
            [],
        ),
        (
            "We settled on weekly releases rather than daily ones.",
            "We settled on weekly releases.",
            ["daily ones"],
        ),
        ("OK, we'll go with Figma over Sketch.", "We'll go with Figma over Sketch.", ["Sketch"]),
        ("We decided not to migrate the archive.", "We decided not to migrate the archive.", []),
    ],
)
def test_decision_shapes(
    make_transcript: MakeTranscript, sentence: str, decision: str, alternatives: list[str]
) -> None:
    t = make_transcript(("Ann", sentence))
    (d,) = extract_decisions(t)
    assert d.decision == decision
    assert d.alternatives == alternatives
    assert d.decided_by == ["Ann"]


def test_rationale_in_next_sentence_of_same_speaker(make_transcript: MakeTranscript) -> None:
    t = make_transcript(
        ("Ann", "We decided to drop the Windows build. Because nobody has used it in a year."),
    )
    (d,) = extract_decisions(t)
    assert d.rationale == "nobody has used it in a year"


def test_anaphoric_decision_quotes_what_it_refers_to(make_transcript: MakeTranscript) -> None:
    t = make_transcript(
        ("Bob", "What about a yellow case with rubber buttons for the kids market?"),
        ("Ann", "Yes, let's go with that."),
        ("Cleo", "Sounds good."),
    )
    (d,) = extract_decisions(t)
    assert "yellow case with rubber buttons" in d.decision
    assert [s.segment for s in d.sources] == [0, 1]
    assert d.decided_by == ["Ann", "Cleo"]


def test_no_speaker(make_transcript: MakeTranscript) -> None:
    (d,) = extract_decisions(make_transcript((None, "We agreed on a hard launch date.")))
    assert d.decided_by == []
