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
- Warnings: the parser's, plus one when the text is mostly not letters (see
  :data:`MIN_LETTER_SHARE`): notes from such text are likely noise, and the user should know.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from pydantic import ValidationError

from minutes.errors import TranscriptError
from minutes.tokens import count_tokens
from minutes.transcripts.decoding import strip_ansi
from minutes.transcripts.metadata import title_from_name
from minutes.transcripts.models import Segment, Transcript
from minutes.transcripts.parsed import ParsedTranscript, RawSegment

MAX_TURN_TOKENS = 400
"""Merged turns stop growing past this many tokens; a new segment of the same speaker follows."""

MIN_LETTER_SHARE = 0.5
"""Below this share of letters among the non-space characters of what was said, warn.

Speech written down is mostly letters: English prose is about 95 % letters, and the transcripts
shipped with minutes and its tests score 81-95 %. One sentence of figures ("Q3 revenue was
$1,234,567, up 12 % on 2024-03-31") falls to about 40 %, but a whole meeting of them does not;
text under half letters is rather a wrong file, a wrong encoding or a dump of numbers. Speaker
names, timestamps and markup are not counted (parsers have removed them), so a timestamp-heavy
caption file is judged by its words only. Letters and combining marks are what Unicode calls
so, in any script: Japanese, Arabic or Hindi text counts in full.
"""
_MIN_CHARS_TO_JUDGE = 20  # "Bob: 42" is too short to say anything about an encoding
# Zero-width characters, and the control characters that are not whitespace (a JSON "\u0000"
# or "\u001b" in a text; PostgreSQL refuses NUL in text columns). Control characters that
# str.split() takes for whitespace (\x1c-\x1f, \x85) are left to it, so words stay apart.
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
_SAMPLE_CHARS = 200_000


def clean_text(text: str) -> str:
    """Collapse all whitespace to single spaces; drop ANSI escapes, zero-width and control
    characters."""
    return " ".join(_INVISIBLE.sub("", strip_ansi(text)).split())


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


def _sample(text: str) -> str:
    """``text``, or four windows spread over it when it is long: a warning need not read 50 MB."""
    if len(text) <= _SAMPLE_CHARS:
        return text
    window = _SAMPLE_CHARS // 4
    step = (len(text) - window) // 3
    return "".join(text[i * step : i * step + window] for i in range(4))


def letter_share(texts: list[str]) -> float | None:
    """Share of letters among the non-space characters of ``texts``; ``None`` when too short.

    Combining marks count as letters: Devanagari vowel signs are half of Hindi's characters.
    """
    visible = [ch for ch in _sample(" ".join(texts)) if not ch.isspace()]
    if len(visible) < _MIN_CHARS_TO_JUDGE:
        return None
    letters = sum(1 for ch in visible if unicodedata.category(ch)[0] in "LM")
    return letters / len(visible)


def _letter_warning(turns: list[RawSegment], where: str) -> list[str]:
    share = letter_share([t.text for t in turns])
    if share is None or share >= MIN_LETTER_SHARE:
        return []
    return [
        f"{where} is mostly not letters (only {share:.0%} of its characters are): it may be "
        "the wrong file or read in the wrong encoding, so the notes may be noise"
    ]


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
            warnings=[*parsed.warnings, *_letter_warning(turns, where)],
        )
    except ValidationError as exc:  # parsers check times; this is the last guard
        raise TranscriptError(
            f"{where}: invalid transcript data: {exc.errors()[0]['msg']}"
        ) from None
