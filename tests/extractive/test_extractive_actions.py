"""Action items: the right ones with the right fields, and none from distractors."""

from __future__ import annotations

import datetime as dt

import pytest
from extractive_fixtures import MakeTranscript

from minutes.extractive import classify_action_priority, extract_action_items
from minutes.transcripts.models import Transcript


def test_planning_meeting_items(planning: Transcript) -> None:
    items = extract_action_items(planning)
    got = [(a.task, a.assignee, a.due_date, a.priority) for a in items]
    assert got == [
        ("Fix the staging deploy script", "Marcus Webb", dt.date(2026, 3, 13), "high"),
        (
            "Send the migration runbook to the on-call team",
            "Lena Fischer",
            dt.date(2026, 3, 12),
            "normal",
        ),
        # "Tom" is no participant: kept as spoken; "next week" = Friday of next week
        ("Handle the vendor contract renewal", "Tom", dt.date(2026, 3, 20), "normal"),
        # named at the end of the request; the later "I'll take a look" merges into it
        ("Review the error budget doc", "Priya Natarajan", None, "low"),
        ("Update the on-call rota", "Lena Fischer", dt.date(2026, 3, 31), "normal"),
        ("Finalise the API schema", None, dt.date(2026, 3, 17), "normal"),
        ("Send the incident summary to the leadership list", "Marcus Webb", None, "high"),
    ]
    by_task = {a.task: a for a in items}
    fix = by_task["Fix the staging deploy script"]
    assert fix.due_text == "by Friday"
    assert fix.context == "Marcus, can you fix the staging deploy script by Friday?"
    assert [s.segment for s in fix.sources] == [4]
    review = by_task["Review the error budget doc"]
    assert [s.segment for s in review.sources] == [13, 14]
    # every quote is verbatim text of the segment it cites
    for item in items:
        for src in item.sources:
            assert src.quote in planning.segments[src.segment].text
            assert src.speaker == planning.segments[src.segment].speaker


def test_distractors_are_not_items(planning: Transcript) -> None:
    quoted = {s.quote for a in extract_action_items(planning) for s in a.sources}
    for distractor in (
        "I'll be honest",
        "I will say the new API is much cleaner.",
        "Let me think about the rollout order.",
        "Can you see my screen?",
        "Do we know why the dashboards are slow?",
        "If we have time I'll go through the old tickets.",
        "Yes, I can do that.",
        "What would you do with the archived invoices?",
    ):
        assert not any(distractor in q for q in quoted), distractor


@pytest.mark.parametrize(
    "sentence",
    [
        "I'll be honest with you, it's not great.",
        "I will say that the demo went well.",
        "Let me think about it.",
        "Let me see if I can share my screen.",
        "Can you hear me now?",
        "How can you say that?",
        "I think I'll give it a five.",
        "I'll show you the next slide.",
        "You have to press the button twice.",  # generic "you"
        "We need to think about the colours.",  # discussion, no deadline
        "I'm gonna talk a little bit about the project.",
        "Let's go for lunch.",
        "I won't send it.",
        "If I'll have time I will look into it.",
        "They think, ah, I'll buy a new one.",
        # a vocative that opens no imperative
        "Ann, I want the tagging done this quarter.",
        "Ann, hiring first.",
        "Ann, is that something we can do this week?",
        "So, Ann, in your email you mentioned that dispatch is manual today.",
        "Agreed, that's learnable in a few weeks.",  # "Agreed" is nobody's name
        "Never have to change a battery again.",  # nor is "Never"
        # a bare imperative needs a deadline or a name; a noun that looks like a verb is none
        "Check the numbers again.",
        "Test isolation goes into sprint fifteen by Friday.",
        # "you'll" with nobody named is generic
        "You'll find the link on the desktop.",
        # asked for only if something happens; a purpose; a verb without an object
        "Please tell me directly if the timeout fix doesn't work tomorrow.",
        "Let's save this so I can e-mail it to you.",
        "I'll confirm once I know which modules you need.",
        "I should have left the broker section out.",
        "I can find my remote without looking for it.",
        # narration of what was done
        "Yesterday I sent the deck to Bob.",
        "I was going to send the deck but I didn't.",
        # the meeting itself
        "Olivia was on call, so I'll ask her to walk us through the timeline first.",
        "Let me open the file.",
    ],
)
def test_no_false_positives(make_transcript: MakeTranscript, sentence: str) -> None:
    t = make_transcript(("Ann Lee", "Hi all."), ("Bob Ray", sentence), ("Ann Lee", "Okay."))
    assert extract_action_items(t, dt.date(2026, 3, 11)) == []


SHAPES = [
    ("I can take the customer follow-up.", "Take the customer follow-up", "Ann Lee"),
    ("Let me check with legal on the contract.", "Check with legal on the contract", "Ann Lee"),
    ("Bob, please update the changelog.", "Update the changelog", "Bob Ray"),
    ("Bob, draft the announcement.", "Draft the announcement", "Bob Ray"),
    ("Dave will handle the vendor call.", "Handle the vendor call", "Dave"),
    ("Bob is going to set up the test cluster.", "Set up the test cluster", "Bob Ray"),
    ("TODO: migrate the cron jobs", "Migrate the cron jobs", None),
    ("Action item for Bob: renew the TLS certificate.", "Renew the TLS certificate", "Bob Ray"),
    ("I'm going to be sending the invoices out.", "Send the invoices out", "Ann Lee"),
    ("Kate and Dave will be producing a model.", "Produce a model", "Kate and Dave"),
    ("Bob, go ahead and raise the timeout today.", "Raise the timeout", "Bob Ray"),
    ("And Bob, you'll build the monthly report.", "Build the monthly report", "Bob Ray"),
    ("I'll have the demo script ready by Friday.", "Have the demo script ready", "Ann Lee"),
    (
        "I'll let Priya know which reviews are pending.",
        "Let Priya know which reviews are pending",
        "Ann Lee",
    ),
    (
        "Bob, please open a ticket for the translations.",
        "Open a ticket for the translations",
        "Bob Ray",
    ),
    (
        "I can raise the timeout for your account tonight.",
        "Raise the timeout for your account",
        "Ann Lee",
    ),
    (
        "I'll put both dates in the release calendar.",
        "Put both dates in the release calendar",
        "Ann Lee",
    ),
    (
        "I'll run a training session for the sales team.",
        "Run a training session for the sales team",
        "Ann Lee",
    ),
    (
        "I'll get the announcement reviewed by marketing.",
        "Get the announcement reviewed by marketing",
        "Ann Lee",
    ),
    # a bare imperative with a deadline goes to the one it answers
    ("Sure, send Paul your list by the end of the month.", "Send Paul your list", "Bob Ray"),
]


@pytest.mark.parametrize(("sentence", "task", "assignee"), SHAPES)
def test_shapes(
    make_transcript: MakeTranscript, sentence: str, task: str, assignee: str | None
) -> None:
    t = make_transcript(("Bob Ray", "Let's start."), ("Ann Lee", sentence))
    items = extract_action_items(t)
    assert [(a.task, a.assignee) for a in items] == [(task, assignee)]


def test_let_me_ask_followed_by_the_question_is_no_task(make_transcript: MakeTranscript) -> None:
    t = make_transcript(("Greg", "Let me ask about cost. How is this priced?"), ("Jo", "Sure."))
    assert extract_action_items(t) == []
    t = make_transcript(("Greg", "Let me ask the legal team about it."), ("Jo", "Great."))
    assert [a.task for a in extract_action_items(t)] == ["Ask the legal team about it"]


def test_request_goes_to_who_says_yes(make_transcript: MakeTranscript) -> None:
    t = make_transcript(
        ("Ann", "Can you e-mail your slides as well?"),
        ("Ann", "Is that possible?"),
        ("Cleo", "Yes, I think I can."),
        ("Bob", "Cool."),
        ("Cleo", "I'll just attach it to an email."),
    )
    items = extract_action_items(t)
    assert len(items) == 1
    assert items[0].task == "E-mail your slides"  # as spoken, hyphen and all
    assert items[0].assignee == "Cleo"
    assert [s.segment for s in items[0].sources] == [0, 4]


def test_request_in_a_two_person_meeting_goes_to_the_other(
    make_transcript: MakeTranscript,
) -> None:
    t = make_transcript(("Ann", "Could you book the room for Thursday?"), ("Bob", "Hmm."))
    (item,) = extract_action_items(t, dt.date(2026, 3, 11))
    assert (item.assignee, item.due_date) == ("Bob", dt.date(2026, 3, 12))


def test_self_introduced_names_map_to_speaker_labels(make_transcript: MakeTranscript) -> None:
    t = make_transcript(
        ("Industrial Designer", "My name is Alima Bucciantini."),
        ("Project Manager", "Um the industrial design, Alima will be doing the working design."),
        ("Project Manager", "The Marketing Expert is going to research user requirements."),
    )
    items = extract_action_items(t)
    assert [(a.task, a.assignee) for a in items] == [
        ("Do the working design", "Industrial Designer"),
        ("Research user requirements", "Marketing Expert"),
    ]


def test_first_names_are_case_sensitive(make_transcript: MakeTranscript) -> None:
    # A participant called Will must not turn every "will" into an assignment to him.
    t = make_transcript(("Will Smith", "Hello."), ("Ann Lee", "The build will fix itself."))
    assert extract_action_items(t) == []


def test_no_speakers_and_no_date(make_transcript: MakeTranscript) -> None:
    t = make_transcript((None, "I'll send the report by Friday."))
    (item,) = extract_action_items(t)
    assert item.assignee is None
    assert item.due_text == "by Friday"
    assert item.due_date is None  # no meeting date to resolve against


def test_repeated_commitment_is_one_item(make_transcript: MakeTranscript) -> None:
    t = make_transcript(
        ("Ann", "I'll send the slides to everyone."),
        ("Bob", "Great."),
        ("Ann", "So yes, I will send everyone the slides by Friday."),
    )
    (item,) = extract_action_items(t, dt.date(2026, 3, 11))
    assert item.due_date == dt.date(2026, 3, 13)
    # the dated mention is the one kept, whole: its task and its quote lead
    assert item.task == "Send everyone the slides"
    assert [s.segment for s in item.sources] == [2, 0]


@pytest.mark.parametrize(
    ("text", "due", "expected"),
    [
        ("This is urgent, please fix the login.", None, "high"),
        ("It's a blocker for the release.", None, "high"),
        ("Send it by end of day.", dt.date(2026, 3, 11), "high"),
        ("Send it by Friday.", dt.date(2026, 3, 13), "normal"),
        ("Review it when you get a chance.", None, "low"),
        ("A dark mode would be nice to have eventually.", None, "low"),
    ],
)
def test_action_priority(text: str, due: dt.date | None, expected: str) -> None:
    assert classify_action_priority(text, due, dt.date(2026, 3, 11)) == expected
