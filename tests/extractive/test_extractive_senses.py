"""Words with two senses: the board, the slide, the screen, the deck, the notes of the room
are talk about the meeting itself; the board of directors, a slide deck to send, screening
candidates and notes to circulate are work. The filters must tell them apart."""

from __future__ import annotations

import datetime as dt

import pytest
from extractive_fixtures import MakeTranscript

from minutes.extractive import extract_action_items, extract_decisions

WED = dt.date(2026, 3, 11)


@pytest.mark.parametrize(
    "sentence",
    [
        "Let me write that on the board.",
        "I'll draw it up on the whiteboard.",
        "Can you share your screen?",
        "Let me share my screen.",
        "Next slide please.",
        "Can you go back to the previous slide?",
        "Can you put the notes on the screen?",
        "I'll take notes.",
        "Let me just pull up the deck.",
        "Can you scroll down on the board?",
        "I'll put it on the whiteboard right now.",
    ],
)
def test_talk_about_the_room_is_no_item(make_transcript: MakeTranscript, sentence: str) -> None:
    transcript = make_transcript(("Alice Wong", sentence), ("Bob Ray", "Okay."))
    assert extract_action_items(transcript, WED) == []


@pytest.mark.parametrize(
    ("sentence", "task", "due"),
    [
        ("I'll send the deck to the board by Friday.", "Send the deck to the board", "by Friday"),
        ("Let me send the deck to the board.", "Send the deck to the board", None),
        ("I'll screen the candidates by Monday.", "Screen the candidates", "by Monday"),
        (
            "I'll update the slide deck for the customer.",
            "Update the slide deck for the customer",
            None,
        ),
        ("I'll send the notes to everyone.", "Send the notes to everyone", None),
        ("We need to brief the board by Friday.", "Brief the board", "by Friday"),
        (
            "I'll prepare the deck for the board meeting on Thursday.",
            "Prepare the deck for the board meeting",
            "on Thursday",
        ),
        (
            "Bob, can you share your screen recording with the vendor by Friday?",
            "Share your screen recording with the vendor",
            "by Friday",
        ),
        (
            "I'll write up the notes from the board meeting.",
            "Write up the notes from the board meeting",
            None,
        ),
        (
            "I'll put the screenshots on the board in Jira.",
            "Put the screenshots on the board in Jira",
            None,
        ),
        # a deadline puts words about this slide after the meeting
        (
            "I'll email the notes on this slide to the team by Friday.",
            "Email the notes on this slide to the team",
            "by Friday",
        ),
    ],
)
def test_work_with_those_words_is_an_item(
    make_transcript: MakeTranscript, sentence: str, task: str, due: str | None
) -> None:
    transcript = make_transcript(("Alice Wong", sentence), ("Bob Ray", "Okay."))
    items = extract_action_items(transcript, WED)
    assert [(a.task, a.due_text) for a in items] == [(task, due)]


@pytest.mark.parametrize(
    "sentence",
    [
        "Let's keep the meeting short.",
        "Let's skip the slides.",
        "Let's skip this slide.",
        "Let's not take notes.",
        "Let's keep the notes.",
        "Let's add a slide about pricing.",
    ],
)
def test_a_plan_about_the_meeting_is_no_decision(
    make_transcript: MakeTranscript, sentence: str
) -> None:
    assert extract_decisions(make_transcript(("Alice Wong", sentence), ("Bob Ray", "Okay."))) == []


@pytest.mark.parametrize(
    "sentence",
    [
        "Let's push the board meeting to May.",
        "Let's keep the release notes short.",
        "Let's drop the pricing slide from the customer deck.",
        "Let's not change the release notes.",
        "Let's use the customer presentation from March.",
    ],
)
def test_a_plan_about_those_things_of_the_work_is_a_decision(
    make_transcript: MakeTranscript, sentence: str
) -> None:
    decisions = extract_decisions(make_transcript(("Alice Wong", sentence), ("Bob Ray", "Okay.")))
    assert [d.decision for d in decisions] == [sentence]
