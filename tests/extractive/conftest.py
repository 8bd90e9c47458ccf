"""Fixtures for the extractive engine: hand-written meetings with known outcomes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from extractive_fixtures import MakeTranscript

from minutes.transcripts.models import Segment, Transcript

DATA = Path(__file__).parents[1] / "data" / "extractive"
AMI = Path(__file__).parents[3] / "shared" / "data" / "ami-dev"


@pytest.fixture
def make_transcript() -> MakeTranscript:
    """``make_transcript(("Alice", "text"), ..., date=...)`` with one segment per turn."""

    def make(*turns: tuple[str | None, str], **fields: object) -> Transcript:
        segments = [
            Segment(index=i, speaker=speaker, start=10.0 * i, end=10.0 * i + 9, text=text)
            for i, (speaker, text) in enumerate(turns)
        ]
        return Transcript(segments=segments, **fields)  # type: ignore[arg-type]

    return make


@pytest.fixture
def planning() -> Transcript:
    """A release-planning meeting on Wednesday 2026-03-11; see the tests for its items."""
    raw = json.loads((DATA / "planning.json").read_text())
    return Transcript(
        segments=[Segment(index=i, **s) for i, s in enumerate(raw["segments"])],
        title=raw["title"],
        date=dt.date.fromisoformat(raw["date"]),
        timezone=raw["timezone"],
    )


def load_ami(meeting_id: str) -> Transcript:
    """An AMI meeting with consecutive lines of the same speaker merged into one turn."""
    rows = json.loads((AMI / f"{meeting_id}.json").read_text())
    merged: list[dict[str, object]] = []
    for row in rows:
        if merged and row["speaker"] and merged[-1]["speaker"] == row["speaker"]:
            merged[-1]["text"] = f"{merged[-1]['text']} {row['text']}"
            merged[-1]["end"] = row["end"]
        else:
            merged.append(dict(row))
    return Transcript(
        segments=[Segment(index=i, **m) for i, m in enumerate(merged)],  # type: ignore[arg-type]
        source_format="json",
        source_name=meeting_id,
    )


@pytest.fixture
def ami() -> Callable[[str], Transcript]:
    # The AMI folder lives next to the checkout, not in it; a clone elsewhere has no copy.
    # Reported as a skip with its reason (pytest -ra shows it), not silently passed.
    if not AMI.is_dir():
        pytest.skip(f"AMI data not found at {AMI}")
    return load_ami
