"""WebVTT and SRT: speakers in cues, tags, times, and broken timings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from minutes.errors import TranscriptError
from minutes.transcripts import load_transcript, parse_transcript

DATA = Path(__file__).parents[1] / "data" / "transcripts"


def test_vtt_voices_tags_and_metadata() -> None:
    t = load_transcript(DATA / "voices.vtt")
    assert t.source_format == "vtt"
    assert t.source_name == "voices.vtt"
    assert (t.title, t.date, t.timezone) == ("Design sync", dt.date(2025, 1, 7), "Europe/Berlin")
    assert [(s.speaker, s.text) for s in t.segments] == [
        ("Alice Smith", "Welcome everyone to the sync. Let's start with the & roadmap."),
        ("Bob", "I have the numbers ready."),
        # a cue without a voice continues the last speaker, Carol
        ("Carol", "And I have the slides. continuing without a voice tag"),
        ("Bob", "One more thing."),
    ]
    assert [(s.start, s.end) for s in t.segments] == [
        (1.0, 6.0),
        (6.2, 9.0),
        (6.2, 11.0),
        (62.25, 65.0),
    ]
    assert t.participants == ["Alice Smith", "Bob", "Carol"]


def test_vtt_name_prefixes_without_voice_tags() -> None:
    t = load_transcript(DATA / "prefixes.vtt")
    assert [(s.speaker, s.text, s.start, s.end) for s in t.segments] == [
        ("Dana", "Morning.", 0.5, 2.0),
        ("Eli", "Hi Dana.", 2.0, 4.0),
        ("Dana", "Shall we? Let's go.", 2.0, 6.0),
    ]


def test_vtt_without_header_is_accepted_when_it_has_cues() -> None:
    content = "00:00:01.000 --> 00:00:02.000\n<v Ann>Hello.\n"
    t = parse_transcript(content, format="vtt")
    assert [(s.speaker, s.text) for s in t.segments] == [("Ann", "Hello.")]


def test_vtt_line_numbers_are_the_files_own() -> None:
    # leading blank lines and a missing header must not shift the line named in errors
    headerless = "\n\n00:00:01.000 --> 00:00:02.000\nHello.\n\nstray\n"
    with pytest.raises(TranscriptError, match=r"x\.vtt: line 6: text outside a cue .*: 'stray'$"):
        parse_transcript(headerless, name="x.vtt")
    with_header = "\nWEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello.\n\nstray\n"
    with pytest.raises(TranscriptError, match=r"x\.vtt: line 7: text outside a cue"):
        parse_transcript(with_header, name="x.vtt")
    t = parse_transcript(with_header.replace("stray", "NOTE fine"), name="x.vtt")
    assert [s.text for s in t.segments] == ["Hello."]


def test_vtt_forced_on_prose_says_what_is_missing() -> None:
    with pytest.raises(TranscriptError, match="not a WebVTT file"):
        parse_transcript("Alice: hello\n", format="vtt")


BROKEN_TIMINGS = [
    ("00:00:01 --> 00:00:02.000", "line 4: invalid cue timing"),
    ("00:00:aa.000 --> 00:00:02.000", "line 4: invalid cue timing"),
    ("00:61:01.000 --> 00:62:02.000", "line 4: invalid timestamp"),
    ("00:00:05.000 --> 00:00:02.000", "line 4: cue ends before it starts"),
]


@pytest.mark.parametrize(("timing", "message"), BROKEN_TIMINGS)
def test_vtt_broken_cue_is_skipped_with_a_warning_naming_the_line(
    timing: str, message: str
) -> None:
    content = f"WEBVTT\n\n1\n{timing}\nHello.\n\n00:00:06.000 --> 00:00:07.000\nBye.\n"
    t = parse_transcript(content, format="vtt", name="bad.vtt")
    assert [(s.text, s.start, s.end) for s in t.segments] == [("Bye.", 6.0, 7.0)]
    assert len(t.warnings) == 1
    assert t.warnings[0].startswith(f"bad.vtt: {message}")
    assert t.warnings[0].endswith("that cue was skipped")


@pytest.mark.parametrize(("timing", "message"), BROKEN_TIMINGS)
def test_vtt_with_every_cue_broken_is_an_error_naming_the_line(timing: str, message: str) -> None:
    content = f"WEBVTT\n\n1\n{timing}\nHello.\n\n2\n{timing}\nBye.\n"
    with pytest.raises(TranscriptError, match=message) as info:
        parse_transcript(content, format="vtt", name="bad.vtt")
    assert str(info.value).startswith("bad.vtt: line 4: ")
    assert str(info.value).endswith("(and no cue is readable)")


def test_vtt_broken_cue_keeps_the_cues_around_it_and_their_speakers(tmp_path: Path) -> None:
    path = tmp_path / "standup.vtt"
    path.write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Ann>We ship Friday.\n\n"
        "00:00:0x.000 --> 00:00:03.000\n<v Bob>Lost line.\n\n"
        "00:00:04.000 --> 00:00:05.000\n<v Bob>Agreed.\n",
        encoding="utf-8",
    )
    t = load_transcript(path)
    assert [(s.speaker, s.text) for s in t.segments] == [
        ("Ann", "We ship Friday."),
        ("Bob", "Agreed."),
    ]
    assert t.warnings == [
        "standup.vtt: line 6: invalid cue timing '00:00:0x.000 --> 00:00:03.000'; "
        "expected 'hh:mm:ss.mmm --> hh:mm:ss.mmm': that cue was skipped"
    ]


def test_vtt_timing_without_its_arrow_is_text_outside_a_cue() -> None:
    # "->" is no timing line at all: the block is text outside any cue, which stays an error
    content = (
        "WEBVTT\n\n1\n00:00:01.000 -> 00:00:02.000\nHello.\n\n00:00:06.000 --> 00:00:07.000\nBye.\n"
    )
    with pytest.raises(TranscriptError, match=r"^bad\.vtt: line 3: text outside a cue"):
        parse_transcript(content, format="vtt", name="bad.vtt")


def test_vtt_bad_timing_in_the_header_block_is_an_error() -> None:
    content = "WEBVTT\n00:00:0x.000 --> 00:00:02.000\nHello.\n"
    with pytest.raises(TranscriptError, match=r"^h\.vtt: line 2: invalid cue timing"):
        parse_transcript(content, format="vtt", name="h.vtt")


def test_vtt_with_header_only_has_no_text() -> None:
    with pytest.raises(TranscriptError, match=r"no text found in empty\.vtt \(read as vtt\)"):
        parse_transcript("WEBVTT\n\nNOTE nothing here\n", name="empty.vtt")


def test_srt_prefixes_continuations_and_tags() -> None:
    t = load_transcript(DATA / "dialogue.srt")
    assert t.source_format == "srt"
    assert t.title == "Dialogue"  # SRT has no metadata: the file name
    assert t.date is None
    assert [(s.speaker, s.text, s.start, s.end) for s in t.segments] == [
        ("Alice", "We need to decide on the vendor. It has to be this week.", 1.0, 5.0),
        ("Bob", "I vote for Acme.", 5.5, 7.0),
        ("Carol", "Same here.", 5.5, 7.0),
        ("Alice", "Agreed, let's go with Acme.", 60.0, 62.5),
    ]


@pytest.mark.parametrize(
    ("timing", "message"),
    [
        ("00:00:01,000 --> 00:00:0x,000", "line 6: invalid subtitle timing"),
        ("00:01,000 --> 00:02,000", "line 6: invalid subtitle timing"),
        ("00:00:61,000 --> 00:00:62,000", "line 6: invalid timestamp"),
        ("00:00:09,000 --> 00:00:08,000", "line 6: subtitle ends before it starts"),
    ],
)
def test_srt_broken_timings_name_the_line(timing: str, message: str) -> None:
    content = f"1\n00:00:00,000 --> 00:00:01,000\nAlice: hi\n\n2\n{timing}\nBob: yo\n"
    with pytest.raises(TranscriptError, match=message) as info:
        parse_transcript(content, name="bad.srt")
    assert str(info.value).startswith("bad.srt: line 6")


def test_srt_block_without_timing_names_the_line() -> None:
    content = "1\n00:00:00,000 --> 00:00:01,000\nAlice: hi\n\nstray text\n\n"
    with pytest.raises(TranscriptError, match=r"bad\.srt: line 5: not a subtitle block"):
        parse_transcript(content, name="bad.srt")


def test_srt_forced_on_prose_fails_with_a_line() -> None:
    with pytest.raises(TranscriptError, match="line 1: not a subtitle block"):
        parse_transcript("Alice: hello\nBob: hi\n", format="srt", name="x")
