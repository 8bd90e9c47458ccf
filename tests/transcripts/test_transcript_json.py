"""JSON transcripts: the plain list, our object form, and service exports."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from minutes.errors import TranscriptError
from minutes.transcripts import Transcript, load_transcript, parse_transcript

DATA = Path(__file__).parents[1] / "data" / "transcripts"


def _parse(data: object, name: str = "t.json") -> Transcript:
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
    with pytest.raises(TranscriptError, match=r"got a string$"):
        parse_transcript('"hello"', format="json")


def test_item_without_text_names_item_and_keys() -> None:
    with pytest.raises(TranscriptError, match=r"t\.json\[1\]: no text: .* keys: speaker, words"):
        _parse([{"text": "ok"}, {"speaker": "A", "words": []}])


def test_item_that_is_not_an_object() -> None:
    with pytest.raises(TranscriptError, match=r"segments\[0\]: expected an object"):
        _parse({"segments": ["hello"]})


def test_text_of_wrong_type() -> None:
    with pytest.raises(TranscriptError, match=r"'text' should be a string, got a number$"):
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


# --- pathological JSON: one TranscriptError in the user's terms ----------------------------

EXPECTED = "expected a list of {speaker, start, end, text} objects, or an object with a list"


@pytest.mark.parametrize("name", ["deep.json", "deep"])  # by extension, and sniffed
def test_deeply_nested_json_is_one_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(TranscriptError) as info:
        load_transcript(path)
    assert str(info.value).startswith(f"{name}: the JSON is nested too deeply to read; {EXPECTED}")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("bignum.json", '[{"speaker": "Ann", "start": ' + "1" * 5000 + ', "text": "hi"}]'),
        ("bare.json", "1" * 5000),
        ("sniffed", "[" + "9" * 5000 + "]"),
        ("negative.json", '{"segments": [], "id": -' + "7" * 5000 + "}"),
    ],
)
def test_a_5000_digit_number_is_one_error(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TranscriptError) as info:
        load_transcript(path)
    message = str(info.value)
    assert message.startswith(f"{name}: the JSON holds a number of 5,000 digits, too long to read")
    assert EXPECTED in message


def test_long_but_readable_numbers_are_fine_where_unused() -> None:
    t = _parse({"id": 10**60, "segments": [{"speaker": "Ann", "start": 1, "text": "hi"}]})
    assert [(s.speaker, s.start) for s in t.segments] == [("Ann", 1.0)]


def test_a_number_too_large_for_a_time_says_so() -> None:
    with pytest.raises(TranscriptError) as info:
        _parse([{"text": "hi", "start": 10**400}])
    assert str(info.value) == "t.json[0]: cannot read 'start': a number too large to be a time"


@pytest.mark.parametrize("start", ["1e999", float("inf"), float("nan")])
def test_infinite_times_are_refused(start: object) -> None:
    with pytest.raises(TranscriptError, match=r"t\.json\[0\]: cannot read 'start': .* finite time"):
        _parse([{"text": "hi", "start": start}])


@pytest.mark.parametrize(
    ("doc", "kind"),
    [("null", "null"), ("true", "true"), ("3.5", "a number"), ('"x"', "a string")],
)
def test_top_level_scalars_are_named_in_json_terms(doc: str, kind: str) -> None:
    with pytest.raises(TranscriptError) as info:
        parse_transcript(doc, name="x.json")
    message = str(info.value)
    assert message.startswith(f"x.json: unrecognised JSON transcript: {EXPECTED}")
    assert message.endswith(f"; got {kind}")
    assert "NoneType" not in message


@pytest.mark.parametrize(
    ("item", "kind"), [(None, "null"), ([1, 2], "an array"), (False, "false"), (7, "a number")]
)
def test_segment_of_the_wrong_kind_says_what_was_expected(item: object, kind: str) -> None:
    with pytest.raises(TranscriptError) as info:
        _parse({"segments": [item]})
    assert str(info.value) == (
        "t.json: segments[0]: expected an object with 'text' (and 'speaker', 'start', 'end'), "
        f"got {kind}"
    )


def test_speaker_that_is_an_object_is_ignored_not_stringified() -> None:
    t = _parse([{"speaker": {"id": 1}, "text": "hi"}, {"speaker": 2.5, "text": "yo"}])
    assert [(s.speaker, s.text) for s in t.segments] == [(None, "hi"), ("2.5", "yo")]


@pytest.mark.parametrize(
    ("alternative", "message"),
    [
        (
            "words",
            "channels[0].alternatives[0] should be an object with 'transcript', got a string",
        ),
        ({"paragraphs": [1]}, "the Deepgram alternative has no 'transcript'"),
        (
            {"paragraphs": {"paragraphs": [{"sentences": 5}]}},
            "paragraphs[0]: expected an object with a 'sentences' array",
        ),
        (
            {"paragraphs": {"paragraphs": ["p"]}},
            "paragraphs[0]: expected an object with a 'sentences' array",
        ),
    ],
)
def test_odd_deepgram_shapes_are_one_error(alternative: object, message: str) -> None:
    doc = {"results": {"channels": [{"alternatives": [alternative]}]}}
    with pytest.raises(TranscriptError, match=re.escape(message)):
        _parse(doc)


def test_deepgram_sentences_without_text_strings_are_skipped() -> None:
    paragraph = {"speaker": 0, "sentences": [{"text": "Hi."}, {"text": 5}, "x", {"text": "Yo."}]}
    doc = {
        "results": {"channels": [{"alternatives": [{"paragraphs": {"paragraphs": [paragraph]}}]}]}
    }
    assert [(s.speaker, s.text) for s in _parse(doc).segments] == [("Speaker 0", "Hi. Yo.")]


def test_overlong_timezone_in_the_file_is_ignored() -> None:
    # zoneinfo raises OSError ("file name too long") for such a name, not ValueError
    t = _parse({"timezone": "A" * 300, "segments": [{"text": "hi"}]})
    assert t.timezone is None


def test_odd_keys_are_quoted_and_many_keys_cut_short() -> None:
    with pytest.raises(TranscriptError) as info:
        _parse({"\n": 1, "": 2, "ok": 3}, name="odd.json")
    assert str(info.value).endswith("found keys: '', '\\n', ok")
    with pytest.raises(TranscriptError) as info:
        _parse({f"k{i:04}": i for i in range(5000)}, name="wide.json")
    assert str(info.value).endswith(
        "found keys: k0000, k0001, k0002, k0003, k0004, k0005, "
        "k0006, k0007, k0008, k0009, k0010, k0011 and 4,988 more"
    )


def test_a_long_time_string_is_cut_short_in_the_message() -> None:
    with pytest.raises(TranscriptError) as info:
        _parse([{"text": "hi", "start": "x" * 100_000}])
    assert str(info.value) == f"t.json[0]: cannot read 'start': '{'x' * 36}... is not a time"
