"""Plain-text transcripts: speaker labels, timestamps, continuation lines, headers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from minutes.transcripts import load_transcript, parse_transcript
from minutes.transcripts.speakers import is_speaker_label, split_speaker

DATA = Path(__file__).parents[1] / "data" / "transcripts"


def test_timestamped_text_fixture() -> None:
    t = load_transcript(DATA / "timestamped.txt")
    assert t.source_format == "text"
    assert t.title == "Weekly sync"
    assert t.date == dt.date(2025, 3, 4)
    assert [s.speaker for s in t.segments] == ["Alice", "Bob", "Carol", "Dave", "Erin"]
    assert [s.start for s in t.segments] == [5.0, 20.0, 31.0, 45.0, 3723.0]
    # A stamp is a start; the end is the next stamped segment's start, the last has none.
    assert [s.end for s in t.segments] == [20.0, 31.0, 45.0, 3723.0, None]
    assert t.segments[0].text == "Hello all, let's begin. We have three topics today."
    assert [s.index for s in t.segments] == [0, 1, 2, 3, 4]


def test_stamp_forms() -> None:
    content = "\n".join(
        [
            "[01:05] Ann: bracketed minutes",
            "(00:01:06) Ben: parenthesised",
            "00:01:07 - Cy: bare with dash",
            "Di 00:01:08: after the label",
            "Ed: [1:09] after the colon",
            "Fay [00:01:10.500]: with milliseconds",
        ]
    )
    t = parse_transcript(content, format="text")
    assert [(s.speaker, s.start, s.text) for s in t.segments] == [
        ("Ann", 65.0, "bracketed minutes"),
        ("Ben", 66.0, "parenthesised"),
        ("Cy", 67.0, "bare with dash"),
        ("Di", 68.0, "after the label"),
        ("Ed", 69.0, "after the colon"),
        ("Fay", 70.5, "with milliseconds"),
    ]


def test_continuation_lines_belong_to_previous_speaker_across_blank_lines() -> None:
    t = parse_transcript("Alice: one\ntwo\n\nthree\nBob: four\n", format="text")
    assert [(s.speaker, s.text) for s in t.segments] == [
        ("Alice", "one two three"),
        ("Bob", "four"),
    ]


def test_consecutive_lines_of_same_speaker_merge_into_one_turn() -> None:
    t = parse_transcript("Alice: one\nAlice: two\nBob: three\nAlice: four\n", format="text")
    assert [(s.speaker, s.text) for s in t.segments] == [
        ("Alice", "one two"),
        ("Bob", "three"),
        ("Alice", "four"),
    ]


def test_otter_style_header_lines() -> None:
    content = "Alice Smith  0:03\nHello there.\n\nBob Jones  0:10\nHi Alice.\nHow are you?\n"
    t = parse_transcript(content, format="text")
    assert [(s.speaker, s.start, s.text) for s in t.segments] == [
        ("Alice Smith", 3.0, "Hello there."),
        ("Bob Jones", 10.0, "Hi Alice. How are you?"),
    ]


def test_markdown_bold_labels_and_heading_title() -> None:
    content = "# Board meeting\n\n**Alice:** We approved it.\n**Bob**: Good.\n"
    t = parse_transcript(content, name="notes.md")
    assert t.title == "Board meeting"
    assert [(s.speaker, s.text) for s in t.segments] == [
        ("Alice", "We approved it."),
        ("Bob", "Good."),
    ]


def test_front_matter_header() -> None:
    content = "---\ntitle: Retro\ndate: 2025-02-03\nlayout: page\n---\nAlice: hi\n"
    t = parse_transcript(content, format="text")
    assert (t.title, t.date) == ("Retro", dt.date(2025, 2, 3))
    assert t.segments[0].speaker == "Alice"


def test_unclosed_fence_is_not_front_matter() -> None:
    t = parse_transcript("---\nAlice: hi\nBob: yo\n", format="text")
    assert [(s.speaker, s.text) for s in t.segments] == [
        (None, "---"),
        ("Alice", "hi"),
        ("Bob", "yo"),
    ]


def test_written_date_in_header() -> None:
    t = parse_transcript("Date: 7 January 2025\nAlice: hi\n", format="text")
    assert t.date == dt.date(2025, 1, 7)


@pytest.mark.parametrize("written", ["sometime soon", "next week", "March"])
def test_unreadable_or_relative_date_in_header_is_ignored(written: str) -> None:
    t = parse_transcript(f"Date: {written}\nAlice: hi\n", format="text")
    assert t.date is None
    assert [(s.speaker, s.text) for s in t.segments] == [("Alice", "hi")]


def test_prose_is_not_mistaken_for_labels_or_stamps() -> None:
    content = (
        "Alice: The plan.\nNote: the deadline moved.\n12:30 works for me.\nhttps://example.com\n"
    )
    t = parse_transcript(content, format="text")
    assert len(t.segments) == 1
    assert t.segments[0].text == (
        "The plan. Note: the deadline moved. 12:30 works for me. https://example.com"
    )
    assert t.segments[0].start is None


def test_no_speakers_gives_paragraph_segments() -> None:
    t = load_transcript(DATA / "no_speakers.txt")
    assert [s.speaker for s in t.segments] == [None, None, None]
    assert t.segments[0].text == "This is the first paragraph of notes that runs over two lines."
    assert t.participants == []


def test_single_paragraph_without_speakers_gives_one_segment_per_line() -> None:
    t = parse_transcript("first line\nsecond line\nthird line\n", format="text")
    assert [s.text for s in t.segments] == ["first line", "second line", "third line"]


def test_stamped_lines_without_speakers() -> None:
    t = parse_transcript("[00:01] hello\n[00:05] world\n00:09\nown line stamp\n", format="text")
    assert [(s.speaker, s.start, s.text) for s in t.segments] == [
        (None, 1.0, "hello"),
        (None, 5.0, "world"),
        (None, 9.0, "own line stamp"),
    ]


def test_speaker_label_rules() -> None:
    assert is_speaker_label("Alice")
    assert is_speaker_label("Dr. Jane O'Neil")
    assert is_speaker_label("Ludwig van Beethoven")
    assert is_speaker_label("Speaker 1")
    assert is_speaker_label("Marketing expert")
    assert is_speaker_label("Alice (PM)")
    assert is_speaker_label("SPEAKER_00")
    assert not is_speaker_label("Note")
    assert not is_speaker_label("Action items")
    assert not is_speaker_label("so basically")
    assert not is_speaker_label("What I think we should do")
    assert not is_speaker_label("Well, honestly")
    assert not is_speaker_label("10")
    assert not is_speaker_label("Marketing expert", strict=True)
    assert split_speaker("- Bob: yes") == ("Bob", "yes")
    assert split_speaker(">> Bob: yes") == ("Bob", "yes")
    assert split_speaker("Bob:") == ("Bob", "")
    assert split_speaker("see https://x.org") == (None, "see https://x.org")
