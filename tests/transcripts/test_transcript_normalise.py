"""Normalisation: whitespace, empty segments, turn merging and its cap, numbering."""

from __future__ import annotations

from minutes.tokens import count_tokens
from minutes.transcripts.normalise import MAX_TURN_TOKENS, merge_turns, normalise
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
