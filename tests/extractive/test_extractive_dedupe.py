"""Through the whole engine: items alike in shape stay apart, true repeats become one, and
every item's task, date and quote belong together."""

from __future__ import annotations

import datetime as dt

from extractive_fixtures import MakeTranscript

from minutes.extractive import summarize_extractive
from minutes.notes import ActionItem

MON = dt.date(2026, 3, 9)  # a Monday: "tomorrow" is Tuesday, "Thursday" the 12th


def _items(make_transcript: MakeTranscript, *turns: tuple[str, str]) -> list[ActionItem]:
    return summarize_extractive(make_transcript(*turns), meeting_date=MON).action_items


def test_two_requests_to_review_two_prs_stay_two(make_transcript: MakeTranscript) -> None:
    items = _items(
        make_transcript,
        ("Alice Wong", "Bob, can you review the pricing PR by tomorrow?"),
        ("Bob Ray", "Sure."),
        ("Alice Wong", "Bob, can you review the billing PR by Wednesday?"),
        ("Bob Ray", "Yes."),
    )
    got = [(a.task, a.assignee, a.due_date, a.sources[0].quote) for a in items]
    assert got == [
        (
            "Review the pricing PR",
            "Bob Ray",
            dt.date(2026, 3, 10),
            "Bob, can you review the pricing PR by tomorrow?",
        ),
        (
            "Review the billing PR",
            "Bob Ray",
            dt.date(2026, 3, 11),
            "Bob, can you review the billing PR by Wednesday?",
        ),
    ]


def test_a_recap_of_another_pr_does_not_date_this_one(make_transcript: MakeTranscript) -> None:
    items = _items(
        make_transcript,
        ("Alice Wong", "Raj, can you review the pricing PR?"),
        ("Raj Mehta", "Sure."),
        ("Alice Wong", "Let me recap. Raj, the billing PR by Friday."),
    )
    got = [(a.task, a.assignee, a.due_date) for a in items]
    assert got == [
        ("Review the pricing PR", "Raj Mehta", None),
        ("The billing PR", "Raj Mehta", dt.date(2026, 3, 13)),
    ]


def test_ios_and_android_notes_keep_their_own_dates_and_quotes(
    make_transcript: MakeTranscript,
) -> None:
    items = _items(
        make_transcript,
        ("Alice Wong", "I'll update the iOS release notes tomorrow."),
        ("Bob Ray", "Great, thanks."),
        ("Alice Wong", "And I'll update the Android release notes on Thursday."),
    )
    assert [(a.task, a.due_date) for a in items] == [
        ("Update the iOS release notes", dt.date(2026, 3, 10)),
        ("Update the Android release notes", dt.date(2026, 3, 12)),
    ]
    for item in items:
        platform = "iOS" if "iOS" in item.task else "Android"
        assert [s.quote for s in item.sources] == [
            next(q for q in (s.quote for s in item.sources) if platform in q)
        ]


_BUGS = """login signup checkout search upload export import billing invoice pricing profile
avatar settings password reset email sms push webhook api cache queue worker cron backup
restore sync offline layout footer header sidebar menu modal tooltip chart table filter sort
pagination scroll zoom print share copy paste undo redo draft publish archive delete rename
move tag label comment mention theme font""".split()  # noqa: SIM905


def test_sixty_numbered_commitments_in_one_turn(make_transcript: MakeTranscript) -> None:
    said = " ".join(f"{i}. I'll fix the {w} bug." for i, w in enumerate(_BUGS, 1))
    items = _items(make_transcript, ("Alice Wong", said), ("Bob Ray", "Thanks."))
    assert [a.task for a in items] == [f"Fix the {w} bug" for w in _BUGS]
    assert all(a.assignee == "Alice Wong" for a in items)


def test_sixty_numbered_bugs_line_by_line(make_transcript: MakeTranscript) -> None:
    turns = [("Alice Wong", f"{n}. I'll fix bug {n} by Friday.") for n in range(1, 61)]
    items = _items(make_transcript, *turns)
    assert [a.task for a in items] == [f"Fix bug {n}" for n in range(1, 61)]
    assert {a.due_date for a in items} == {dt.date(2026, 3, 13)}


def test_the_same_commitment_repeated_is_one_item(make_transcript: MakeTranscript) -> None:
    items = _items(
        make_transcript,
        ("Alice Wong", "I'll send the deck to Bob by Friday."),
        ("Bob Ray", "Thanks."),
        ("Carol Diaz", "What about the budget?"),
        ("Bob Ray", "Later, we have time."),
        ("Alice Wong", "Like I said, I'll send the deck to Bob by Friday."),
    )
    assert [(a.task, a.due_date) for a in items] == [("Send the deck to Bob", dt.date(2026, 3, 13))]
    assert [s.segment for s in items[0].sources] == [0, 4]


def test_a_rephrased_commitment_with_the_same_object_is_one(
    make_transcript: MakeTranscript,
) -> None:
    items = _items(
        make_transcript,
        ("Alice Wong", "I'll send the pricing deck to the customer."),
        ("Bob Ray", "Okay."),
        ("Carol Diaz", "Anything else on the agenda?"),
        ("Bob Ray", "Not really."),
        ("Alice Wong", "So, to be clear, I'll send the customer the pricing deck by Friday."),
    )
    assert len(items) == 1
    item = items[0]
    # the member kept is the dated one, whole: its words, its date, its quote first
    assert (item.task, item.due_date) == ("Send the customer the pricing deck", MON.replace(day=13))
    assert item.sources[0].quote.endswith("the pricing deck by Friday.")
    assert len(item.sources) == 2


def test_a_decision_in_a_500_speaker_meeting(make_transcript: MakeTranscript) -> None:
    turns = [("Person 0", "We decided to use PostgreSQL for the ledger.")]
    turns += [("Person 1", "Agreed."), ("Person 2", "Yes, agreed.")]
    for i in range(3, 500):
        # everyone says hello, and many repeat the decision later
        text = "As we said, we decided to use PostgreSQL for the ledger." if i % 5 == 0 else "Hi."
        turns.append((f"Person {i}", text))
    notes = summarize_extractive(make_transcript(*turns))
    assert len(notes.participants) == 500
    [decision] = [d for d in notes.decisions if "PostgreSQL" in d.decision]
    assert decision.decided_by[:3] == ["Person 0", "Person 1", "Person 2"]
    assert len(decision.decided_by) <= 5
    assert decision.sources[0].segment == 0
