"""Turn what a model cited (segment number + quote) into verified sources, and names into
participants."""

from __future__ import annotations

from minutes.notes import SourceRef
from minutes.pipeline.schemas import _Cited
from minutes.transcripts.models import Transcript


def cited_source(transcript: Transcript, cited: _Cited) -> list[SourceRef]:
    """The model's citation as an unverified SourceRef (``grounding`` verifies it later)."""
    if not cited.quote or not cited.quote.strip():
        return []
    n = len(transcript.segments)
    segment = cited.segment if cited.segment is not None and 0 <= cited.segment < n else 0
    seg = transcript.segments[segment] if n else None
    return [
        SourceRef(
            segment=segment,
            speaker=seg.speaker if seg else None,
            start=seg.start if seg else None,
            quote=cited.quote.strip(),
        )
    ]


def match_participant(name: str | None, participants: list[str]) -> str | None:
    """A model's name for someone, mapped onto the transcript's speaker label when that is
    unambiguous ("Dave" → "Dave Smith"); otherwise the name as given."""
    if not name or not name.strip():
        return None
    name = name.strip()
    lowered = name.lower()
    for p in participants:
        if p.lower() == lowered:
            return p
    matches = [p for p in participants if p.lower().split()[0] == lowered.split()[0]]
    return matches[0] if len(matches) == 1 else name
