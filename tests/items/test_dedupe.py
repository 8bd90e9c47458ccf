"""Dedupe: the same item twice becomes one; different items stay apart."""

from __future__ import annotations

import datetime as dt

import pytest

from minutes.items.dedupe import (
    dedupe_action_items,
    dedupe_decisions,
    dedupe_key_points,
    dedupe_texts,
    is_similar,
)
from minutes.notes import ActionItem, Decision, KeyPoint, SourceRef


def _src(segment: int, quote: str) -> list[SourceRef]:
    return [SourceRef(segment=segment, quote=quote)]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Email the slides to everyone", "Send everyone the slides by email"),
        ("Update the roadmap", "Update the roadmap with Q3 dates"),
        ("Type up the minutes and email them out", "type up the minutes"),
        ("Prepare the quarterly report", "Prepare the quartely report"),  # typo
        ("I'll send the deck by Friday", "Send the deck"),
    ],
)
def test_similar(a: str, b: str) -> None:
    assert is_similar(a, b)
    assert is_similar(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Email the minutes to the team", "Email the slides to the team"),
        ("Fix the login bug", "Fix the login page layout"),
        ("Book the venue for the offsite", "Book flights for the offsite"),
        ("Call the vendor about pricing", "Call the vendor about the contract"),
        ("Look into whether video recorder functions are possible", "Look into that"),
    ],
)
def test_not_similar(a: str, b: str) -> None:
    assert not is_similar(a, b)


def test_same_task_twice_is_merged() -> None:
    items = [
        ActionItem(
            task="Send the slides",
            assignee=None,
            priority="normal",
            context="Can you send the slides?",
            sources=_src(12, "Can you send the slides?"),
        ),
        ActionItem(
            task="Send the slides to everyone by email",
            assignee="Alice",
            due_date=dt.date(2026, 3, 13),
            due_text="by Friday",
            priority="high",
            context="Alice: I'll send the slides to everyone by email by Friday, it's urgent.",
            sources=_src(14, "I'll send the slides to everyone by email by Friday"),
        ),
        ActionItem(  # the overlap of the next chunk saw the same sentence again
            task="Send slides by email",
            assignee="Alice",
            due_date=dt.date(2026, 3, 20),
            due_text="next Friday",
            sources=_src(14, "I'll send the slides to everyone by email by Friday"),
        ),
    ]
    merged = dedupe_action_items(items)
    assert len(merged) == 1
    item = merged[0]
    assert item.task == "Send the slides to everyone by email"
    assert item.assignee == "Alice"
    assert item.due_date == dt.date(2026, 3, 13)  # the earliest-said one with a date
    assert item.due_text == "by Friday"
    assert item.priority == "high"
    assert item.context is not None and item.context.startswith("Alice: I'll send")
    assert [s.segment for s in item.sources] == [12, 14]


def test_earliest_said_wins_even_when_given_late() -> None:
    items = [
        ActionItem(task="Review the budget", assignee="Bob", sources=_src(30, "review the budget")),
        ActionItem(task="Review the budget", assignee="Bob Smith", sources=_src(5, "the budget")),
    ]
    merged = dedupe_action_items(items)
    assert len(merged) == 1
    assert merged[0].assignee == "Bob Smith"


def test_different_tasks_by_the_same_person_stay_separate() -> None:
    items = [
        ActionItem(task="Email the minutes to the team", assignee="Alice"),
        ActionItem(task="Email the slides to the team", assignee="Alice"),
        ActionItem(task="Book the venue for the offsite", assignee="Alice"),
        ActionItem(task="Book flights for the offsite", assignee="Alice"),
    ]
    assert dedupe_action_items(items) == items


def test_same_task_for_different_people_stays_separate() -> None:
    items = [
        ActionItem(task="Review the pull request", assignee="Alice"),
        ActionItem(task="Review the pull request", assignee="Bob"),
        ActionItem(task="Review the pull request"),  # unknown owner joins the first
    ]
    merged = dedupe_action_items(items)
    assert [m.assignee for m in merged] == ["Alice", "Bob"]


def test_decisions_merge_alternatives_and_deciders() -> None:
    items = [
        Decision(
            decision="We'll use PostgreSQL",
            alternatives=["MongoDB"],
            decided_by=["Alice"],
            sources=_src(3, "we'll use PostgreSQL"),
        ),
        Decision(
            decision="We decided to use PostgreSQL for the ledger",
            rationale="because we need transactions",
            alternatives=["mongodb", "SQLite"],
            decided_by=["Bob", "Alice"],
            sources=_src(9, "We decided to use PostgreSQL"),
        ),
        Decision(decision="Ship on Monday", decided_by=["Carol"]),
    ]
    merged = dedupe_decisions(items)
    assert len(merged) == 2
    d = merged[0]
    assert d.decision == "We decided to use PostgreSQL for the ledger"
    assert d.rationale == "because we need transactions"
    assert d.alternatives == ["MongoDB", "SQLite"]
    assert d.decided_by == ["Alice", "Bob"]
    assert [s.segment for s in d.sources] == [3, 9]
    assert merged[1].decision == "Ship on Monday"


def test_key_points_and_texts() -> None:
    kps = [
        KeyPoint(text="The remote should be sold for 25 euro", sources=_src(1, "25 euro")),
        KeyPoint(text="The remote will be sold for 25 euros", sources=_src(7, "25 euros")),
        KeyPoint(text="Production costs must stay under 12.50 euro"),
    ]
    merged = dedupe_key_points(kps)
    assert len(merged) == 2
    assert [s.segment for s in merged[0].sources] == [1, 7]
    assert dedupe_texts(["Budget is tight", "the budget is tight.", "Hire a designer"]) == [
        "Budget is tight",
        "Hire a designer",
    ]


def test_empty_inputs() -> None:
    assert dedupe_action_items([]) == []
    assert dedupe_decisions([]) == []
    assert dedupe_texts([]) == []
    # stop-word-only texts are only the same when identical
    assert dedupe_texts(["Do it.", "do it", "Do that"]) == ["Do it.", "Do that"]
