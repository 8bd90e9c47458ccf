"""WebVTT transcripts, read with webvtt-py.

- Speakers come from voice spans (``<v Alice>`` or ``<v.loud Alice>``, several per cue allowed)
  or, without them, from ``Alice:`` at the start of a cue line; a cue without either continues
  the previous speaker (see :mod:`minutes.transcripts.captions`).
- Other cue tags (``<b>``, ``<c.x>``, ``<00:00:01.000>``, ``<lang>``) are stripped and HTML
  entities (``&amp;``) decoded.
- Title, date and timezone may be given in a ``NOTE`` block before the first cue, one
  ``Key: value`` per line (``NOTE Title: Stand-up`` works too).
- A missing ``WEBVTT`` header is tolerated when the file has cue timings. A cue whose timing
  line is not ``[hh:]mm:ss.mmm --> [hh:]mm:ss.mmm`` (webvtt-py would silently drop it), or ends
  before it starts, is skipped with a warning that names its line, and the other cues are kept;
  a file in which no cue is readable is an error. Text outside any cue is an error that names
  the line.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

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


@dataclass(slots=True)
class _Block:
    """Lines between empty lines, as the WebVTT spec cuts a file (a line of spaces is no cut)."""

    first_line: int  # the file's own 1-based line number, for messages
    lines: list[str]


def _blocks(lines: list[str]) -> list[_Block]:
    blocks: list[_Block] = []
    start = 0
    for number, line in enumerate([*lines, ""], start=1):
        if line:
            continue
        if number - 1 > start:
            blocks.append(_Block(start + 1, lines[start : number - 1]))
        start = number
    return blocks


def _timing_problem(line: str) -> str | None:
    """What is wrong with a cue timing line, ``None`` when it is a valid one."""
    match = _TIMING_LINE.fullmatch(line)
    shown = line.strip()[:80]  # cue settings may follow the times, at any length
    if not match:
        return f"invalid cue timing {shown!r}; expected 'hh:mm:ss.mmm --> hh:mm:ss.mmm'"
    try:
        start, end = (Timestamp.from_string(match.group(i)) for i in (1, 2))
    except MalformedCaptionError:
        return f"invalid timestamp in {shown!r} (minutes and seconds go to 59)"
    if end < start:
        return f"cue ends before it starts: {shown!r}"
    return None


def _block_problem(block: _Block) -> str | None:
    """``"line N: why"`` for the first bad timing line of a block, ``None`` when all are good."""
    for number, line in enumerate(block.lines, start=block.first_line):
        if "-->" in line and (problem := _timing_problem(line)) is not None:
            return f"line {number}: {problem}"
    return None


@dataclass(slots=True)
class _Checked:
    """The blocks to hand to webvtt-py, and a warning for each malformed cue left out."""

    blocks: list[_Block] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    first_problem: str | None = None
    cues: int = 0


def _check_blocks(lines: list[str], name: str, has_header: bool) -> _Checked:
    """Keep the good cues and NOTE/STYLE/REGION blocks; skip, with a warning, each cue whose
    timing line is malformed; fail on text outside any cue.

    webvtt-py drops a cue with a bad timing and text outside cues silently, which would lose
    speech without a word. One bad cue among good ones costs only that cue (a warning names its
    line); a file whose every cue is bad is an error, as is a bad timing in the header block,
    which cannot be left out.
    """
    checked = _Checked()
    for i, block in enumerate(_blocks(lines)):
        problem = _block_problem(block)
        if i == 0 and has_header:  # the WEBVTT header (webvtt-py reads a cue glued to it)
            if problem is not None:
                raise TranscriptError(f"{name}: {problem}")
            checked.blocks.append(block)
        elif any("-->" in line for line in block.lines):
            if problem is None:
                checked.blocks.append(block)
                checked.cues += 1
                continue
            checked.first_problem = checked.first_problem or problem
            checked.warnings.append(f"{name}: {problem}: that cue was skipped")
        elif block.lines[0].startswith(("NOTE", "STYLE", "REGION")):
            checked.blocks.append(block)
        else:
            raise TranscriptError(
                f"{name}: line {block.first_line}: text outside a cue (no 'start --> end' "
                f"timing line): {block.lines[0].strip()[:80]!r}"
            )
    if checked.cues == 0 and checked.first_problem is not None:
        raise TranscriptError(f"{name}: {checked.first_problem} (and no cue is readable)")
    return checked


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
        found = header_field(line)
        if found is not None:
            apply_field(header, *found)
    return header


def parse_vtt(content: str, name: str = "transcript") -> ParsedTranscript:
    """Parse WebVTT captions into raw segments (see the module docstring)."""
    lines = content.lstrip("\ufeff").splitlines()
    body = lines[next((i for i, line in enumerate(lines) if line.strip()), len(lines)) :]
    has_header = bool(body) and body[0].startswith("WEBVTT")
    if not has_header and not any("-->" in line for line in lines):
        raise TranscriptError(f"{name}: not a WebVTT file: no 'WEBVTT' header and no cue timings")
    # Checked on the lines as given, so the line numbers in messages are the file's.
    checked = _check_blocks(lines, name, has_header)
    body = [line for block in checked.blocks for line in ("", *block.lines)][1:]
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
        warnings=checked.warnings,
    )
