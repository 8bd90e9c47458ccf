"""What a pronoun in a short task points to, from the sentences said before it."""

from __future__ import annotations

import pytest

from minutes.extractive.pronouns import resolve, resolve_demonstrative
from minutes.extractive.sentences import Sentence


def _said(*turns: tuple[str, str]) -> list[Sentence]:
    return [
        Sentence(position=i, segment=i, segment_position=i, speaker=who, start=None, text=text)
        for i, (who, text) in enumerate(turns)
    ]


@pytest.mark.parametrize(
    ("task", "before", "expected"),
    [
        # "do it" is the work planned just before
        (
            "Do it",
            [("Lukas", "I was planning to upgrade staging Redis this week anyway.")],
            "Upgrade staging Redis",
        ),
        (
            "Schedule that",
            [("Maya", "So we decided we'll create the index concurrently.")],
            "Create the index concurrently",
        ),
        # any other verb takes the thing: the object of a task verb…
        (
            "Send it to Zoe",
            [("Omar", "I can write the landing page copy."), ("Omar", "It's short.")],
            "Send the landing page copy to Zoe",
        ),
        # …a sentence that is nothing but a phrase…
        (
            "Set that up with her",
            [("Maya", "A thirty minute session every two weeks.")],
            "Set up a thirty minute session every two weeks with her",
        ),
        # …or the subject; "them" wants a plural or a group
        (
            "Confirm with them",
            [("Zoe", "The logistics customer from the beta said they'd join.")],
            "Confirm with the logistics customer from the beta",
        ),
        (
            "Chase them",
            [("Omar", "The third, the agency in Lyon, said yes on a call.")],
            "Chase the agency in Lyon",
        ),
        # a phrase inside a longer one is not taken alone
        (
            "Quarantine it",
            [("Priya", "Before we go, the flaky test in the payments suite failed on main.")],
            "Quarantine the flaky test in the payments suite",
        ),
    ],
)
def test_resolved(task: str, before: list[tuple[str, str]], expected: str) -> None:
    assert resolve(task, _said(*before, ("Maya", "Hm.")), "Maya") == expected


@pytest.mark.parametrize(
    ("task", "before"),
    [
        ("Send it to Bob", [("Ann", "That took the whole week.")]),  # a time is no thing
        ("Send it to Bob", [("Ann", "It was a two.")]),  # nor is a number
        ("Chase them", [("Ann", "We still need the signed contract.")]),  # one thing, no group
        # the sentence refers to the thing by a pronoun itself: it is named further back
        ("Change it", [("Lukas", "I want to raise it and add a fifteen minute condition.")]),
        # too far back: two turns ago
        (
            "Send it to Bob",
            [
                ("Cleo", "The report is ready."),
                ("Dan", "I think so too, honestly."),
                ("Eve", "Sure, makes sense to me."),
            ],
        ),
        ("Send the report", [("Ann", "The report is ready.")]),  # no pronoun to resolve
    ],
)
def test_not_resolved(task: str, before: list[tuple[str, str]]) -> None:
    assert resolve(task, _said(*before), "Ann") is None


def test_demonstrative_takes_the_longer_phrase_with_the_same_head() -> None:
    before = _said(("Ahmed", "Our last critical ticket took nine hours to get an answer."))
    assert resolve_demonstrative("Look into that ticket", before, "Julia") == (
        "Look into our last critical ticket"
    )
    # a different head, or no longer phrase: nothing
    assert resolve_demonstrative("Look into that invoice", before, "Julia") is None
    short = _said(("Ahmed", "The ticket took nine hours."))
    assert resolve_demonstrative("Look into that ticket", short, "Julia") is None


def test_look_into_that_after_a_question_is_the_question() -> None:
    before = _said(
        ("Cleo", "Should we stick to having television buttons only?"),
        ("Dan", "Mm."),  # a backchannel is no turn between them
        ("Ann", "It's a good question."),
    )
    assert resolve("Look into that", before, "Ann") == (
        "Look into: Should we stick to having television buttons only?"
    )
    # a verb that does not investigate takes no question
    assert resolve("Send it", before, "Ann") is None


def test_a_phrase_earlier_in_the_same_sentence() -> None:
    said_before = "I haven't got an agenda yet, um"
    assert resolve("Put that together", [], "Ann", said_before) == "Put an agenda together"
