"""Plain-text transcripts: ``Speaker: text`` lines, with or without timestamps.

Accepted line shapes (timestamps are ``hh:mm:ss``, ``mm:ss`` or ``h:mm:ss``, optionally with
``.mmm``, bare or in ``[]``/``()``)::

    Alice: text                      [00:01:05] Alice: text        00:01:05 Alice: text
    Alice [00:01:05]: text           Alice (01:05): text           Alice: [01:05] text
    **Alice:** text   (Markdown)     Alice:            (text on the following lines)
    Alice Smith  01:05               (a header line, text on the following lines, as Otter writes)

- A line without a speaker label continues the current speaker's turn (blank lines between
  do not end it).
- A timestamped line without a speaker starts a new segment with ``speaker=None``; a time alone
  on its line stamps the line after it. A bare time that starts a line of prose ("12:30 works")
  is text, not a timestamp.
- A timestamp is a segment's start; its end is taken as the next timestamped segment's start
  (the last one has no end), so durations stay meaningful.
- Files with no speaker labels at all (best effort): each paragraph (blank-line separated) is a
  segment with ``speaker=None``; a file that is a single paragraph gives one segment per line.
- The top of the file may carry ``Title:``/``Date:``/``Timezone:`` lines (optionally fenced by
  ``---``) and, in Markdown, a ``# Title`` heading; see :mod:`minutes.transcripts.metadata`.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from minutes.transcripts.metadata import read_header
from minutes.transcripts.parsed import ParsedTranscript, RawSegment
from minutes.transcripts.speakers import is_speaker_label, split_speaker
from minutes.transcripts.timecodes import CLOCK_PATTERN, parse_clock

_STAMP = rf"(?:\[\s*{CLOCK_PATTERN}\s*\]|\(\s*{CLOCK_PATTERN}\s*\)|{CLOCK_PATTERN})"
_LEADING_STAMP = re.compile(rf"\s*(?P<stamp>{_STAMP})(?:\s*[-–—|]\s*|\s+|$)(?P<rest>.*)", re.DOTALL)
# "Alice [01:05]: text", "Alice 01:05 - text", or "Alice 01:05" alone (text on the next lines).
_LABEL_THEN_STAMP = re.compile(
    rf"(?P<label>[^:\[\]()\n]{{1,60}}?)\s*(?P<stamp>{_STAMP})"
    rf"(?:\s*:\s*(?P<text>.*)|\s+[-–—]\s+(?P<dashed>.*)|\s*$)",
    re.DOTALL,
)
_MARKDOWN_BOLD_LABEL = re.compile(r"\*\*([^*\n]{1,60}?)(:?)\*\*(:?)")
_MARKDOWN_TITLE = re.compile(r"#\s+(.+)")


@dataclass(slots=True)
class _Turn:
    segment: RawSegment
    lines: list[str] = field(default_factory=list)


def _stamp_seconds(stamp: str) -> float | None:
    return parse_clock(stamp.strip("[]() \t"))


def _parse_line(line: str) -> tuple[float | None, str | None, str]:
    """``(start, speaker, text)`` for one non-blank line; speaker ``None`` when unlabelled.

    A bare leading time ("12:30 works for me") only counts as a timestamp when a speaker label
    follows it or it stands alone; bracketed times always count.
    """
    start: float | None = None
    rest = line.strip()
    leading = _LEADING_STAMP.fullmatch(rest)
    bare = False
    if leading:
        start = _stamp_seconds(leading.group("stamp"))
        bare = not leading.group("stamp").startswith(("[", "("))
        rest = leading.group("rest").strip()
    if rest.startswith("**"):
        bold = _MARKDOWN_BOLD_LABEL.match(rest)
        if bold and (bold.group(2) or bold.group(3)):
            rest = f"{bold.group(1)}:{rest[bold.end() :]}"
    if start is None:
        after = _LABEL_THEN_STAMP.fullmatch(rest)
        if after:
            label = after.group("label")
            has_colon = after.group("text") is not None
            if is_speaker_label(label, strict=not has_colon):
                text = after.group("text") or after.group("dashed") or ""
                return _stamp_seconds(after.group("stamp")), " ".join(label.split()), text.strip()
    speaker, text = split_speaker(rest)
    if speaker is None and bare and rest:
        return None, None, line.strip()  # prose that happens to start with a time
    if speaker is not None and start is None:
        inner = _LEADING_STAMP.fullmatch(text)
        if inner:  # "Alice: [01:05] text"
            start = _stamp_seconds(inner.group("stamp"))
            text = inner.group("rest").strip()
    return start, speaker, text


def parse_text(content: str) -> ParsedTranscript:
    """Parse a plain-text transcript (see the module docstring for the shapes accepted)."""
    lines = content.splitlines()
    header, used = read_header(lines)
    body = lines[used:]
    first = next((i for i, line in enumerate(body) if line.strip()), None)
    if first is not None:
        heading = _MARKDOWN_TITLE.fullmatch(body[first].strip())
        if heading:
            header.title = header.title or heading.group(1).strip()
            body = body[first + 1 :]

    turns: list[_Turn] = []
    current: _Turn | None = None
    pending_start: float | None = None  # a time alone on its line stamps the next line
    any_speaker = False
    for line in body:
        if not line.strip():
            if current is not None and current.segment.speaker is None:
                current = None  # without speakers, a blank line ends the paragraph
            continue
        start, speaker, text = _parse_line(line)
        if start is not None and speaker is None and not text:
            pending_start = start
            continue
        if pending_start is not None:
            start, pending_start = (start if start is not None else pending_start), None
        if speaker is not None or start is not None:
            any_speaker = any_speaker or speaker is not None
            current = _Turn(RawSegment(speaker=speaker, text=text, start=start), [text])
            turns.append(current)
        elif current is not None:
            current.lines.append(text)
        else:
            current = _Turn(RawSegment(speaker=None, text=text), [text])
            turns.append(current)

    if not any_speaker and len(turns) == 1 and turns[0].segment.start is None:
        # One unlabelled paragraph: its lines are the only structure there is.
        segments = [RawSegment(speaker=None, text=line) for line in turns[0].lines]
    else:
        segments = []
        for turn in turns:
            turn.segment.text = " ".join(line for line in turn.lines if line)
            segments.append(turn.segment)
        _infer_ends(segments)
    return ParsedTranscript(
        segments=segments, title=header.title, date=header.date, timezone=header.timezone
    )


def _infer_ends(segments: list[RawSegment]) -> None:
    """Set each timed segment's end to the next timed segment's start, when that is later."""
    timed = [s for s in segments if s.start is not None]
    for this, following in itertools.pairwise(timed):
        assert this.start is not None and following.start is not None
        if following.start >= this.start:
            this.end = following.start
