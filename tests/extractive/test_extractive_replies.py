"""Action items across sentences: replies to requests, continuations, pronouns, recaps."""

from __future__ import annotations

import datetime as dt

from extractive_fixtures import MakeTranscript

from minutes.extractive import extract_action_items
from minutes.notes import ActionItem

WED = dt.date(2026, 3, 11)  # a Wednesday


def _items(make_transcript: MakeTranscript, *turns: tuple[str, str]) -> list[ActionItem]:
    return extract_action_items(make_transcript(*turns), WED)


def _got(items: list[ActionItem]) -> list[tuple[str, str | None, dt.date | None]]:
    return [(a.task, a.assignee, a.due_date) for a in items]


# --- two commitments in one sentence --------------------------------------------------


def test_two_commitments_in_one_sentence(make_transcript: MakeTranscript) -> None:
    items = _items(
        make_transcript,
        ("Ann Lee", "Let's split the launch work."),
        (
            "Zoe Wright",
            "I'll do the battlecard and the pricing sheet, and Rachel, could you "
            "write the demo script?",
        ),
        ("Rachel Adams", "Hmm."),
    )
    assert [(a.task, a.assignee) for a in items] == [
        ("Do the battlecard and the pricing sheet", "Zoe Wright"),
        ("Write the demo script", "Rachel Adams"),
    ]


def test_a_question_after_a_commitment_does_not_hide_it(make_transcript: MakeTranscript) -> None:
    items = _items(
        make_transcript,
        ("Tom Okafor", "I'll prepare slides, and can we do the dry run the Wednesday before?"),
        ("Maya Chen", "Deal."),
    )
    assert [a.task for a in items] == ["Prepare slides"]


def test_a_deadline_in_the_next_clause_belongs_to_the_item(
    make_transcript: MakeTranscript,
) -> None:
    items = _items(
        make_transcript,
        ("Maya Chen", "Let me talk to Olivier, and I'll have an answer for you by next Tuesday."),
        ("Lukas Weber", "Thanks."),
    )
    assert _got(items) == [("Talk to Olivier", "Maya Chen", dt.date(2026, 3, 17))]


def test_a_later_sentence_gives_no_deadline_to_an_item(make_transcript: MakeTranscript) -> None:
    items = _items(
        make_transcript,
        ("Maya Chen", "Let me talk to Olivier."),
        ("Maya Chen", "The review is by next Tuesday anyway."),
    )
    assert _got(items) == [("Talk to Olivier", "Maya Chen", None)]


# --- replies to requests ----------------------------------------------------------------


def test_a_vague_yes_with_a_date_dates_the_request(make_transcript: MakeTranscript) -> None:
    items = _items(
        make_transcript,
        ("Sam Taylor", "Olivia, can you add the pool saturation alert?"),
        ("Olivia Nguyen", "Yes, I'll add it tomorrow."),
    )
    assert _got(items) == [("Add the pool saturation alert", "Olivia Nguyen", dt.date(2026, 3, 12))]
    assert [s.segment for s in items[0].sources] == [0, 1]


def test_the_assignees_own_date_for_the_same_work_wins(make_transcript: MakeTranscript) -> None:
    items = _items(
        make_transcript,
        ("Maya Chen", "Lukas, can you upgrade the staging Redis cluster before Friday?"),
        ("Lukas Weber", "Yes."),
        ("Lukas Weber", "I'll upgrade the staging Redis cluster by Thursday evening."),
    )
    assert _got(items) == [
        ("Upgrade the staging Redis cluster", "Lukas Weber", dt.date(2026, 3, 12))
    ]


def test_a_yes_without_task_words_still_dates_the_request(
    make_transcript: MakeTranscript,
) -> None:
    items = _items(
        make_transcript,
        ("Rachel Stone", "Aisha, can you update the invite dialog designs?"),
        ("Aisha Khan", "Yes, I'll have the updated designs in Figma by Friday."),
    )
    assert _got(items) == [("Update the invite dialog designs", "Aisha Khan", dt.date(2026, 3, 13))]


def test_an_unrelated_commitment_later_is_its_own_item(make_transcript: MakeTranscript) -> None:
    items = _items(
        make_transcript,
        ("Ann Lee", "Bob, can you review the budget?"),
        ("Bob Ray", "I'll take a look."),
        ("Ann Lee", "Thanks. Anything else?"),
        ("Bob Ray", "I'll also book the venue for the offsite."),
    )
    assert [(a.task, a.assignee) for a in items] == [
        ("Review the budget", "Bob Ray"),
        ("Book the venue for the offsite", "Bob Ray"),
    ]


def test_who_question_goes_to_whoever_says_i_can(make_transcript: MakeTranscript) -> None:
    items = _items(
        make_transcript,
        ("Sam Taylor", "Who implements the freeze in the deploy tool?"),
        ("Olivia Nguyen", "I can. It's a config change."),
        ("Olivia Nguyen", "I'll have it done by Friday."),
    )
    assert _got(items) == [
        ("Implement the freeze in the deploy tool", "Olivia Nguyen", dt.date(2026, 3, 13))
    ]


def test_who_question_without_a_taker_is_no_item(make_transcript: MakeTranscript) -> None:
    items = _items(
        make_transcript,
        ("Maya Chen", "And who's chasing marketing for the copy?"),
        ("Sofia Alvarez", "I pinged Laura yesterday. No answer yet."),
    )
    assert items == []


def test_a_follow_up_request_dates_the_offer_it_follows(make_transcript: MakeTranscript) -> None:
    items = _items(
        make_transcript,
        ("Rachel Stone", "I also need someone to write the beta announcement."),
        ("Aisha Khan", "I can draft the beta announcement, I know the feature well."),
        ("Rachel Stone", "Thanks. Please send me a draft by next Monday."),
    )
    assert _got(items) == [
        ("Draft the beta announcement", "Aisha Khan", dt.date(2026, 3, 16)),
    ]


# --- continuations and pronouns ---------------------------------------------------------


def test_a_pronoun_commitment_continues_the_one_before(make_transcript: MakeTranscript) -> None:
    items = _items(
        make_transcript,
        ("Laura Kim", "And registration?"),
        (
            "Omar Farouk",
            "I can write the landing page copy. It's short. I'll send it to Zoe by Thursday.",
        ),
    )
    assert _got(items) == [
        ("Write the landing page copy and send it to Zoe", "Omar Farouk", dt.date(2026, 3, 12))
    ]


def test_no_continuation_across_turns(make_transcript: MakeTranscript) -> None:
    items = _items(
        make_transcript,
        ("Omar Farouk", "I can write the landing page copy."),
        ("Laura Kim", "The budget report needs a summary."),
        ("Omar Farouk", "I'll send it by Thursday."),
    )
    assert items[0].task == "Write the landing page copy"
    assert all(" and " not in a.task for a in items)


def test_do_it_is_the_work_said_before(make_transcript: MakeTranscript) -> None:
    items = _items(
        make_transcript,
        ("Lukas Weber", "I was planning to upgrade staging Redis this week anyway."),
        ("Maya Chen", "Can you do it before Thursday? Otherwise the tests slip."),
        ("Lukas Weber", "Yes."),
    )
    assert _got(items) == [("Upgrade staging Redis", "Lukas Weber", dt.date(2026, 3, 12))]


def test_it_is_the_thing_said_before(make_transcript: MakeTranscript) -> None:
    items = _items(
        make_transcript,
        ("Maya Chen", "Let's formalise it. A thirty minute session every two weeks."),
        ("Maya Chen", "Tom, can you set that up with her by the end of next week?"),
    )
    assert [(a.task, a.assignee) for a in items] == [
        ("Set up a thirty minute session every two weeks with her", "Tom")
    ]


def test_them_wants_a_plural_or_a_group(make_transcript: MakeTranscript) -> None:
    items = _items(
        make_transcript,
        ("Omar Farouk", "The third, the agency in Lyon, said yes on a call."),
        ("Laura Kim", "We can't publish without written approval. Omar, chase them today."),
    )
    assert [a.task for a in items] == ["Chase the agency in Lyon"]


def test_an_unresolved_pronoun_keeps_the_request_as_said(
    make_transcript: MakeTranscript,
) -> None:
    items = _items(
        make_transcript,
        ("Laura Kim", "Omar, chase them, and if there's nothing by Friday, we drop that quote."),
        ("Omar Farouk", "Okay."),
    )
    assert [a.task for a in items] == [
        "Chase them, and if there's nothing by Friday, we drop that quote"
    ]


def test_a_pronoun_is_not_resolved_to_a_time_or_a_number(
    make_transcript: MakeTranscript,
) -> None:
    items = _items(
        make_transcript,
        ("Ann Lee", "That took the whole week. It was a two."),
        ("Ann Lee", "I'll send it to Bob by Friday."),
    )
    assert [a.task for a in items] == ["Send it to Bob"]


def test_that_ticket_is_the_ticket_named_before(make_transcript: MakeTranscript) -> None:
    items = _items(
        make_transcript,
        ("Ahmed Saleh", "Our last critical ticket took nine hours to get a first answer."),
        ("Julia Brandt", "I'll look into that ticket by Friday."),
    )
    assert [a.task for a in items] == ["Look into our last critical ticket"]


def test_a_recap_line_merges_into_the_item_it_recaps(make_transcript: MakeTranscript) -> None:
    items = _items(
        make_transcript,
        ("Raj Mehta", "I'll talk to the mobile lead about the release."),
        ("Sam Taylor", "Let me recap. Raj, the mobile team release follow-up today."),
    )
    assert _got(items) == [("Talk to the mobile lead about the release", "Raj Mehta", WED)]
    assert len(items[0].sources) == 2


def test_a_recap_line_without_an_item_is_one(make_transcript: MakeTranscript) -> None:
    items = _items(
        make_transcript,
        ("Chloe Martin", "Hello."),
        ("Sam Taylor", "Chloe, the customer message template by Friday."),
    )
    assert _got(items) == [("The customer message template", "Chloe Martin", dt.date(2026, 3, 13))]


def test_an_unresolved_request_keeps_the_whole_request(make_transcript: MakeTranscript) -> None:
    items = _items(
        make_transcript,
        ("Lukas Weber", "Right."),
        ("Maya Chen", "Lukas, go ahead and change it today."),
    )
    assert [a.task for a in items] == ["Go ahead and change it"]
