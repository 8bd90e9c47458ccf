"""The learned detector: the shipped file, scoring, and the items the engine makes from it."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import numpy as np
import pytest
from extractive_fixtures import MakeTranscript

from minutes.extractive.detected import (
    Flagged,
    action_task,
    action_tasks,
    add_detected_actions,
    decision_text,
)
from minutes.extractive.detector import (
    DEFAULT_PATH,
    LABELS,
    Detector,
    LabelModel,
    load_detector,
    raw_features,
    weigh,
)
from minutes.extractive.engine import summarize_extractive
from minutes.extractive.people import People
from minutes.extractive.sentences import split_sentences
from minutes.items.grounding import quote_index
from minutes.transcripts.models import Transcript

PM, ID, ME = "Project Manager", "Industrial Designer", "Marketing Expert"
CHIT_CHAT = "Yeah, the weather was lovely at the weekend, we went to the beach."
ACTION = (
    "So for the next meeting, the Industrial Designer will work on the components design, "
    "and you'll send us the user requirements."
)
DECISION = "So we've decided, we'll go with the rubber buttons and the single curved case."


def meeting(make_transcript: MakeTranscript) -> Transcript:
    filler = [(PM, "Okay."), (ME, "Mm-hmm."), (ID, "Right, so the remote has a chip.")] * 6
    return make_transcript(
        (PM, "Okay, good morning everyone, let's get started."),
        (ME, CHIT_CHAT),
        (PM, "Ha, nice."),
        *filler,
        (PM, DECISION),
        (ID, "Yeah, agreed."),
        *filler,
        (PM, ACTION),
        (ID, "Okay, sure."),
        (PM, "Thanks, see you all in thirty minutes."),
    )


def position(t: Transcript, text: str) -> int:
    return next(i for i, s in enumerate(t.segments) if s.text == text)


def test_the_shipped_file_loads_with_its_provenance() -> None:
    det = load_detector()
    assert set(det.labels) == set(LABELS)
    assert det.provenance["licence"] == "CC BY 4.0, AMI Meeting Corpus"
    assert "python scripts/train_detector.py" in det.provenance["command"]
    assert det.provenance["cross_validation"]["utterance_level_pooled"]["detector"]
    assert all(0 < m.threshold < 1 for m in det.labels.values())
    assert DEFAULT_PATH.stat().st_size < 1_000_000  # small enough to ship in the wheel
    assert load_detector() is det  # read once


def test_an_action_utterance_scores_above_chit_chat(make_transcript: MakeTranscript) -> None:
    t = meeting(make_transcript)
    p = load_detector().probabilities(t.segments)
    action, chat = position(t, ACTION), position(t, CHIT_CHAT)
    assert p["action"][action] > p["action"][chat] + 0.5
    assert p["action"][action] >= load_detector().labels["action"].threshold
    assert p["decision"][position(t, DECISION)] > p["decision"][chat]


def test_the_fast_scoring_is_the_documented_weighting(make_transcript: MakeTranscript) -> None:
    t = meeting(make_transcript)
    det = load_detector()
    fast = det.rows(t.segments)
    plain = weigh(raw_features(t.segments), det.index, det.idf)
    for (cols_a, vals_a), (cols_b, vals_b) in zip(fast, plain, strict=True):
        a, b = np.zeros(len(det.terms)), np.zeros(len(det.terms))
        a[cols_a], b[cols_b] = vals_a, vals_b
        assert np.allclose(a, b, atol=1e-12)


def test_loading_from_many_threads_reads_the_file_once(tmp_path) -> None:
    path = tmp_path / "detector.json"
    path.write_text(json.dumps(load_detector().to_json()))
    found: list[Detector] = []
    threads = [threading.Thread(target=lambda: found.append(load_detector(path))) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len({id(d) for d in found}) == 1
    again = found[0]
    assert again.terms == load_detector().terms
    assert np.allclose(again.labels["action"].weights, load_detector().labels["action"].weights)


def test_a_file_of_another_format_is_refused() -> None:
    with pytest.raises(ValueError, match="format"):
        Detector.from_json({"format": 99})


# --- items from flagged segments ------------------------------------------------------------


def sentence(make_transcript: MakeTranscript, speaker: str, text: str):
    t = make_transcript((speaker, text), (ME, "Okay."))
    return split_sentences(t)[0], People(list(t.participants))


def test_commitments_are_worded_as_tasks(make_transcript: MakeTranscript) -> None:
    s, people = sentence(make_transcript, "Ann", "I'll look into the costs.")
    assert action_task(s, people)[:2] == ("Look into the costs", "Ann")
    s, people = sentence(
        make_transcript, PM, "Um, so the Industrial Designer will work on the look and feel."
    )
    people = People([PM, ID, ME])
    assert action_task(s, people)[:2] == ("Work on the look and feel", ID)


def test_one_sentence_assigning_several_people_is_one_task_each(
    make_transcript: MakeTranscript,
) -> None:
    s, _ = sentence(
        make_transcript,
        PM,
        "In the meantime, the Industrial Designer is gonna work on the look and feel design, "
        "the User Interface Designer will work on the user interface design and the "
        "Marketing Expert is going to work on product evaluation.",
    )
    people = People([PM, ID, ME, "User Interface Designer"])
    assert [t[:2] for t in action_tasks(s, people)] == [
        ("Work on the look and feel design", ID),
        ("Work on the user interface design", "User Interface Designer"),
        ("Work on product evaluation", ME),
    ]
    # "Kate and Dave will…" is one subject, not two clauses
    s, _ = sentence(make_transcript, PM, "So Kate and Dave will build the prototype.")
    assert [t[0] for t in action_tasks(s, People([PM, "Kate", "Dave"]))] == ["Build the prototype"]


def test_decisions_are_worded_from_the_plan(make_transcript: MakeTranscript) -> None:
    s, _ = sentence(make_transcript, PM, "So we'll go with the rubber buttons.")
    assert decision_text(s) == "Go with the rubber buttons"
    s, _ = sentence(make_transcript, PM, "The case will be single curved, yeah.")
    assert decision_text(s) == "The case will be single curved"


def _flagging(positions: dict[str, set[int]]) -> Callable[[Transcript], Detector]:
    """A detector that flags exactly these positions (by a term only they have)."""

    def make(t: Transcript) -> Detector:
        terms = ("pos:flag",)
        labels = {
            label: LabelModel(weights=np.array([0.0]), bias=-10.0, threshold=0.5)
            for label in LABELS
        }
        det = Detector(terms=terms, idf=np.array([1.0]), labels=labels)

        def probabilities(segments):  # type: ignore[no-untyped-def]
            return {
                label: np.array(
                    [0.99 if i in positions[label] else 0.01 for i in range(len(segments))]
                )
                for label in LABELS
            }

        object.__setattr__(det, "probabilities", probabilities)
        return det

    return make


def test_flagged_segments_the_rules_missed_become_grounded_items(
    make_transcript: MakeTranscript,
) -> None:
    t = make_transcript(
        (ID, "Right, so the remote has a chip."),
        (PM, "And the Industrial Designer will look at the battery options."),
        (ID, "Mm."),
        (ME, "I'll send the budget to finance by Friday."),
        (PM, "So we'll go with the rubber buttons then."),
        (ID, "Mm."),
        (PM, "So the case will be single curved, yeah."),
    )
    rules = summarize_extractive(t, detector=None)
    det = _flagging({"action": {1, 3}, "decision": {4, 6}})(t)
    notes = summarize_extractive(t, detector=det)
    assert len(notes.action_items) >= len(rules.action_items)
    index = quote_index(t)
    for item in [*notes.action_items, *notes.decisions]:
        assert item.sources and all(index.locate(s.quote) is not None for s in item.sources)
    cited = {s.segment for a in notes.action_items for s in a.sources}
    assert {1, 3} <= cited
    # the rules' own item for segment 3 is kept as the rules worded it
    rule_tasks = {a.task for a in rules.action_items}
    assert rule_tasks <= {a.task for a in notes.action_items}
    # the rules had the rubber buttons; the case is the detector's, worded from the quote
    assert {d.decision for d in rules.decisions} < {d.decision for d in notes.decisions}
    assert "The case will be single curved" in {d.decision for d in notes.decisions}
    added = next(a for a in notes.action_items if a.task == "Look at the battery options")
    assert added.assignee == ID


def test_adjacent_flags_are_one_item(make_transcript: MakeTranscript) -> None:
    t = make_transcript(
        ("Ann", "Nice weather."),
        ("Bob", "Cara, you will prepare the demo script for the client."),
        ("Cara", "Okay, I'll prepare the demo script."),
        ("Ann", "Good."),
    )
    items = add_detected_actions(t, [], [Flagged(1, 0.9), Flagged(2, 0.8)])
    assert len(items) == 1
    assert items[0].task == "Prepare the demo script for the client"
    assert items[0].assignee == "Cara"
    assert {s.segment for s in items[0].sources} == {1, 2}


def test_a_broken_detector_keeps_the_rules_items(make_transcript: MakeTranscript) -> None:
    t = make_transcript(("Ann", "I'll send the budget to finance by Friday."), ("Bob", "Fine."))
    det = _flagging({"action": set(), "decision": set()})(t)

    def broken(segments):  # type: ignore[no-untyped-def]
        raise RuntimeError("bad weights")

    object.__setattr__(det, "probabilities", broken)
    notes = summarize_extractive(t, detector=det)
    assert [a.task for a in notes.action_items] == [
        a.task for a in summarize_extractive(t, detector=None).action_items
    ]
    assert notes.degraded and any("detector failed" in r for r in notes.degraded_reasons)
