"""Decisions: found with deciders, rationale and alternatives; open items are not decisions."""

from __future__ import annotations

import pytest
from extractive_fixtures import MakeTranscript

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


@pytest.mark.parametrize(
    ("sentence", "decision"),
    [
        # a plan with a choice verb
        (
            "Let's approve twenty-five now for the launch.",
            "Let's approve twenty-five now for the launch.",
        ),
        (
            "We'll cut the seats down to thirty at renewal.",
            "We'll cut the seats down to thirty at renewal.",
        ),
        (
            "Let's not expand the scope of the onboarding work.",
            "Let's not expand the scope of the onboarding work.",
        ),
        (
            "Let's say the migration runs in production on Thursday.",
            "Let's say the migration runs in production on Thursday.",
        ),
        ("Alright, let's keep it central.", "Let's keep it central."),
        # a concluding word, then where something goes
        (
            "Okay, the two remaining roles stay in the second-quarter budget.",
            "The two remaining roles stay in the second-quarter budget.",
        ),
        (
            "So, decided: at-least-once delivery and a shared dedup library.",
            "Decided: at-least-once delivery and a shared dedup library.",
        ),
        ("Agreed, read-only for the pilot.", "Read-only for the pilot."),
    ],
)
def test_decisions_without_decision_words(
    make_transcript: MakeTranscript, sentence: str, decision: str
) -> None:
    t = make_transcript(("Bob", "Hm."), ("Ann", sentence))
    assert [d.decision for d in extract_decisions(t)] == [decision]


@pytest.mark.parametrize(
    "sentence",
    [
        # the meeting itself
        "Let's see what we have here.",
        "Let's have a look at the budget.",
        "We'll have the presentation first.",
        "Let's move on to the next slide.",
        "Let's not worry about that for now.",
        "So we can move to the last part of the meeting.",
        # a hedge, a relative clause, an unnamed "it", a condition
        "Let's say an average size.",
        "Let's say Thursday at two, I'll send the invite.",
        "We'll combine everything later.",
        "This is the tool we are going to use during the project.",
        "We'll use it for the business case for Martin too.",
        "If it works, we'll cut the price.",
        "I think it is.",
        "I think it's going to go to Mike.",
        # an earlier meeting's decision, a suggestion
        "We decided last month that workspaces stay in the team plan.",
        "We've already decided that we're going with the cheap chip.",
        "I'd suggest we spend time on your process, and we agree on next steps at the end.",
        # an agreement that names no choice
        "Agreed, that's cheap and helpful.",
    ],
)
def test_not_decisions_without_decision_words(
    make_transcript: MakeTranscript, sentence: str
) -> None:
    t = make_transcript(("Bob", "Hm."), ("Ann", sentence))
    assert extract_decisions(t) == []


def test_a_settlement_is_about_the_proposal_before(make_transcript: MakeTranscript) -> None:
    t = make_transcript(
        ("Maya", "So the order of migration is orders, accounts, payments, with two weeks each."),
        ("Maya", "Any objections?"),
        ("Priya", "No."),
        ("Farah", "None."),
        ("Maya", "Then that's agreed. Tom, when could orders start?"),
    )
    (d,) = extract_decisions(t)
    assert "order of migration is orders, accounts, payments" in d.decision
    assert [s.segment for s in d.sources] == [0, 4]


def test_a_settlement_followed_by_its_summary(make_transcript: MakeTranscript) -> None:
    t = make_transcript(
        ("Marco", "Agreed."),
        ("Rachel", "Great, that's decided then. Two roles for the beta."),
    )
    (d,) = extract_decisions(t)
    assert "Two roles for the beta" in d.decision


def test_a_plan_about_it_takes_what_the_speaker_says_next(make_transcript: MakeTranscript) -> None:
    t = make_transcript(
        ("Rachel", "We now have the in-app banner Jonas proposed."),
        ("Laura", "Then let's use it. The banner goes on for all accounts on launch day."),
    )
    (d,) = extract_decisions(t)
    assert "banner goes on for all accounts on launch day" in d.decision


def test_x_it_is(make_transcript: MakeTranscript) -> None:
    t = make_transcript(
        ("Zoe", "The tenth clashes with the partner conference, so I'd go for the eighth."),
        ("Laura", "The eighth it is."),
    )
    (d,) = extract_decisions(t)
    assert d.decision.startswith("The eighth it is")
    assert "go for the eighth" in d.decision


def test_an_explicitly_agreed_proposal(make_transcript: MakeTranscript) -> None:
    t = make_transcript(
        ("Chloe", "I'd like a checkout component on the status page for outages."),
        ("Raj", "Agreed, that's cheap and helpful."),
    )
    (d,) = extract_decisions(t)
    assert d.decision == "I'd like a checkout component on the status page for outages."
    assert d.decided_by == ["Chloe", "Raj"]


@pytest.mark.parametrize(
    "turns",
    [
        # a bare "yeah" keeps the talk going; it agrees to nothing in particular
        (("Chloe", "I'd like a checkout component on the status page."), ("Raj", "Yeah.")),
        # an explicit yes to a statement that proposes nothing
        (("Victor", "The concepts carry over to Postgres easily."), ("Grace", "Agreed.")),
    ],
)
def test_not_agreed_proposals(
    make_transcript: MakeTranscript, turns: tuple[tuple[str, str], ...]
) -> None:
    assert extract_decisions(make_transcript(*turns)) == []
