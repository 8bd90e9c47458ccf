"""The bundled examples load, and carry what the pipeline is meant to find in them."""

from __future__ import annotations

import re

import pytest

from minutes.examples import EXAMPLES, example_path
from minutes.transcripts import chunk_transcript, load_transcript

DEADLINES = re.compile(
    r"\b(by (Monday|Tuesday|Wednesday|Thursday|Friday|tomorrow|next \w+|the end of \w+|end of \w+)"
    r"|next (Monday|Tuesday|Wednesday|Thursday|Friday|week)|end of (the )?month|tomorrow|today)\b"
)
DECISIONS = re.compile(r"\b(we decided|decided|let's go with|agreed)\b", re.IGNORECASE)


def test_the_five_examples() -> None:
    assert set(EXAMPLES) == {"standup", "planning", "sales_call", "incident_review", "one_on_one"}
    assert {e.format for e in EXAMPLES.values()} == {"text", "vtt", "srt", "json"}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_loads_with_its_metadata(name: str) -> None:
    info = EXAMPLES[name]
    path = example_path(name)
    assert path.is_file() and path.name == info.filename
    t = load_transcript(path)
    assert t.source_format == info.format
    assert 40 <= len(t.segments) <= 120
    assert len(t.participants) >= 2
    assert all(s.speaker for s in t.segments)  # every turn has a named speaker
    if info.date_in_file:
        assert (t.title, t.date) == (info.title, info.date)
    else:
        assert t.date is None
        t = load_transcript(path, title=info.title, date=info.date)
    text = t.text()
    assert len(DEADLINES.findall(text)) >= 3, "spoken deadlines for action items"
    assert len(DECISIONS.findall(text)) >= 2, "explicit decisions"
    chunks = chunk_transcript(t, max_tokens=600, overlap_tokens=60)
    assert len(chunks) >= 2


def test_timestamps_where_the_format_has_them() -> None:
    for name in ("standup", "planning", "sales_call", "incident_review"):
        t = load_transcript(example_path(name))
        assert all(s.start is not None for s in t.segments), name
    t = load_transcript(example_path("one_on_one"))
    assert all(s.start is None for s in t.segments)


def test_example_path_by_file_name_and_unknown_names() -> None:
    assert example_path("standup.vtt") == example_path("standup")
    with pytest.raises(KeyError, match="unknown example 'nope'; available: standup"):
        example_path("nope")
    with pytest.raises(KeyError):
        example_path("standup.srt")
