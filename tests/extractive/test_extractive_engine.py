"""The engine end to end: notes, provenance, robustness, and the import rule."""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from extractive_fixtures import MakeTranscript

from minutes.extractive import summarize_extractive
from minutes.transcripts.models import Segment, Transcript

STAGES = ["key_points", "action_items", "decisions", "narrative", "tldr", "priority"]
SRC = Path(__file__).parents[2] / "src" / "minutes"


def test_planning_notes(planning: Transcript) -> None:
    notes = summarize_extractive(planning)
    assert notes.engine == "extractive"
    assert not notes.degraded and notes.degraded_reasons == []
    assert notes.title == "Release planning"
    assert notes.date == dt.date(2026, 3, 11)
    assert notes.participants == ["Priya Natarajan", "Marcus Webb", "Lena Fischer"]
    assert len(notes.action_items) == 7
    assert len(notes.decisions) == 2
    assert 1 <= len(notes.key_points) <= 10
    assert notes.priority == "high"  # two high-priority items, incident language
    assert notes.tldr.startswith("Priya Natarajan, Marcus Webb and Lena Fischer discussed")
    assert "2 decisions and 7 action items" in notes.tldr
    assert len(notes.narrative.split("\n\n")) == 3
    assert [p.stage for p in notes.provenance] == STAGES
    for p in notes.provenance:
        assert p.engine == "extractive"
        assert p.calls == 0 and p.cost_usd == 0 and p.model is None
        assert not p.degraded and p.latency_ms >= 0


def test_meeting_date_argument_overrides_the_transcript(planning: Transcript) -> None:
    notes = summarize_extractive(planning, meeting_date=dt.date(2026, 3, 13), max_key_points=3)
    fix = next(a for a in notes.action_items if a.task == "Fix the staging deploy script")
    assert fix.due_date == dt.date(2026, 3, 20)  # "by Friday" said on a Friday
    assert len(notes.key_points) <= 3


ODD = [
    Transcript(segments=[]),
    Transcript(segments=[Segment(index=0, text="")]),
    Transcript(segments=[Segment(index=0, text="   \n\t ")]),
    Transcript(segments=[Segment(index=0, text="Um. Uh. Mm-hmm. Yeah.")]),
    Transcript(segments=[Segment(index=0, text="...?!,;: — … 🙂🙂")]),
    Transcript(segments=[Segment(index=0, text="I'll send it by Friday.")]),
    Transcript(segments=[Segment(index=3, speaker="A", text="We decided. Let's go with that.")]),
    Transcript(segments=[Segment(index=0, speaker="", text="Can you? Please. Action item:")]),
    Transcript(segments=[Segment(index=0, speaker="A", text="word " * 5000)]),
    Transcript(
        segments=[Segment(index=0, speaker="Ünïcødé", text="Ünïcødé, please fix ✓ by 3/45.")]
    ),
    Transcript(
        segments=[
            Segment(
                index=i,
                speaker=f"S{i % 3}",
                text=f"Item {i}: I'll check report {i} by the {i % 40}th.",
            )
            for i in range(300)
        ]
    ),
]


@pytest.mark.parametrize("transcript", ODD)
def test_never_raises(transcript: Transcript) -> None:
    notes = summarize_extractive(transcript, meeting_date=dt.date(2026, 3, 11))
    assert notes.engine == "extractive"
    assert not notes.degraded, notes.degraded_reasons
    assert [p.stage for p in notes.provenance] == STAGES
    assert notes.tldr and notes.narrative


def test_one_segment_without_speaker_or_date(make_transcript: MakeTranscript) -> None:
    notes = summarize_extractive(make_transcript((None, "I'll send the report by Friday.")))
    (item,) = notes.action_items
    assert item.assignee is None and item.due_date is None and item.due_text == "by Friday"
    assert notes.participants == []


def test_a_failing_stage_degrades_instead_of_raising(
    planning: Transcript, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> list[object]:
        raise RuntimeError("bug")

    monkeypatch.setattr("minutes.extractive.engine.extract_decisions", boom)
    notes = summarize_extractive(planning)
    assert notes.degraded
    assert notes.decisions == []
    assert notes.degraded_reasons == ["extractive decisions failed: RuntimeError: bug"]
    stage = next(p for p in notes.provenance if p.stage == "decisions")
    assert stage.degraded and stage.reason == notes.degraded_reasons[0]
    assert len(notes.action_items) == 7  # the other stages still ran


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_fallback_does_not_depend_on_what_it_falls_back_from() -> None:
    files = [*(SRC / "extractive").glob("*.py")]
    files += [*(SRC / "items").glob("*.py")]
    assert len(files) > 5
    for path in files:
        for name in _imports(path):
            assert not name.startswith(("minutes.llm", "minutes.pipeline")), (path.name, name)


def test_ami_es2008a(ami: Callable[[str], Transcript]) -> None:
    """A real meeting: the engine finds the Project Manager's own commitments."""
    notes = summarize_extractive(ami("ES2008a"))
    assert not notes.degraded
    tasks = {(a.task, a.assignee) for a in notes.action_items}
    assert (
        "Type up mi minutes and probably email those out to all of you",
        "Project Manager",
    ) in tasks
    assert ("E-mail your slides", "Project Manager") in tasks  # asked by another, accepted
    assert ("Do the working design", "Industrial Designer") in tasks  # "Alima" introduced herself
    assert len(notes.key_points) == 10
