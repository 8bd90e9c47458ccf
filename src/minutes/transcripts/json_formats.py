"""JSON transcripts: a plain list of segments, and the exports of a few transcription services.

Shapes read (times in seconds unless said otherwise):

1. A list of segment objects ``[{"speaker", "start", "end", "text"}, ...]``, as the AMI files in
   ``data/ami-dev``. Tolerated key spellings: speaker ``speaker``/``speaker_name``/``name``/
   ``speaker_label``; text ``text``/``content``/``transcript``; start ``start``/``start_time``/
   ``timestamp``; end ``end``/``end_time``. Times may be numbers or clock strings ("00:01:02.5").
2. An object holding such a list under ``segments``, ``utterances`` or ``transcript``, with
   optional metadata: title (``title``/``meeting_title``/``topic``), date (``date``/
   ``meeting_date``/``created_at``, ISO), ``timezone``. This covers:
   - our own form ``{"title", "date", "timezone", "segments": [...]}``;
   - OpenAI Whisper ``verbose_json`` (``segments`` with ``start``/``end``/``text``, no speaker)
     and WhisperX output (the same with ``speaker`` such as ``SPEAKER_00``);
   - AssemblyAI transcripts with speaker labels: ``utterances`` with ``speaker`` "A", "B", ...
     (read as "Speaker A") and ``start``/``end`` in **milliseconds**, recognised by the
     transcript object's ``audio_url``/``audio_duration``/``status`` keys;
   - ``transcript`` as a string: read as a plain-text transcript.
3. Deepgram pre-recorded responses ``{"metadata", "results"}``: ``results.utterances``
   (``speaker`` as an integer, read as "Speaker 0", text in ``transcript``) when requested with
   ``utterances=true``, else the first channel's first alternative: its ``paragraphs`` (with
   speakers when diarized), else its whole ``transcript`` as one segment.

Anything else is an error that lists the shapes expected, in JSON's words ("got a string",
not "got a str"). So is JSON that only a reader without limits would take: nesting deeper than
Python's recursion limit, or an integer longer than Python's int() reads (4,300 digits by
default); both are refused as one error rather than a RecursionError or ValueError.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from minutes.errors import TranscriptError
from minutes.transcripts.metadata import is_timezone, parse_date
from minutes.transcripts.parsed import ParsedTranscript, RawSegment
from minutes.transcripts.text import parse_text
from minutes.transcripts.timecodes import parse_seconds

logger = logging.getLogger(__name__)

_SPEAKER_KEYS = ("speaker", "speaker_name", "name", "speaker_label")
_TEXT_KEYS = ("text", "content", "transcript")
_START_KEYS = ("start", "start_time", "timestamp")
_END_KEYS = ("end", "end_time")
_LIST_KEYS = ("segments", "utterances", "transcript")
_TITLE_KEYS = ("title", "meeting_title", "topic")
_DATE_KEYS = ("date", "meeting_date", "created_at")
_ASSEMBLYAI_KEYS = ("audio_url", "audio_duration", "status")

# Keys are the file's text: a key with a newline, or 10,000 of them, must not break the line.
_MAX_KEYS_SHOWN = 12
_MAX_KEY_CHARS = 40

EXPECTED_SHAPES = (
    "a list of {speaker, start, end, text} objects, or an object with a list under "
    "'segments', 'utterances' or 'transcript' (Whisper, WhisperX, AssemblyAI), "
    "or a Deepgram response with 'results'"
)


class _NumberTooLong(Exception):
    """Raised from inside ``json.loads`` when an integer has more digits than int() reads."""

    def __init__(self, digits: int) -> None:
        super().__init__(digits)
        self.digits = digits


def _int(digits: str) -> int:
    try:
        return int(digits)
    except ValueError:  # int()'s guard against quadratic conversion of huge numbers
        raise _NumberTooLong(len(digits.lstrip("-"))) from None


def _kind(value: object) -> str:
    """What a parsed JSON value is, in JSON's words: "an object", "a string", "null"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def load_json(content: str, name: str) -> Any:
    """``json.loads`` whose every failure is one :class:`TranscriptError` naming the problem."""
    try:
        return json.loads(content, parse_int=_int)
    except json.JSONDecodeError as exc:
        raise TranscriptError(
            f"{name}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise TranscriptError(
            f"{name}: the JSON is nested too deeply to read; expected {EXPECTED_SHAPES}"
        ) from None
    except _NumberTooLong as exc:
        raise TranscriptError(
            f"{name}: the JSON holds a number of {exc.digits:,} digits, too long to read; "
            f"expected {EXPECTED_SHAPES}, with times in seconds"
        ) from None


def _key_list(item: Mapping[str, Any]) -> str:
    """An object's keys for a one-line message: sorted, odd ones quoted, a long list cut."""
    keys = sorted(map(str, item))
    shown = [
        key if key.isprintable() and 0 < len(key) <= _MAX_KEY_CHARS else repr(key[:_MAX_KEY_CHARS])
        for key in keys[:_MAX_KEYS_SHOWN]
    ]
    if not shown:
        return "none"
    more = len(keys) - len(shown)
    return ", ".join(shown) + (f" and {more:,} more" if more else "")


def _first(item: Mapping[str, Any], keys: tuple[str, ...]) -> tuple[str, Any] | None:
    for key in keys:
        if key in item and item[key] is not None:
            return key, item[key]
    return None


def _speaker(value: object) -> str | None:
    """A readable speaker name: integers and single letters (diarization ids) get a prefix."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return f"Speaker {value}"
    if not isinstance(value, str | float):
        return None  # an object or array is no name; the text still counts
    name = " ".join(str(value).split())
    if len(name) == 1 and name.isalpha():
        return f"Speaker {name}"
    return name or None


def _time(item: Mapping[str, Any], keys: tuple[str, ...], where: str, unit: float) -> float | None:
    found = _first(item, keys)
    if found is None:
        return None
    key, value = found
    try:
        return parse_seconds(value) / unit
    except ValueError as exc:
        raise TranscriptError(f"{where}: cannot read {key!r}: {exc}") from None


def _segment(item: object, where: str, unit: float = 1.0) -> RawSegment:
    """One segment from an item; ``unit`` is how many of the file's time units make a second."""
    if not isinstance(item, Mapping):
        raise TranscriptError(
            f"{where}: expected an object with 'text' (and 'speaker', 'start', 'end'), "
            f"got {_kind(item)}"
        )
    found = _first(item, _TEXT_KEYS)
    if found is None:
        raise TranscriptError(
            f"{where}: no text: expected a 'text' key (or 'content'/'transcript'); "
            f"keys: {_key_list(item)}"
        )
    key, text = found
    if not isinstance(text, str):
        raise TranscriptError(f"{where}: {key!r} should be a string, got {_kind(text)}")
    speaker_found = _first(item, _SPEAKER_KEYS)
    start = _time(item, _START_KEYS, where, unit)
    end = _time(item, _END_KEYS, where, unit)
    if start is not None and end is not None and end < start:
        raise TranscriptError(f"{where}: ends ({end:g}s) before it starts ({start:g}s)")
    return RawSegment(
        speaker=_speaker(speaker_found[1]) if speaker_found else None,
        text=text,
        start=start,
        end=end,
    )


def _segments(items: list[Any], path: str, unit: float = 1.0) -> list[RawSegment]:
    return [_segment(item, f"{path}[{i}]", unit) for i, item in enumerate(items)]


def _is_assemblyai(data: Mapping[str, Any]) -> bool:
    return "utterances" in data and any(key in data for key in _ASSEMBLYAI_KEYS)


def _from_object(data: Mapping[str, Any], name: str) -> ParsedTranscript:
    if isinstance(data.get("results"), Mapping):
        return _from_deepgram(data["results"], name)
    for key in _LIST_KEYS:
        value = data.get(key)
        if isinstance(value, list):
            unit = 1000.0 if key == "utterances" and _is_assemblyai(data) else 1.0
            return ParsedTranscript(segments=_segments(value, f"{name}: {key}", unit))
        if key == "transcript" and isinstance(value, str):
            return parse_text(value)
    raise TranscriptError(
        f"{name}: unrecognised JSON transcript: expected {EXPECTED_SHAPES}; "
        f"found keys: {_key_list(data)}"
    )


def _from_deepgram(results: Mapping[str, Any], name: str) -> ParsedTranscript:
    where = f"{name}: results"
    utterances = results.get("utterances")
    if isinstance(utterances, list) and utterances:
        return ParsedTranscript(segments=_segments(utterances, f"{where}.utterances"))
    try:
        alternative = results["channels"][0]["alternatives"][0]
    except (KeyError, IndexError, TypeError):
        raise TranscriptError(
            f"{where}: a Deepgram response needs 'utterances' or 'channels[0].alternatives[0]'"
        ) from None
    if not isinstance(alternative, Mapping):
        raise TranscriptError(
            f"{where}: channels[0].alternatives[0] should be an object with 'transcript', "
            f"got {_kind(alternative)}"
        )
    paragraphs = _deepgram_paragraphs(alternative)
    if paragraphs:
        path = f"{where}.channels[0].alternatives[0].paragraphs"
        return ParsedTranscript(segments=[_paragraph(p, f"{path}[{i}]") for i, p in paragraphs])
    transcript = alternative.get("transcript")
    if isinstance(transcript, str):
        return ParsedTranscript(segments=[RawSegment(speaker=None, text=transcript)])
    raise TranscriptError(f"{where}: the Deepgram alternative has no 'transcript'")


def _deepgram_paragraphs(alternative: Mapping[str, Any]) -> list[tuple[int, object]]:
    """The numbered items of ``paragraphs.paragraphs``, empty when there is no such list."""
    holder = alternative.get("paragraphs")
    paragraphs = holder.get("paragraphs") if isinstance(holder, Mapping) else None
    return list(enumerate(paragraphs)) if isinstance(paragraphs, list) else []


def _paragraph(paragraph: object, path: str) -> RawSegment:
    """One Deepgram paragraph: its sentences' text, with the paragraph's speaker and times."""
    sentences = paragraph.get("sentences") if isinstance(paragraph, Mapping) else None
    if not isinstance(paragraph, Mapping) or not isinstance(sentences, list):
        raise TranscriptError(f"{path}: expected an object with a 'sentences' array")
    text = " ".join(
        s["text"] for s in sentences if isinstance(s, Mapping) and isinstance(s.get("text"), str)
    )
    return _segment({**paragraph, "text": text}, path)


def _metadata(data: Mapping[str, Any], parsed: ParsedTranscript) -> None:
    title = _first(data, _TITLE_KEYS)
    if title and isinstance(title[1], str) and title[1].strip():
        parsed.title = title[1].strip()
    date = _first(data, _DATE_KEYS)
    if date:
        parsed.date = parse_date(date[1]) or parsed.date
    zone = data.get("timezone")
    if isinstance(zone, str) and is_timezone(zone):
        parsed.timezone = zone
    elif zone is not None:
        logger.warning("ignoring unknown timezone %r stated in the transcript", zone)


def parse_json(content: str, name: str = "transcript") -> ParsedTranscript:
    """Parse a JSON transcript in one of the shapes of the module docstring."""
    data = load_json(content, name)
    if isinstance(data, list):
        return ParsedTranscript(segments=_segments(data, name))
    if isinstance(data, Mapping):
        parsed = _from_object(data, name)
        _metadata(data, parsed)
        return parsed
    raise TranscriptError(
        f"{name}: unrecognised JSON transcript: expected {EXPECTED_SHAPES}; got {_kind(data)}"
    )
