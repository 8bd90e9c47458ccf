"""scripts/train_detector.py on a small synthetic set: deterministic, and what it fits is what
the engine scores. Needs scikit-learn (the ``train`` extra, part of ``dev``)."""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from minutes.extractive.detector import Detector

SCRIPT = Path(__file__).parents[2] / "scripts" / "train_detector.py"
ROLES = ("Project Manager", "Industrial Designer", "Marketing Expert")
CHAT = [
    "the weather was nice at the weekend",
    "I think the colour looks fine",
    "what do you mean by that",
    "mm-hmm yeah",
    "the remote has a chip inside",
    "we talked about the buttons earlier",
    "that is a good point",
    "okay right",
]
ACTIONS = ["I'll send the report to everyone", "you will work on the design for next meeting"]
DECISIONS = ["so we'll go with the rubber buttons", "we decided on a single curved case"]


@pytest.fixture(scope="module")
def train() -> ModuleType:
    spec = importlib.util.spec_from_file_location("train_detector", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["train_detector"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def synthetic(folder: Path, seed: int = 3) -> Path:
    """Eight meetings of four series: chit-chat with commitments and decisions, linked."""
    rng = random.Random(seed)
    folder.mkdir()
    for series in range(4):
        for letter in "ab":
            entries, actions, decisions = [], [], []
            for i in range(60):
                roll = rng.random()
                pool = ACTIONS if roll < 0.08 else DECISIONS if roll < 0.16 else CHAT
                text = rng.choice(pool)
                (actions if pool is ACTIONS else decisions if pool is DECISIONS else []).append(i)
                entries.append({"speaker": ROLES[i % 3], "start": i, "end": i + 1, "text": text})
            name = f"XX100{series}{letter}"
            (folder / f"{name}.json").write_text(json.dumps(entries))
            labels = {
                "summary": "A meeting.",
                "action_items": [{"action": "Do the work", "evidence": actions}],
                "decisions": [{"decision": "Use rubber", "evidence": decisions}],
            }
            (folder / f"{name}.labels.json").write_text(json.dumps(labels))
    return folder


def test_training_is_deterministic(train: ModuleType, tmp_path: Path) -> None:
    corpus = train.build_corpus(train.load_meetings(synthetic(tmp_path / "set")))
    assert len(corpus.meetings) == 8 and corpus.y["action"].any() and corpus.y["decision"].any()
    everything = list(range(8))
    first = train.train(corpus, everything, 2, 0)
    second = train.train(corpus, everything, 2, 0)
    assert first.terms == second.terms and first.terms
    for label in first.labels:
        a, b = first.labels[label], second.labels[label]
        assert np.array_equal(a.weights, b.weights)
        assert (a.bias, a.threshold) == (b.bias, b.threshold)
    # folds hold whole series, and the seed decides which
    folds = train.grouped_folds(corpus, everything, 2, 0)
    for fold in folds:
        series = {corpus.meetings[m].group for m in fold}
        assert all(corpus.meetings[m].group in series for m in fold)
        assert not series & {corpus.meetings[m].group for m in everything if m not in fold}
    assert folds == train.grouped_folds(corpus, everything, 2, 0)


def test_what_is_fitted_is_what_the_engine_scores(train: ModuleType, tmp_path: Path) -> None:
    corpus = train.build_corpus(train.load_meetings(synthetic(tmp_path / "set")))
    det = train.fit(corpus, list(range(8)), 0)
    loaded = Detector.from_json(json.loads(json.dumps(det.to_json())))
    ours = train.probabilities(corpus, det, corpus.rows[0])
    theirs = loaded.probabilities(corpus.meetings[0].transcript.segments)
    for label in det.labels:
        assert np.allclose(ours[label], theirs[label], atol=1e-9)
    # and it learned the synthetic cues: a commitment scores above chit-chat
    segments = corpus.meetings[0].transcript.segments
    p = theirs["action"]
    action = [i for i, s in enumerate(segments) if s.text in ACTIONS]
    chat = [i for i, s in enumerate(segments) if s.text in CHAT]
    assert min(p[action]) > max(p[chat])


def test_the_written_file_loads(train: ModuleType, tmp_path: Path) -> None:
    corpus = train.build_corpus(train.load_meetings(synthetic(tmp_path / "set")))
    det = train.with_thresholds(
        train.fit(corpus, list(range(8)), 0), {"action": 0.4, "decision": 0.6}
    )
    path = tmp_path / "detector.json"
    train.write_model(det, path)
    loaded = Detector.from_json(json.loads(path.read_text()))
    assert loaded.terms == det.terms
    assert loaded.labels["decision"].threshold == 0.6
