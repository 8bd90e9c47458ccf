"""The normalised transcript every parser produces."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field, computed_field


class Segment(BaseModel):
    """One stretch of speech: a speaker turn after normalisation.

    ``index`` is the segment's position in the transcript and is what notes cite.
    Times are seconds from the start of the meeting, ``None`` when the source has none.
    """

    index: int = Field(ge=0)
    speaker: str | None = None
    start: float | None = Field(None, ge=0)
    end: float | None = Field(None, ge=0)
    text: str


class Transcript(BaseModel):
    segments: list[Segment]
    title: str | None = None
    date: dt.date | None = None
    timezone: str | None = Field(None, description="IANA name; relative due dates resolve in it")
    source_format: str = "text"
    source_name: str | None = None
    warnings: list[str] = Field(
        default_factory=list,
        description="what reading the file noticed but did not stop for; the notes repeat it",
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def participants(self) -> list[str]:
        """Speakers in order of first appearance."""
        seen: dict[str, None] = {}
        for seg in self.segments:
            if seg.speaker:
                seen.setdefault(seg.speaker, None)
        return list(seen)

    @property
    def duration(self) -> float | None:
        ends = [s.end for s in self.segments if s.end is not None]
        starts = [s.start for s in self.segments if s.start is not None]
        if not ends or not starts:
            return None
        return max(ends) - min(starts)

    def text(self) -> str:
        """The transcript as ``Speaker: text`` lines, the form prompts quote from."""
        return "\n".join(f"{s.speaker}: {s.text}" if s.speaker else s.text for s in self.segments)
