"""Normalisation: whitespace, empty segments, turn merging and its cap, numbering."""

from __future__ import annotations

import pytest

from minutes.tokens import count_tokens
from minutes.transcripts.normalise import (
    MAX_TURN_TOKENS,
    MIN_LETTER_SHARE,
    letter_share,
    merge_turns,
    normalise,
)
from minutes.transcripts.parsed import ParsedTranscript, RawSegment


def _normalise(*segments: RawSegment) -> list[tuple[str | None, str, float | None, float | None]]:
    t = normalise(ParsedTranscript(list(segments)), source_format="json", source_name=None)
    assert [s.index for s in t.segments] == list(range(len(t.segments)))
    return [(s.speaker, s.text, s.start, s.end) for s in t.segments]


def test_whitespace_collapsed_and_empty_segments_dropped() -> None:
    assert _normalise(
        RawSegment(" Ann\t", "  hello \n\n  world\u200b ", 0, 1),
        RawSegment("Bob", " \n\t ", 1, 2),
        RawSegment("  ", "nobody", 2, 3),
    ) == [("Ann", "hello world", 0, 1), (None, "nobody", 2, 3)]


def test_same_speaker_merged_start_of_first_latest_end() -> None:
    assert _normalise(
        RawSegment("Ann", "one", 1.0, 2.0),
        RawSegment("Ann", "two", 2.0, 5.0),
        RawSegment("Ann", "three", 3.0, 4.0),  # overlapping speech ends earlier
        RawSegment("Bob", "four", 5.0, 6.0),
        RawSegment("Ann", "five", 6.0, 7.0),
    ) == [("Ann", "one two three", 1.0, 5.0), ("Bob", "four", 5.0, 6.0), ("Ann", "five", 6.0, 7.0)]


def test_merge_across_a_dropped_empty_segment() -> None:
    assert _normalise(
        RawSegment("Ann", "one", None, None),
        RawSegment("Bob", "   ", None, None),
        RawSegment("Ann", "two", 3.0, 4.0),
    ) == [("Ann", "one two", 3.0, 4.0)]


def test_segments_without_speaker_are_not_merged() -> None:
    assert _normalise(RawSegment(None, "a"), RawSegment(None, "b")) == [
        (None, "a", None, None),
        (None, "b", None, None),
    ]


def test_merge_cap_keeps_turns_splittable() -> None:
    sentence = "We talked about the roadmap for the next quarter in some detail."
    pieces = [RawSegment("Ann", sentence, float(i), float(i + 1)) for i in range(200)]
    turns = merge_turns(pieces)
    assert len(turns) > 1
    assert all(t.speaker == "Ann" for t in turns)
    assert all(count_tokens(t.text) <= MAX_TURN_TOKENS for t in turns)
    assert " ".join(t.text for t in turns) == " ".join([sentence] * 200)
    assert turns[0].start == 0.0 and turns[-1].end == 200.0


def test_participants_in_order_of_first_appearance() -> None:
    t = normalise(
        ParsedTranscript(
            [
                RawSegment("Bob", "a"),
                RawSegment(None, "b"),
                RawSegment("Ann", "c"),
                RawSegment("Bob", "d"),
            ]
        ),
        source_format="text",
        source_name="x.txt",
    )
    assert t.participants == ["Bob", "Ann"]
    assert t.model_dump()["participants"] == ["Bob", "Ann"]


# --- the letters warning ----------------------------------------------------------------------


def _warnings(*texts: str) -> list[str]:
    segments = [RawSegment("Ann", text) for text in texts]
    return normalise(ParsedTranscript(segments), source_format="text", source_name="m.txt").warnings


def test_mostly_non_letters_warns_once_with_the_share() -> None:
    warnings = _warnings("1234 5678 9012", "3456 7890 !!!! ???? 1234 ok")
    assert len(warnings) == 1
    assert warnings[0].startswith("m.txt is mostly not letters (only 6% of its characters are)")


@pytest.mark.parametrize(
    "text",
    [
        "Okay so we ship the release on Friday, agreed? Yes, let's do it.",
        "田中さん、明日の会議は十時からです。よろしくお願いします。",
        "नमस्ते, आप कैसे हैं? मैं ठीक हूँ, धन्यवाद। कल मिलते हैं।",  # vowel signs are marks
        "Мы выпускаем релиз в пятницу, договорились.",
        "We moved it from the 11th to the 18th and the budget from 12k to 15.5k, fine.",
    ],
)
def test_ordinary_speech_in_any_script_does_not_warn(text: str) -> None:
    assert _warnings(text) == []


def test_short_transcripts_are_not_judged() -> None:
    assert letter_share(["42", "7 8 9"]) is None
    assert _warnings("42") == []


def test_the_threshold_is_half() -> None:
    assert MIN_LETTER_SHARE == 0.5
    assert letter_share(["abcde 12345", "abcde 12345"]) == 0.5
    assert _warnings("abcde 12345 abcde 12345") == []
    assert _warnings("abcd 123456 abcd 123456") != []


def test_a_long_transcript_is_judged_on_a_sample() -> None:
    # numbers after the first stretch of a long meeting still show in the spread-out windows
    speech = "we ship the release on friday " * 20_000
    assert letter_share([speech]) == 1.0
    share = letter_share([speech[:300_000], "0123456789 " * 60_000])
    assert share is not None and share < 0.5


def test_parser_warnings_are_kept() -> None:
    parsed = ParsedTranscript([RawSegment("Ann", "hello there")], warnings=["x.vtt: line 4: bad"])
    t = normalise(parsed, source_format="vtt", source_name="x.vtt")
    assert t.warnings == ["x.vtt: line 4: bad"]


def test_control_characters_and_ansi_are_dropped_from_text() -> None:
    assert _normalise(RawSegment("Ann", "a\x00b \x1b[1mbold\x1b[0m\x07 c\x1fd", 0, 1)) == [
        ("Ann", "ab bold c d", 0, 1)
    ]
