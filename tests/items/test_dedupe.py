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
    says_the_same,
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
    # the kept item's own quote leads (it says the task and the date shown), then the rest
    assert [s.segment for s in item.sources] == [14, 12]


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
    assert [s.segment for s in d.sources] == [9, 3]
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


# --- near misses: alike in shape, different items --------------------------------------

MON = dt.date(2026, 3, 9)  # a Monday


def _item(
    task: str,
    segment: int,
    *,
    assignee: str | None = None,
    due: dt.date | None = None,
    due_text: str | None = None,
    quote: str | None = None,
) -> ActionItem:
    return ActionItem(
        task=task,
        assignee=assignee,
        due_date=due,
        due_text=due_text,
        context=quote or task,
        sources=_src(segment, quote or task),
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Review the pricing PR", "Review the billing PR"),
        ("Update the iOS release notes", "Update the Android release notes"),
        ("Fix the login bug", "Fix the signup bug"),
        ("Fix bug 17", "Fix bug 18"),
        ("Migrate the v2 API", "Migrate the v3 API"),
        ("Email the minutes to the team", "Email the slides to the team"),
        ("Review the pricing PR", "Merge the pricing PR"),  # same object, other task
        ("Send the deck", "Send the contract"),
    ],
)
def test_different_objects_are_not_the_same(a: str, b: str) -> None:
    assert not says_the_same(a, b)
    assert not says_the_same(b, a)
    items = [_item(a, 1, assignee="Bob"), _item(b, 2, assignee="Bob")]
    assert dedupe_action_items(items) == items


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("I'll send the deck to Bob by Friday", "I'll send the deck to Bob by Friday"),
        ("Send the deck to Bob", "Send Bob the deck"),  # rephrased, same object
        ("Email the slides to everyone", "Send everyone the slides by email"),
        ("Update the roadmap", "Update the roadmap with Q3 dates"),
        ("Send the slide", "Send the slides"),
        ("Prepare the quarterly report", "Prepare the quartely report"),  # typo
    ],
)
def test_true_duplicates_are_the_same(a: str, b: str) -> None:
    assert says_the_same(a, b)
    assert says_the_same(b, a)


def test_pricing_and_billing_reviews_stay_two_items_each_whole() -> None:
    pricing = _item(
        "Review the pricing PR",
        4,
        assignee="Bob",
        due=MON + dt.timedelta(days=1),
        due_text="by tomorrow",
        quote="Bob, can you review the pricing PR by tomorrow?",
    )
    billing = _item(
        "Review the billing PR",
        9,
        assignee="Bob",
        due=MON + dt.timedelta(days=2),
        due_text="by Wednesday",
        quote="Bob, can you review the billing PR by Wednesday?",
    )
    assert dedupe_action_items([pricing, billing]) == [pricing, billing]


def test_ios_and_android_notes_never_trade_dates_or_quotes() -> None:
    ios = _item(
        "Update the iOS release notes",
        3,
        assignee="Alice",
        due=MON + dt.timedelta(days=1),
        due_text="tomorrow",
        quote="I'll update the iOS release notes tomorrow.",
    )
    android = _item(
        "Update the Android release notes",
        7,
        assignee="Alice",
        due=MON + dt.timedelta(days=3),
        due_text="on Thursday",
        quote="I'll update the Android release notes on Thursday.",
    )
    merged = dedupe_action_items([ios, android])
    assert merged == [ios, android]
    for item in merged:
        platform = "iOS" if "iOS" in item.task else "Android"
        assert all(platform in s.quote for s in item.sources)


_BUGS = """login signup checkout search upload export import billing invoice pricing profile
avatar settings password reset email sms push webhook api cache queue worker cron backup
restore sync offline layout footer header sidebar menu modal tooltip chart table filter sort
pagination scroll zoom print share copy paste undo redo draft publish archive delete rename
move tag label comment mention theme font""".split()  # noqa: SIM905


def test_sixty_numbered_commitments_stay_sixty() -> None:
    assert len(_BUGS) == 60
    by_name = [_item(f"Fix the {w} bug", i, assignee="Alice") for i, w in enumerate(_BUGS)]
    assert dedupe_action_items(by_name) == by_name
    by_number = [_item(f"Fix bug {n}", n, assignee="Alice") for n in range(1, 61)]
    assert dedupe_action_items(by_number) == by_number


def test_a_vague_item_does_not_chain_specific_ones_together() -> None:
    # "Fix the bugs" is inside every "fix the X bug"; it may join one of them, not glue all.
    items = [_item("Fix the bugs", 0, assignee="Alice")]
    items += [_item(f"Fix the {w} bug", i + 1, assignee="Alice") for i, w in enumerate(_BUGS)]
    merged = dedupe_action_items(items)
    assert len(merged) == 60
    assert sorted(m.task for m in merged) == sorted(f"Fix the {w} bug" for w in _BUGS)


def test_the_same_task_with_two_deadlines_is_two_items() -> None:
    items = [
        _item("Send the status report", 2, due=MON, due_text="today"),
        _item("Send the status report", 30, due=MON + dt.timedelta(days=4), due_text="Friday"),
    ]
    assert dedupe_action_items(items) == items


def test_a_deadline_said_in_the_task_does_not_make_it_another_task() -> None:
    items = [
        _item("Review the pricing PR by tomorrow", 2, due=MON, due_text="by tomorrow"),
        _item("Review the pricing PR", 5, assignee="Bob"),
    ]
    merged = dedupe_action_items(items)
    assert len(merged) == 1
    assert merged[0].task == "Review the pricing PR by tomorrow"
    assert merged[0].assignee == "Bob"


def test_the_merged_item_is_one_member_whole() -> None:
    # The old merge took the longest text and the earliest date: "…to everyone by email"
    # with the date and quote of the short one. Now the dated member is kept whole.
    short = _item(
        "Send the slides", 3, due=MON + dt.timedelta(days=4), due_text="by Friday",
        quote="I'll send the slides by Friday.",
    )  # fmt: skip
    long = _item("Send the slides to everyone by email", 8, quote="…to everyone by email")
    merged = dedupe_action_items([long, short])
    assert len(merged) == 1
    item = merged[0]
    assert (item.task, item.due_date, item.due_text, item.context) == (
        short.task,
        short.due_date,
        short.due_text,
        short.context,
    )
    assert item.sources[0] == short.sources[0]
    assert [s.segment for s in item.sources] == [3, 8]


def test_a_decision_repeated_by_500_speakers_is_not_credited_to_500() -> None:
    first = Decision(
        decision="We decided to use PostgreSQL for the ledger",
        decided_by=["Speaker 0", "Speaker 1"],  # said, and agreed to at once
        sources=_src(0, "We decided to use PostgreSQL for the ledger"),
    )
    repeats = [
        Decision(
            decision="We decided to use PostgreSQL for the ledger",
            decided_by=[f"Speaker {i}"],
            sources=_src(i, "We decided to use PostgreSQL for the ledger"),
        )
        for i in range(2, 500)
    ]
    merged = dedupe_decisions([first, *repeats])
    assert len(merged) == 1
    assert merged[0].decided_by == ["Speaker 0", "Speaker 1"]
    assert merged[0].sources[0].segment == 0
    assert len(merged[0].sources) == 499  # every mention is still cited


def test_decisions_about_different_things_stay_apart() -> None:
    items = [
        Decision(decision="We'll use the kinetic battery in the remote", decided_by=["A"]),
        Decision(decision="We'll use the solar battery in the remote", decided_by=["B"]),
        Decision(decision="Let's go with the rubber case", decided_by=["C"]),
        Decision(decision="Let's go with the plastic case", decided_by=["D"]),
        Decision(decision="We'll use Redis for the cache", decided_by=["E"]),
        Decision(decision="We decided not to use Redis for the cache", decided_by=["F"]),
    ]
    assert dedupe_decisions(items) == items


def test_a_decision_restated_with_a_decision_word_is_one() -> None:
    items = [
        Decision(decision="We'll use PostgreSQL for the ledger", decided_by=["Alice"]),
        Decision(decision="So we've agreed: PostgreSQL for the ledger", decided_by=["Bob"]),
    ]
    merged = dedupe_decisions(items)
    assert len(merged) == 1


def test_comparisons_grow_with_the_items_not_their_square(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every "fix bug N" shares two words with all the others: comparing each with each
    # (what made a long meeting take minutes) would be two million comparisons.
    import minutes.items.dedupe as dedupe

    calls = 0
    fits = dedupe._fits

    def counting(e: object, g: object) -> bool:
        nonlocal calls
        calls += 1
        return fits(e, g)  # type: ignore[arg-type]

    monkeypatch.setattr(dedupe, "_fits", counting)
    items = [_item(f"Fix bug {n}", n, assignee="Alice") for n in range(2000)]
    items += [_item("Send the deck to Bob", 3000 + k, assignee="Bob") for k in range(500)]
    merged = dedupe_action_items(items)
    assert len(merged) == 2001
    assert len(merged[-1].sources) == 500
    assert calls <= len(items)
