"""What a format parser hands to normalisation: raw segments plus metadata found in the file.

Parsers stay small because they only say what the file says; merging turns, dropping empties,
numbering and titling happen once, in :mod:`minutes.transcripts.normalise`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(slots=True)
class RawSegment:
    """One utterance as the file gives it: text not yet cleaned, times in seconds."""

    speaker: str | None
    text: str
    start: float | None = None
    end: float | None = None


@dataclass(slots=True)
class ParsedTranscript:
    """A parser's result: segments in file order and any metadata the file states."""

    segments: list[RawSegment] = field(default_factory=list)
    title: str | None = None
    date: dt.date | None = None
    timezone: str | None = None
    # Damage a parser worked around (a skipped cue, say): the user should hear of it.
    warnings: list[str] = field(default_factory=list)
