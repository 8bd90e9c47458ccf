"""WebVTT transcripts, read with webvtt-py.

- Speakers come from voice spans (``<v Alice>`` or ``<v.loud Alice>``, several per cue allowed)
  or, without them, from ``Alice:`` at the start of a cue line; a cue without either continues
  the previous speaker (see :mod:`minutes.transcripts.captions`).
- Other cue tags (``<b>``, ``<c.x>``, ``<00:00:01.000>``, ``<lang>``) are stripped and HTML
  entities (``&amp;``) decoded.
- Title, date and timezone may be given in a ``NOTE`` block before the first cue, one
  ``Key: value`` per line (``NOTE Title: Stand-up`` works too).
- A missing ``WEBVTT`` header is tolerated when the file has cue timings. A cue timing line that
  is not ``[hh:]mm:ss.mmm --> [hh:]mm:ss.mmm`` (webvtt-py would silently drop that cue), or an end
  before its start, is an error that names the line; so is text outside any cue.
"""

from __future__ import annotations

import html
import re

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError
from webvtt.models import Timestamp

from minutes.errors import TranscriptError
from minutes.transcripts.captions import Utterance, cues_to_segments, utterances_from_lines
from minutes.transcripts.metadata import Header, apply_field, header_field
from minutes.transcripts.parsed import ParsedTranscript

_TIMESTAMP = r"(?:\d+:)?\d{1,2}:\d{1,2}\.\d{1,3}"
_TIMING_LINE = re.compile(rf"\s*({_TIMESTAMP})\s*-->\s*({_TIMESTAMP})(?:\s.*)?")
_VOICE_OPEN = re.compile(r"<v(?:\.[^\s>]*)*(?:[ \t]+([^>]*))?>")
_TAG = re.compile(r"<[^>]*>")


def _check_timings(lines: list[str], name: str) -> None:
    """Fail on the first unreadable or reversed cue timing, naming its line."""
    for number, line in enumerate(lines, start=1):
        if "-->" not in line:
            continue
        match = _TIMING_LINE.fullmatch(line)
        where = f"{name}: line {number}"
        if not match:
            raise TranscriptError(
                f"{where}: invalid cue timing {line.strip()!r}; "
                "expected 'hh:mm:ss.mmm --> hh:mm:ss.mmm'"
            )
        try:
            start, end = (Timestamp.from_string(match.group(i)) for i in (1, 2))
        except MalformedCaptionError:
            raise TranscriptError(
                f"{where}: invalid timestamp in {line.strip()!r} (minutes and seconds go to 59)"
            ) from None
        if end < start:
            raise TranscriptError(f"{where}: cue ends before it starts: {line.strip()!r}")


def _check_blocks(lines: list[str], name: str, has_header: bool) -> None:
    """Fail on a block after the header that is neither a cue nor a NOTE/STYLE/REGION block.

    webvtt-py drops such blocks silently, which would lose speech without a word; blocks end at
    empty lines as in the WebVTT spec (a line of spaces does not end one).
    """
    start = 0
    for number, line in enumerate([*lines, ""], start=1):
        if line:
            continue
        block = lines[start : number - 1]
        first_line = start + 1
        start = number
        if not block:
            continue
        if has_header:  # the first block is the WEBVTT header
            has_header = False
            continue
        if any("-->" in b for b in block) or block[0].startswith(("NOTE", "STYLE", "REGION")):
            continue
        raise TranscriptError(
            f"{name}: line {first_line}: text outside a cue (no 'start --> end' timing line): "
            f"{block[0].strip()[:80]!r}"
        )


def _clean(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


def _cue_utterances(raw: str) -> list[Utterance]:
    """Split one cue's raw text on voice spans, then on ``Name:`` prefixes where unvoiced."""
    utterances: list[Utterance] = []
    position = 0
    voice: str | None = None
    for match in _VOICE_OPEN.finditer(raw):
        utterances.extend(_run(raw[position : match.start()], voice))
        voice = " ".join((match.group(1) or "").split()) or None
        position = match.end()
    utterances.extend(_run(raw[position:], voice))
    return utterances


def _run(raw: str, voice: str | None) -> list[Utterance]:
    lines = [_clean(line) for line in raw.splitlines()]
    lines = [line for line in lines if line.strip()]
    return utterances_from_lines(lines, voice) if lines else []


def _read_header(vtt: webvtt.WebVTT) -> Header:
    header = Header()
    notes = [*vtt.metadata, *(line for c in vtt.header_comments for line in c.splitlines())]
    for line in notes:
        field = header_field(line)
        if field is not None:
            apply_field(header, *field)
    return header


def parse_vtt(content: str, name: str = "transcript") -> ParsedTranscript:
    """Parse WebVTT captions into raw segments (see the module docstring)."""
    lines = content.lstrip("\ufeff").splitlines()
    body = lines[next((i for i, line in enumerate(lines) if line.strip()), len(lines)) :]
    has_header = bool(body) and body[0].startswith("WEBVTT")
    if not has_header and not any("-->" in line for line in lines):
        raise TranscriptError(f"{name}: not a WebVTT file: no 'WEBVTT' header and no cue timings")
    # Checked on the lines as given, so the line numbers in errors are the file's.
    _check_timings(lines, name)
    _check_blocks(lines, name, has_header)
    if not has_header:
        body = ["WEBVTT", "", *body]  # a header-less .vtt is common enough to accept
    try:
        vtt = webvtt.from_string("\n".join(body))
    except (MalformedFileError, MalformedCaptionError) as exc:
        raise TranscriptError(f"{name}: cannot read WebVTT: {exc}") from None

    cues = [
        (c.start_time.in_milliseconds() / 1000, c.end_time.in_milliseconds() / 1000, utts)
        for c in vtt.captions
        if (utts := _cue_utterances(c.raw_text))
    ]
    header = _read_header(vtt)
    return ParsedTranscript(
        segments=cues_to_segments(cues),
        title=header.title,
        date=header.date,
        timezone=header.timezone,
    )
