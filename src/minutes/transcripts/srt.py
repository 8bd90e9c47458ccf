"""SubRip (SRT) transcripts, read with pysrt.

- Speakers come from ``Alice:`` at the start of a cue line (also after a ``- `` or ``>>``
  dialogue marker); a cue without one continues the previous speaker
  (see :mod:`minutes.transcripts.captions`).
- Formatting tags (``<i>``, ``<font ...>``) and ASS overrides (``{\\an8}``) are stripped.
- SRT has no place for metadata: title and date come from the caller or the file name.
- A timing line that is not ``hh:mm:ss,mmm --> hh:mm:ss,mmm`` (pysrt reads "0x" as 0), a block
  without a timing line, or an end before its start is an error that names the line.
"""

from __future__ import annotations

import re

import pysrt

from minutes.errors import TranscriptError
from minutes.transcripts.captions import cues_to_segments, utterances_from_lines
from minutes.transcripts.parsed import ParsedTranscript
from minutes.transcripts.timecodes import parse_clock

_TIMESTAMP = r"\d{1,3}:\d{1,2}:\d{1,2}[,.]\d{1,3}"
_TIMING_LINE = re.compile(rf"\s*({_TIMESTAMP})\s*-->\s*({_TIMESTAMP})(?:\s.*)?")
_TAGS = re.compile(r"<[^>]*>|\{\\[^}]*\}")


def _check_timings(lines: list[str], name: str) -> None:
    for number, line in enumerate(lines, start=1):
        if "-->" not in line:
            continue
        match = _TIMING_LINE.fullmatch(line)
        where = f"{name}: line {number}"
        shown = line.strip()[:80]  # a damaged file can put a whole paragraph on this line
        if not match:
            raise TranscriptError(
                f"{where}: invalid subtitle timing {shown!r}; "
                "expected 'hh:mm:ss,mmm --> hh:mm:ss,mmm'"
            )
        start, end = (parse_clock(match.group(i)) for i in (1, 2))
        if start is None or end is None:
            raise TranscriptError(
                f"{where}: invalid timestamp in {shown!r} (minutes and seconds go to 59)"
            )
        if end < start:
            raise TranscriptError(f"{where}: subtitle ends before it starts: {shown!r}")


def _block_error(exc: pysrt.Error, name: str) -> TranscriptError:
    """Turn pysrt's ``(blank-line index, ..., block text)`` arguments into a line number."""
    args = exc.args
    if len(args) >= 2 and isinstance(args[0], int) and isinstance(args[-1], str):
        block = args[-1].rstrip("\n")
        first_line = args[0] - len(block.splitlines()) + 1
        snippet = block.splitlines()[0][:80] if block else ""
        return TranscriptError(
            f"{name}: line {first_line}: not a subtitle block (index, 'start --> end' line, "
            f"text): {snippet!r}"
        )
    return TranscriptError(f"{name}: cannot read SRT: {exc}")


def parse_srt(content: str, name: str = "transcript") -> ParsedTranscript:
    """Parse SubRip subtitles into raw segments (see the module docstring)."""
    lines = content.lstrip("\ufeff").splitlines()
    _check_timings(lines, name)
    try:
        items = pysrt.from_string(
            "\n".join(lines) + "\n", error_handling=pysrt.SubRipFile.ERROR_RAISE
        )
    except pysrt.Error as exc:
        raise _block_error(exc, name) from None
    cues = []
    for item in items:
        text_lines = [_TAGS.sub("", line) for line in item.text.splitlines()]
        text_lines = [line for line in text_lines if line.strip()]
        if text_lines:
            cues.append(
                (
                    item.start.ordinal / 1000,
                    item.end.ordinal / 1000,
                    utterances_from_lines(text_lines),
                )
            )
    return ParsedTranscript(segments=cues_to_segments(cues))
