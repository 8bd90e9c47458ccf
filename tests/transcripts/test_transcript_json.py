"""JSON transcripts: the plain list, our object form, and service exports."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from minutes.errors import TranscriptError
from minutes.transcripts import load_transcript, parse_transcript

DATA = Path(__file__).parents[1] / "data" / "transcripts"


def _parse(data: object, name: str = "t.json") -> object:
    return parse_transcript(json.dumps(data), name=name)


def test_plain_list_with_tolerated_keys() -> None:
    items = [
        {"speaker": "Alice", "start": 0, "end": 1.5, "text": "Hello."},
        {"speaker_name": "Bob", "start_time": "00:00:02.000", "end_time": "3.5", "content": "Hi."},
        {"name": "Carol", "timestamp": "0:04", "text": "  Morning \n all. "},
        {"speaker": None, "text": "Unattributed."},
    ]
    t = _parse(items)
    assert t.source_format == "json"
    assert [(s.speaker, s.start, s.end, s.text) for s in t.segments] == [
        ("Alice", 0.0, 1.5, "Hello."),
        ("Bob", 2.0, 3.5, "Hi."),
        ("Carol", 4.0, None, "Morning all."),
        (None, None, None, "Unattributed."),
    ]
    assert t.title == "T"


def test_object_form_with_metadata() -> None:
    doc = {
        "title": "Retro",
        "date": "2025-03-07T09:30:00Z",
        "timezone": "America/New_York",
        "segments": [{"speaker": "Ann", "start": 1, "end": 2, "text": "We agreed."}],
    }
    t = _parse(doc)
    assert (t.title, t.date, t.timezone) == ("Retro", dt.date(2025, 3, 7), "America/New_York")


def test_created_at_is_a_date_source_and_arguments_win() -> None:
    doc = {"created_at": "2024-12-01", "utterances": [{"speaker": "Ann", "text": "Hi."}]}
    assert _parse(doc).date == dt.date(2024, 12, 1)
    t = parse_transcript(json.dumps(doc), format="json", date=dt.date(2025, 1, 2), title="X")
    assert (t.date, t.title) == (dt.date(2025, 1, 2), "X")


def test_transcript_string_is_read_as_text() -> None:
    t = _parse({"title": "Call", "transcript": "Alice: one\nBob: two"})
    assert [(s.speaker, s.text) for s in t.segments] == [("Alice", "one"), ("Bob", "two")]
    assert t.title == "Call"


def test_whisper_verbose_json() -> None:
    t = load_transcript(DATA / "whisper_verbose.json")
    assert [(s.speaker, s.start, s.end, s.text) for s in t.segments] == [
        (None, 0.0, 4.2, "Hello there."),
        (None, 4.2, 9.5, "We shipped it."),
    ]


def test_whisperx_speakers() -> None:
    doc = {"segments": [{"start": 0.1, "end": 1.0, "text": " Hi", "speaker": "SPEAKER_00"}]}
    assert _parse(doc).segments[0].speaker == "SPEAKER_00"


def test_assemblyai_utterances_in_milliseconds() -> None:
    t = load_transcript(DATA / "assemblyai.json")
    assert [(s.speaker, s.start, s.end, s.text) for s in t.segments] == [
        ("Speaker A", 0.0, 1.38, "Hi, I'm Joy."),
        ("Speaker B", 1.5, 3.1, "Hi, I'm Sharon."),
        ("Speaker A", 3.3, 5.0, "Nice to meet you."),
    ]


def test_utterances_without_assemblyai_keys_are_seconds() -> None:
    doc = {"utterances": [{"text": "Hello world.", "start": 0.0, "end": 0.9, "speaker": "s0"}]}
    assert _parse(doc).segments[0].end == 0.9


def test_deepgram_utterances() -> None:
    t = load_transcript(DATA / "deepgram_utterances.json")
    assert [(s.speaker, s.start, s.end, s.text) for s in t.segments] == [
        ("Speaker 0", 0.42, 5.43, "four score and seven years ago"),
        ("Speaker 1", 5.6, 6.2, "yes"),
    ]


def test_deepgram_paragraphs() -> None:
    t = load_transcript(DATA / "deepgram_paragraphs.json")
    assert [(s.speaker, s.start, s.end, s.text) for s in t.segments] == [
        ("Speaker 0", 0.1, 1.9, "Hello. How are you?"),
        ("Speaker 1", 2.4, 3.3, "Fine thanks."),
    ]


def test_deepgram_plain_transcript() -> None:
    doc = {"results": {"channels": [{"alternatives": [{"transcript": "just words"}]}]}}
    t = _parse(doc)
    assert [(s.speaker, s.text) for s in t.segments] == [(None, "just words")]


def test_unknown_shape_lists_expected_and_found_keys() -> None:
    with pytest.raises(TranscriptError) as info:
        _parse({"foo": 1, "bar": []}, name="odd.json")
    message = str(info.value)
    assert message.startswith("odd.json: unrecognised JSON transcript")
    assert "'segments', 'utterances' or 'transcript'" in message
    assert "found keys: bar, foo" in message


def test_scalar_json_is_an_unknown_shape() -> None:
    with pytest.raises(TranscriptError, match="got a str"):
        parse_transcript('"hello"', format="json")


def test_item_without_text_names_item_and_keys() -> None:
    with pytest.raises(TranscriptError, match=r"t\.json\[1\]: no text: .* keys: speaker, words"):
        _parse([{"text": "ok"}, {"speaker": "A", "words": []}])


def test_item_that_is_not_an_object() -> None:
    with pytest.raises(TranscriptError, match=r"segments\[0\]: expected an object"):
        _parse({"segments": ["hello"]})


def test_text_of_wrong_type() -> None:
    with pytest.raises(TranscriptError, match="'text' should be a string, got int"):
        _parse([{"text": 5}])


@pytest.mark.parametrize(
    ("start", "reason"),
    [("soon", "'soon' is not a time"), (-1, "-1 is negative"), (True, "True is not a time")],
)
def test_bad_times_name_the_item(start: object, reason: str) -> None:
    with pytest.raises(TranscriptError) as info:
        _parse([{"text": "a"}, {"text": "b", "start": start}])
    assert str(info.value) == f"t.json[1]: cannot read 'start': {reason}"


def test_end_before_start() -> None:
    with pytest.raises(TranscriptError, match=r"t\.json\[0\]: ends \(1s\) before it starts \(2s\)"):
        _parse([{"text": "a", "start": 2, "end": 1}])


def test_invalid_json_says_where() -> None:
    with pytest.raises(TranscriptError, match=r"x\.json: invalid JSON at line 2 column 1"):
        parse_transcript('[{"text": "a"},\n]', name="x.json")


def test_empty_list_has_no_text() -> None:
    with pytest.raises(TranscriptError, match=r"no text found in x\.json"):
        parse_transcript("[]", name="x.json")
