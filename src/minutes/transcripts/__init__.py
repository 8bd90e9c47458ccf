"""Transcripts in: parsing, normalisation and chunking.

Public API::

    load_transcript(path, *, format=None, title=None, date=None, timezone=None, max_bytes=50 MiB)
    parse_transcript(content, *, format=None, name=None, title=None, date=None, timezone=None)
    chunk_transcript(transcript, *, max_tokens, overlap_tokens=0) -> list[Chunk]
    FORMATS = ("text", "vtt", "srt", "json")

Formats: :mod:`~minutes.transcripts.text`, :mod:`~minutes.transcripts.vtt`,
:mod:`~minutes.transcripts.srt`, :mod:`~minutes.transcripts.json_formats` (each module's
docstring lists what it reads). Normalisation rules: :mod:`~minutes.transcripts.normalise`.
Chunk text form: :mod:`~minutes.transcripts.chunking`. Every unreadable input raises
:class:`~minutes.errors.TranscriptError` with one line saying why. Input that was read but
needed repair or looks doubtful (a stray NUL removed, a WebVTT cue skipped, text that is mostly
not letters) gives a transcript whose ``warnings`` say so, for the notes to repeat.
"""

from minutes.transcripts.chunking import Chunk, chunk_transcript, format_segment
from minutes.transcripts.detect import FORMATS, detect_format
from minutes.transcripts.loader import load_transcript, parse_transcript, transcript_from_bytes
from minutes.transcripts.models import Segment, Transcript

__all__ = [
    "FORMATS",
    "Chunk",
    "Segment",
    "Transcript",
    "chunk_transcript",
    "detect_format",
    "format_segment",
    "load_transcript",
    "parse_transcript",
    "transcript_from_bytes",
]
