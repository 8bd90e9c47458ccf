"""From a parser's raw segments to the :class:`Transcript` every later stage relies on.

- Text: whitespace (newlines, tabs, runs of spaces, zero-width spaces) collapsed to one space;
  segments left empty are dropped.
- Turns: consecutive segments of the same named speaker are merged into one turn (start of the
  first, latest end), but a turn stops growing at :data:`MAX_TURN_TOKENS` so chunking can still
  cut a monologue on turn boundaries. Segments without a speaker are never merged: nothing says
  they are one person's.
- Order: file order is kept (AMI's overlapping speech starts slightly out of order; sorting would
  interleave sentences).
- Indices renumbered ``0..n-1``; notes cite them.
- Title: the caller's, else the file's, else the file name prettified. Date and timezone: the
  caller's, else the file's, else ``None``.
"""

from __future__ import annotations

import datetime as dt
import re

from pydantic import ValidationError

from minutes.errors import TranscriptError
from minutes.tokens import count_tokens
from minutes.transcripts.metadata import title_from_name
from minutes.transcripts.models import Segment, Transcript
from minutes.transcripts.parsed import ParsedTranscript, RawSegment

MAX_TURN_TOKENS = 400
"""Merged turns stop growing past this many tokens; a new segment of the same speaker follows."""

_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]")


def clean_text(text: str) -> str:
    """Collapse all whitespace to single spaces and drop zero-width characters."""
    return " ".join(_INVISIBLE.sub("", text).split())


def clean_speaker(speaker: str | None) -> str | None:
    if speaker is None:
        return None
    name = clean_text(speaker)
    return name or None


def merge_turns(
    segments: list[RawSegment], max_turn_tokens: int = MAX_TURN_TOKENS
) -> list[RawSegment]:
    """Cleaned segments with consecutive same-speaker segments merged into turns."""
    turns: list[RawSegment] = []
    turn_tokens = 0
    for raw in segments:
        text = clean_text(raw.text)
        if not text:
            continue
        speaker = clean_speaker(raw.speaker)
        tokens = count_tokens(text)
        last = turns[-1] if turns else None
        if (
            last is not None
            and speaker is not None
            and last.speaker == speaker
            and turn_tokens + tokens <= max_turn_tokens
        ):
            last.text = f"{last.text} {text}"
            turn_tokens += tokens
            if last.start is None:
                last.start = raw.start
            if raw.end is not None and (last.end is None or raw.end > last.end):
                last.end = raw.end
            continue
        turns.append(RawSegment(speaker=speaker, text=text, start=raw.start, end=raw.end))
        turn_tokens = tokens
    return turns


def normalise(
    parsed: ParsedTranscript,
    *,
    source_format: str,
    source_name: str | None,
    title: str | None = None,
    date: dt.date | None = None,
    timezone: str | None = None,
) -> Transcript:
    """Build the :class:`Transcript`; a transcript with no text left is an error."""
    turns = merge_turns(parsed.segments)
    where = source_name or "the transcript"
    if not turns:
        raise TranscriptError(f"no text found in {where} (read as {source_format})")
    if isinstance(date, dt.datetime):
        date = date.date()
    try:
        return Transcript(
            segments=[
                Segment(index=i, speaker=t.speaker, start=t.start, end=t.end, text=t.text)
                for i, t in enumerate(turns)
            ],
            title=title or parsed.title or title_from_name(source_name),
            date=date or parsed.date,
            timezone=timezone or parsed.timezone,
            source_format=source_format,
            source_name=source_name,
        )
    except ValidationError as exc:  # parsers check times; this is the last guard
        raise TranscriptError(
            f"{where}: invalid transcript data: {exc.errors()[0]['msg']}"
        ) from None
