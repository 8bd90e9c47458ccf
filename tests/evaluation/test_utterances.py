"""Utterance-level figures: evidence entries mapped onto segments, and P/R/F1 of cited lines."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from minutes.errors import ConfigError
from minutes.evaluation.dataset import load_dataset
from minutes.evaluation.report import figures_table
from minutes.evaluation.runner import evaluate
from minutes.evaluation.utterances import (
    cited_segments,
    entry_segments,
    gold_utterances,
    source_entries,
    utterance_prf,
)
from minutes.notes import SourceRef
from minutes.pipeline.options import PipelineOptions
from minutes.prompts import load_library
from minutes.transcripts import load_transcript

# Eight dialogue acts; the loader merges 0-1 (Ann twice), drops 3 (empty) so that 2 and 4
# (Bob, Bob) become one turn, and keeps the rest: segments [0-1] [2,4] [5] [6-7].
ENTRIES = [
    {"speaker": "Ann", "start": 0, "end": 1, "text": "Okay, let's start."},
    {"speaker": "Ann", "start": 1, "end": 2, "text": "I'll  send the budget to finance."},
    {"speaker": "Bob", "start": 2, "end": 3, "text": "Fine."},
    {"speaker": "Ann", "start": 3, "end": 4, "text": "   "},
    {"speaker": "Bob", "start": 4, "end": 5, "text": "We decided to move the launch to May."},
    {"speaker": "Cara", "start": 5, "end": 6, "text": "Nice weather today."},
    {"speaker": "Ann", "start": 6, "end": 7, "text": "Bob, can you book the venue?"},
    {"speaker": "Ann", "start": 7, "end": 8, "text": "By Friday."},
]


def write(folder: Path, labels: dict[str, object]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "launch.json").write_text(json.dumps(ENTRIES))
    (folder / "launch.labels.json").write_text(json.dumps({"summary": "A launch.", **labels}))
    return folder


def test_entries_map_onto_the_segments_they_were_merged_into(tmp_path: Path) -> None:
    path = write(tmp_path, {}) / "launch.json"
    transcript = load_transcript(path)
    assert [s.text for s in transcript.segments] == [
        "Okay, let's start. I'll send the budget to finance.",
        "Fine. We decided to move the launch to May.",
        "Nice weather today.",
        "Bob, can you book the venue? By Friday.",
    ]
    assert entry_segments(source_entries(path), transcript) == [0, 0, 1, None, 1, 2, 3, 3]


def test_a_transcript_that_does_not_line_up_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, {}) / "launch.json"
    transcript = load_transcript(path)
    entries = source_entries(path)
    entries[5].text = "Something nobody said."
    with pytest.raises(ValueError, match="entry 5"):
        entry_segments(entries, transcript)
    with pytest.raises(ValueError, match="no entry accounts for"):
        entry_segments(source_entries(path)[:-1], transcript)


def test_gold_utterances_are_the_union_of_the_items_evidence(tmp_path: Path) -> None:
    path = write(tmp_path, {}) / "launch.json"
    gold = gold_utterances(path, load_transcript(path), [[1], [6, 7], []], [[4], [2, 4]])
    assert gold.action_items == {0, 3} and gold.decisions == {1}
    with pytest.raises(ConfigError, match="outside the transcript's 8 entries"):
        gold_utterances(path, load_transcript(path), [[8]], [])


def test_utterance_scores_on_a_hand_made_example() -> None:
    cited = cited_segments(
        [
            [SourceRef(segment=1, quote="a"), SourceRef(segment=2, quote="b")],
            [SourceRef(segment=2, quote="c"), SourceRef(segment=5, quote="d")],
        ]
    )
    assert cited == {1, 2, 5}
    p = utterance_prf(cited, {2, 5, 7, 9})
    assert (p.matched, p.predicted, p.gold) == (2, 3, 4)
    assert (p.precision, p.recall, p.f1) == pytest.approx((2 / 3, 1 / 2, 4 / 7))
    # nothing to find and nothing found is perfect; finding something where there is
    # nothing is not
    assert utterance_prf(set(), set()).f1 == 1.0
    assert utterance_prf({3}, set()).precision == 0.0


def exact(predicted, gold) -> np.ndarray:
    return np.array([[float(p.lower() == g.lower()) for g in gold] for p in predicted])


async def test_eval_reports_utterance_figures_only_where_labels_carry_evidence(
    tmp_path: Path,
) -> None:
    labels = {
        "action_items": [
            {"action": "Send the budget to finance", "evidence": [1]},
            {"action": "Book the venue", "evidence": [6]},
        ],
        "decisions": [{"decision": "Move the launch to May", "evidence": [4]}],
    }
    run = await evaluate(
        load_dataset(write(tmp_path / "with", labels)),
        similarity=exact,
        similarity_name="exact text",
        options=PipelineOptions(engine="extractive"),
        prompts=load_library(),
    )
    (meeting,) = run.meetings
    notes_cite = meeting.action_utterances
    assert notes_cite is not None and notes_cite.gold == 2  # segments 0 and 3
    assert run.summary.action_utterances == notes_cite
    assert run.summary.decision_utterances is not None
    assert run.summary.decision_utterances.gold == 1
    assert run.summary.utterance_meetings == 1
    rows = {name: value for name, value, _ in figures_table(run)}
    assert "Action-item utterances P / R / F1" in rows

    for item in labels["action_items"] + labels["decisions"]:
        del item["evidence"]
    run = await evaluate(
        load_dataset(write(tmp_path / "without", labels)),
        similarity=exact,
        similarity_name="exact text",
        options=PipelineOptions(engine="extractive"),
        prompts=load_library(),
    )
    assert run.meetings[0].action_utterances is None
    assert run.summary.action_utterances is None and run.summary.utterance_meetings == 0
    assert not any("utterances" in name for name, _, _ in figures_table(run))


def test_placeholders_with_evidence_still_label_the_meeting(tmp_path: Path) -> None:
    write(tmp_path, {"action_items": [{"action": "*NA*", "evidence": []}], "decisions": []})
    (meeting,) = load_dataset(tmp_path)
    assert meeting.labels.action_items == [] and meeting.labels.evidence_labelled
