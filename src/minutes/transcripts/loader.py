"""The entry points: :func:`load_transcript` for files, :func:`parse_transcript` for text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from minutes.errors import TranscriptError
from minutes.transcripts.decoding import decode_transcript, strip_ansi
from minutes.transcripts.detect import detect_format, normalise_format
from minutes.transcripts.json_formats import parse_json
from minutes.transcripts.metadata import check_timezone
from minutes.transcripts.models import Transcript
from minutes.transcripts.normalise import normalise
from minutes.transcripts.parsed import ParsedTranscript
from minutes.transcripts.reading import read_transcript_bytes
from minutes.transcripts.srt import parse_srt
from minutes.transcripts.text import parse_text
from minutes.transcripts.vtt import parse_vtt

DEFAULT_MAX_BYTES = 50 * 1024 * 1024

_PARSERS: dict[str, Callable[[str, str], ParsedTranscript]] = {
    "text": lambda content, _name: parse_text(content),
    "vtt": parse_vtt,
    "srt": parse_srt,
    "json": parse_json,
}


def parse_transcript(
    content: str,
    *,
    format: str | None = None,
    name: str | None = None,
    title: str | None = None,
    date: dt.date | None = None,
    timezone: str | None = None,
) -> Transcript:
    """Parse transcript text into a normalised :class:`Transcript`.

    ``format`` (one of :data:`FORMATS`, or an alias such as ``"webvtt"``) forces the parser;
    otherwise ``name``'s extension decides, else the content is sniffed. ``name`` also becomes
    ``source_name`` and, prettified, the fallback title. ``title``/``date``/``timezone`` override
    what the content states. ANSI escape sequences (terminal colours) are removed. Raises
    :class:`~minutes.errors.TranscriptError` for anything that cannot be read as a transcript.
    """
    label = name or "transcript"
    if "\x00" in content:
        raise TranscriptError(f"{label} looks like binary data, not a text transcript")
    content = strip_ansi(content.lstrip("\ufeff"))
    if not content.strip():
        raise TranscriptError(f"{label} is empty")
    timezone = check_timezone(timezone)
    source_format = detect_format(content, name, format)
    parsed = _PARSERS[source_format](content, label)
    return normalise(
        parsed,
        source_format=source_format,
        source_name=name,
        title=title,
        date=date,
        timezone=timezone,
    )


def load_transcript(
    path: str | Path,
    *,
    format: str | None = None,
    title: str | None = None,
    date: dt.date | None = None,
    timezone: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Transcript:
    """Read, decode, parse and normalise a transcript file.

    The size is checked against ``max_bytes`` before anything is read. The text encoding is
    decided as :mod:`~minutes.transcripts.decoding` says (a byte order mark, else UTF-8 unless
    the file is plainly UTF-16/32, else chardet's guess); what decoding repaired is in the
    transcript's ``warnings``. See :func:`parse_transcript` for ``format``, ``title``, ``date``
    and ``timezone``.
    """
    if format is not None:
        format = normalise_format(format)  # a typo should fail before a large read
    check_timezone(timezone)
    file = Path(path)
    data = read_transcript_bytes(file, max_bytes)
    return transcript_from_bytes(
        data, name=file.name, format=format, title=title, date=date, timezone=timezone
    )


def transcript_from_bytes(
    data: bytes,
    *,
    name: str,
    format: str | None = None,
    title: str | None = None,
    date: dt.date | None = None,
    timezone: str | None = None,
) -> Transcript:
    """Decode and parse a transcript's bytes (a file's, or an upload's) as ``load_transcript``
    does; ``name`` is the file name the format and title may come from."""
    if format is not None:
        format = normalise_format(format)
    check_timezone(timezone)
    decoded = decode_transcript(data, name)
    transcript = parse_transcript(
        decoded.text, format=format, name=name, title=title, date=date, timezone=timezone
    )
    if not decoded.warnings:
        return transcript
    return transcript.model_copy(update={"warnings": [*decoded.warnings, *transcript.warnings]})
