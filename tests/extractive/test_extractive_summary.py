"""TL;DR, narrative and meeting priority: templated, extractive, and honest about it."""

from __future__ import annotations

import datetime as dt

from extractive_fixtures import MakeTranscript

from minutes.extractive import classify_priority, make_narrative, make_tldr
from minutes.notes import ActionItem, Decision, KeyPoint, SourceRef


def _kp(text: str, speaker: str) -> KeyPoint:
    return KeyPoint(text=text, sources=[SourceRef(segment=0, speaker=speaker, quote=text)])


def test_narrative_names_people_quotes_points_and_lists_outcomes() -> None:
    text = make_narrative(
        "Release planning",
        ["Ann", "Bob", "Cleo"],
        [_kp("The cutover is planned for the end of the month.", "Ann")],
        [
            ActionItem(task="Fix the deploy script", assignee="Bob", due_date=dt.date(2026, 3, 13)),
            ActionItem(task="Book the room", due_text="before the offsite"),
        ],
        [Decision(decision="We're going with PostgreSQL.")],
        duration_s=1800,
        topics=["cutover", "ledger"],
    )
    paragraphs = text.split("\n\n")
    assert len(paragraphs) == 3
    assert "3 participants, about 30 minutes: Ann, Bob and Cleo" in paragraphs[0]
    assert "cutover, ledger" in paragraphs[0]
    assert "Ann: “The cutover is planned for the end of the month”" in paragraphs[1]
    assert "1 decision detected: “We're going with PostgreSQL”" in paragraphs[2]
    assert "Bob: Fix the deploy script (due 2026-03-13)" in paragraphs[2]
    assert "unassigned: Book the room (before the offsite)" in paragraphs[2]


def test_narrative_without_anything() -> None:
    text = make_narrative(None, [], [], [], [])
    assert text == (
        "The meeting has no named speakers.\n\nNo explicit decisions or action items were detected."
    )


def test_tldr() -> None:
    tldr = make_tldr(
        "Release planning",
        ["Ann", "Bob"],
        [],
        [ActionItem(task="a", assignee="Bob"), ActionItem(task="b", assignee="Bob")],
        [],
        topics=["cutover", "ledger", "rota"],
    )
    assert tldr == (
        "Ann and Bob discussed Release planning — cutover, ledger and rota. "
        "0 decisions and 2 action items (all for Bob) detected."
    )
    assert (
        make_tldr(None, [], [], [], [])
        == "The speakers met. 0 decisions and 0 action items detected."
    )


def test_priority(make_transcript: MakeTranscript) -> None:
    calm = make_transcript(("Ann", "Let's review the roadmap."), ("Bob", "Sounds good."))
    assert classify_priority(calm) == "low"
    assert classify_priority(calm, action_items=[ActionItem(task="x")]) == "normal"
    outage = make_transcript(
        ("Ann", "The outage took the payments API down for customers."),
        ("Bob", "We need a postmortem and a rollback plan."),
    )
    assert classify_priority(outage) == "high"
    urgent = [ActionItem(task="x", priority="high"), ActionItem(task="y", priority="high")]
    assert classify_priority(calm, action_items=urgent) == "high"
    # "today" in passing is no urgency
    agenda = make_transcript(("Ann", "Our agenda today is the roadmap and the hiring plan."))
    assert classify_priority(agenda) == "low"
