"""Train the detector of action-item and decision utterances and write the shipped model.

    pip install -e ".[train]" && python scripts/train_detector.py

Data: the AMI development meetings (``../shared/data/ami-dev``, or ``--data``; AMI Meeting
Corpus, CC BY 4.0). A segment's labels come from the gold items' ``evidence``: the dialogue acts
the annotators linked to an action item or a decision, mapped onto the segments the transcript
loader makes (:mod:`minutes.evaluation.utterances`). Features are
:func:`minutes.extractive.detector.raw_features`, weighted as
:func:`minutes.extractive.detector.weigh` does (this script computes the same numbers with
sparse matrices, and checks that it did before it writes the file).

The model, per label: a logistic regression (scikit-learn, liblinear, balanced class weights)
on the terms seen in at least ``MIN_DF`` training segments; then only the ``keep`` terms with
the largest weights are kept and the model is fitted again on those, so that the file is small
and what is scored is exactly what was fitted. The threshold on the probability is the one
with the best F1 on out-of-fold probabilities of the training meetings.

Evaluation: cross-validation by meeting *series* (AMI's ES2008a-d are one team's four meetings:
all four fall in one fold), so no meeting, nor any team, is in a fold's training and test
sets. Each outer fold's threshold is chosen by an inner cross-validation of its training
meetings only; the test fold never informs it. The shipped model is trained on all meetings,
its threshold chosen on the outer folds' out-of-fold probabilities. Printed per fold and
pooled: utterance-level P/R/F1 of the detector, of the extractive engine's rules (the engine
without the detector), of the engine with the fold's detector, and of the every-cue-line
baseline; with ``--items``, item-level P/R/F1 by the evaluation harness's semantic matching
too (needs the ``eval`` and ``embeddings`` extras).

Reproducible: fold assignment and solvers are seeded (``--seed``); the same data and seed give
the same file, byte for byte, but for the date in its provenance.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from minutes.evaluation.dataset import ami_dir, load_dataset
from minutes.evaluation.metrics import PRF, pooled
from minutes.evaluation.utterances import cited_segments, gold_utterances, utterance_prf
from minutes.extractive.detected import CUE_LINES
from minutes.extractive.detector import (
    DEFAULT_PATH,
    FORMAT,
    LABELS,
    WEIGHTED_BLOCKS,
    Detector,
    LabelModel,
    block,
    raw_features,
    weigh,
)
from minutes.extractive.engine import summarize_extractive
from minutes.notes import MeetingNotes
from minutes.transcripts.models import Transcript

MIN_DF = 5  # training segments a term must occur in to be a feature at all


@dataclass(frozen=True)
class LabelSettings:
    """How one label's model is fitted. Chosen while developing the script, by the pooled
    cross-validated figures on these meetings (see the README): the decision model overfits
    its neighbours' words and rare terms, so it sees the segment's own common words and the
    flags only."""

    C: float  # inverse regularisation strength
    keep: int  # terms kept after the first fit, by absolute weight
    blocks: tuple[str, ...] | None = None  # feature blocks it may use; None: all
    min_df: int = 5  # training segments a term must occur in for this label to use it


SETTINGS: dict[str, LabelSettings] = {
    "action": LabelSettings(C=3.0, keep=4000),
    "decision": LabelSettings(
        C=0.3, keep=3000, blocks=("u", "cue", "ncue", "spk", "pspk", "pos", "len"), min_df=10
    ),
}


@dataclass
class Meeting:
    id: str
    group: str  # the AMI series (ES2008 for ES2008a-d): meetings of one team share a fold
    transcript: Transcript
    gold: dict[str, frozenset[int]]  # label -> gold segment indices
    gold_items: dict[str, list[str]] = field(default_factory=dict)  # label -> gold texts


@dataclass
class Corpus:
    """Every segment of every meeting as one sparse matrix of raw feature counts."""

    meetings: list[Meeting]
    terms: list[str]
    blocks: np.ndarray  # block name per term
    counts: sp.csr_matrix  # segments x terms
    rows: list[np.ndarray]  # per meeting, its row numbers
    y: dict[str, np.ndarray]  # label -> bool per row
    column: dict[str, int] = field(default_factory=dict)  # term -> its column

    def __post_init__(self) -> None:
        self.column = {t: j for j, t in enumerate(self.terms)}

    def rows_of(self, meetings: Sequence[int]) -> np.ndarray:
        return np.concatenate([self.rows[m] for m in meetings])


def group_of(meeting_id: str) -> str:
    """AMI ids are a series and a letter (ES2008a); other ids are their own group."""
    return meeting_id[:-1] if len(meeting_id) > 1 and meeting_id[-1].isalpha() else meeting_id


def load_meetings(path: Path) -> list[Meeting]:
    meetings = []
    for m in load_dataset(path):
        if not m.labels.evidence_labelled:
            continue
        transcript = m.load_transcript()
        gold = gold_utterances(
            m.transcript_path,
            transcript,
            [g.evidence or [] for g in m.labels.action_items],
            [g.evidence or [] for g in m.labels.decisions],
        )
        meetings.append(
            Meeting(
                id=m.id,
                group=group_of(m.id),
                transcript=transcript,
                gold={"action": gold.action_items, "decision": gold.decisions},
                gold_items={
                    "action": [g.action for g in m.labels.action_items],
                    "decision": [g.decision for g in m.labels.decisions],
                },
            )
        )
    return meetings


def build_corpus(meetings: list[Meeting]) -> Corpus:
    index: dict[str, int] = {}
    indptr, cols, vals = [0], [], []
    rows, start = [], 0
    y: dict[str, list[bool]] = {label: [] for label in LABELS}
    for m in meetings:
        segments = m.transcript.segments
        for seg, feats in zip(segments, raw_features(segments), strict=True):
            for term, count in feats.items():
                cols.append(index.setdefault(term, len(index)))
                vals.append(count)
            indptr.append(len(cols))
            for label in LABELS:
                y[label].append(seg.index in m.gold[label])
        rows.append(np.arange(start, start + len(segments)))
        start += len(segments)
    terms = list(index)
    counts = sp.csr_matrix(
        (np.asarray(vals, dtype=np.float64), np.asarray(cols), np.asarray(indptr)),
        shape=(start, len(terms)),
    )
    return Corpus(
        meetings=meetings,
        terms=terms,
        blocks=np.array([block(t) for t in terms]),
        counts=counts,
        rows=rows,
        y={label: np.asarray(v, dtype=bool) for label, v in y.items()},
    )


def design(corpus: Corpus, rows: np.ndarray, cols: np.ndarray, idf: np.ndarray) -> sp.csr_matrix:
    """Rows x ``cols`` as :func:`minutes.extractive.detector.weigh` weighs them: sublinear
    TF-IDF in the weighted blocks, each block scaled to unit length over ``cols``; flags
    as they are. ``idf`` is aligned with ``cols``."""
    x = corpus.counts[rows][:, cols].tocsr()
    x.sort_indices()
    weighted = np.isin(corpus.blocks[cols], WEIGHTED_BLOCKS)
    w = weighted[x.indices]
    x.data = np.where(w, (1.0 + np.log(np.maximum(x.data, 1.0))) * idf[x.indices], x.data)
    block_ids = np.unique(corpus.blocks[cols], return_inverse=True)[1]
    row_of = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
    key = row_of * (block_ids.max() + 1) + block_ids[x.indices]
    sums = np.bincount(key[w], weights=x.data[w] ** 2, minlength=int(key.max(initial=0)) + 1)
    norms = np.sqrt(sums[key])
    x.data = np.where(w & (norms > 0), x.data / np.where(norms > 0, norms, 1.0), x.data)
    return x


def _short(values: np.ndarray) -> np.ndarray:
    """Five significant digits, as the file keeps them: what is evaluated is what ships."""
    return np.array([float(f"{v:.5g}") for v in values], dtype=np.float64)


def fit(corpus: Corpus, meetings: Sequence[int], seed: int) -> Detector:
    """The detector trained on ``meetings``; thresholds are left at 0.5 (see :func:`train`)."""
    from sklearn.linear_model import LogisticRegression

    rows = corpus.rows_of(meetings)
    df = np.asarray((corpus.counts[rows] > 0).sum(axis=0)).ravel()
    n = len(rows)
    idf_all = np.log((1.0 + n) / (1.0 + df)) + 1.0

    def fit_label(cols: np.ndarray, label: str) -> tuple[np.ndarray, float]:
        s = SETTINGS[label]
        # Scaled over all of ``cols``, as the detector will scale them; the label then
        # sees its own blocks and its own common-enough terms only.
        x = design(corpus, rows, cols, _short(idf_all[cols]))
        mine = df[cols] >= s.min_df
        if s.blocks is not None:
            mine &= np.isin(corpus.blocks[cols], s.blocks)
        # The dual problem: the same optimum, found several times faster when there are
        # about as many terms as segments.
        model = LogisticRegression(
            C=s.C,
            class_weight="balanced",
            solver="liblinear",
            dual=True,
            max_iter=5000,
            random_state=seed,
        )
        model.fit(x[:, np.flatnonzero(mine)], corpus.y[label][rows])
        weights = np.zeros(len(cols))
        weights[mine] = model.coef_[0]
        return weights, float(model.intercept_[0])

    vocab = np.flatnonzero(df >= MIN_DF)
    kept: set[int] = set()
    for label in LABELS:
        weights, _ = fit_label(vocab, label)
        top = np.argsort(-np.abs(weights), kind="stable")[: SETTINGS[label].keep]
        kept.update(int(vocab[j]) for j in top if weights[j] != 0)
    # Sorted by name: the file reads in a stable order whatever the corpus order was.
    final = np.array(sorted(kept, key=lambda j: corpus.terms[j]), dtype=np.int64)
    labels = {}
    for label in LABELS:
        weights, bias = fit_label(final, label)
        labels[label] = LabelModel(
            weights=_short(weights), bias=float(f"{bias:.5g}"), threshold=0.5
        )
    return Detector(
        terms=tuple(corpus.terms[j] for j in final), idf=_short(idf_all[final]), labels=labels
    )


def probabilities(corpus: Corpus, det: Detector, rows: np.ndarray) -> dict[str, np.ndarray]:
    """What ``det.probabilities`` gives for these rows, computed on the sparse matrix."""
    cols = np.array([corpus.column[t] for t in det.terms], dtype=np.int64)
    x = design(corpus, rows, cols, det.idf)
    out = {}
    for label, model in det.labels.items():
        z = x @ model.weights + model.bias
        out[label] = 1.0 / (1.0 + np.exp(-np.asarray(z).ravel()))
    return out


def best_threshold(p: np.ndarray, y: np.ndarray) -> float:
    """The probability cut with the best F1 on (p, y); ties go to the higher cut."""
    order = np.argsort(-p, kind="stable")
    hits = np.cumsum(y[order])
    f1 = 2 * hits / (np.arange(1, len(p) + 1) + y.sum())
    # A cut must separate two distinct scores: the midpoint below the chosen one.
    k = int(np.argmax(f1))
    below = p[order][k + 1] if k + 1 < len(p) else 0.0
    return float((p[order][k] + below) / 2)


def oracle_f1(p: np.ndarray, y: np.ndarray) -> float:
    """The best F1 over all thresholds: what a threshold picked on the test data gives."""
    hits = np.cumsum(y[np.argsort(-p, kind="stable")])
    return float(np.max(2 * hits / (np.arange(1, len(p) + 1) + y.sum())))


def grouped_folds(corpus: Corpus, meetings: Sequence[int], k: int, seed: int) -> list[list[int]]:
    """``k`` folds of ``meetings``, whole groups each, groups dealt in a seeded order to the
    fold with the fewest segments so far."""
    groups: dict[str, list[int]] = {}
    for m in meetings:
        groups.setdefault(corpus.meetings[m].group, []).append(m)
    names = sorted(groups)
    order = np.random.default_rng(seed).permutation(len(names))
    folds: list[list[int]] = [[] for _ in range(k)]
    sizes = [0] * k
    for g in order:
        f = int(np.argmin(sizes))
        folds[f].extend(groups[names[g]])
        sizes[f] += sum(len(corpus.rows[m]) for m in groups[names[g]])
    return [sorted(f) for f in folds]


def out_of_fold(
    corpus: Corpus, meetings: Sequence[int], k: int, seed: int
) -> tuple[dict[str, np.ndarray], np.ndarray, list[tuple[list[int], Detector]]]:
    """Each meeting's probabilities from a detector not trained on its group; the rows they
    belong to; and each fold's (test meetings, detector)."""
    rows = corpus.rows_of(meetings)
    position = {int(r): i for i, r in enumerate(rows)}
    probs = {label: np.zeros(len(rows)) for label in LABELS}
    fitted = []
    for test in grouped_folds(corpus, meetings, k, seed):
        train_ = [m for m in meetings if m not in test]
        det = fit(corpus, train_, seed)
        test_rows = corpus.rows_of(test)
        where = np.array([position[int(r)] for r in test_rows])
        for label, p in probabilities(corpus, det, test_rows).items():
            probs[label][where] = p
        fitted.append((test, det))
    return probs, rows, fitted


def with_thresholds(det: Detector, thresholds: dict[str, float]) -> Detector:
    return Detector(
        terms=det.terms,
        idf=det.idf,
        labels={
            label: LabelModel(m.weights, m.bias, round(thresholds[label], 6))
            for label, m in det.labels.items()
        },
        provenance=det.provenance,
    )


def train(corpus: Corpus, meetings: Sequence[int], inner: int, seed: int) -> Detector:
    """Fitted on ``meetings``, thresholds from an inner cross-validation of them alone."""
    probs, rows, _ = out_of_fold(corpus, meetings, inner, seed)
    thresholds = {label: best_threshold(probs[label], corpus.y[label][rows]) for label in LABELS}
    return with_thresholds(fit(corpus, meetings, seed), thresholds)


# --- what the figures compare ---------------------------------------------------------------


def detector_utterances(corpus: Corpus, det: Detector, m: int) -> dict[str, frozenset[int]]:
    rows = corpus.rows[m]
    segments = corpus.meetings[m].transcript.segments
    return {
        label: frozenset(
            segments[i].index for i in np.flatnonzero(p >= det.labels[label].threshold)
        )
        for label, p in probabilities(corpus, det, rows).items()
    }


def cue_lines(transcript: Transcript) -> dict[str, list[int]]:
    """The every-cue-line baseline: each segment that has any cue of the label."""
    return {
        label: [s.index for s in transcript.segments if pattern.search(s.text)]
        for label, pattern in CUE_LINES.items()
    }


def notes_utterances(notes: MeetingNotes) -> dict[str, frozenset[int]]:
    return {
        "action": cited_segments(a.sources for a in notes.action_items),
        "decision": cited_segments(d.sources for d in notes.decisions),
    }


def notes_items(notes: MeetingNotes) -> dict[str, list[str]]:
    return {
        "action": [a.task for a in notes.action_items],
        "decision": [d.decision for d in notes.decisions],
    }


Scores = dict[str, dict[str, list[PRF]]]  # system -> label -> per-meeting PRF, in fold order


def _fmt(p: PRF) -> str:
    return f"{p.precision:.3f} / {p.recall:.3f} / {p.f1:.3f}"


def print_table(title: str, per_fold: list[Scores], systems: list[str]) -> dict[str, Any]:
    """Per fold and pooled P / R / F1 per system and label; returns the pooled figures."""
    print(f"\n{title}")
    print("| fold | meetings | system | action P / R / F1 | decision P / R / F1 |")
    print("|---|--:|---|---|---|")
    totals: dict[str, dict[str, PRF]] = {s: {label: PRF() for label in LABELS} for s in systems}
    for f, scores in enumerate(per_fold, 1):
        for s in systems:
            cells = []
            for label in LABELS:
                p = pooled(scores[s][label])
                totals[s][label] = totals[s][label] + p
                cells.append(_fmt(p))
            n = len(scores[s]["action"])
            print(f"| {f} | {n} | {s} | {cells[0]} | {cells[1]} |")
    for s in systems:
        a, d = totals[s]["action"], totals[s]["decision"]
        print(f"| pooled | | {s} | **{_fmt(a)}** | **{_fmt(d)}** |")
    return {
        s: {label: p.model_dump() for label, p in by_label.items()}
        for s, by_label in totals.items()
    }


def item_scorer() -> Callable[[list[str], list[str]], PRF] | None:
    """Item-level matching as ``minutes eval`` does it, when its extras are installed."""
    try:
        from minutes.evaluation.runner import DEFAULT_THRESHOLD, score_items
        from minutes.evaluation.similarity import minilm_similarity

        similarity = minilm_similarity()
    except Exception as exc:  # the optional extras: say why and go on without them
        print(f"item-level figures skipped: {exc}", file=sys.stderr)
        return None

    def score(predicted: list[str], gold: list[str]) -> PRF:
        return score_items(predicted, gold, similarity, DEFAULT_THRESHOLD)[0].counts

    return score


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ami_dir(), help="labelled AMI folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH, help="model file to write")
    parser.add_argument("--folds", type=int, default=5, help="outer folds (by AMI series)")
    parser.add_argument("--inner-folds", type=int, default=5, help="folds to pick thresholds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--items", action="store_true", help="item-level figures too (MiniLM)")
    parser.add_argument("--no-write", action="store_true", help="evaluate only")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    meetings = load_meetings(args.data)
    corpus = build_corpus(meetings)
    everything = list(range(len(meetings)))
    n_pos = {label: int(corpus.y[label].sum()) for label in LABELS}
    print(
        f"{len(meetings)} meetings ({len({m.group for m in meetings})} series), "
        f"{corpus.counts.shape[0]} segments; gold segments: {n_pos['action']} action, "
        f"{n_pos['decision']} decision; {len(corpus.terms)} distinct features"
    )

    score_items = item_scorer() if args.items else None
    systems = ["detector", "rules (engine today)", "engine + detector", "every cue line"]
    per_fold: list[Scores] = []
    per_fold_items: list[Scores] = []
    outer_probs = {label: np.zeros(corpus.counts.shape[0]) for label in LABELS}
    for f, test in enumerate(grouped_folds(corpus, everything, args.folds, args.seed), 1):
        train_ = [m for m in everything if m not in test]
        det = train(corpus, train_, args.inner_folds, args.seed)
        thresholds = ", ".join(f"{k} {v.threshold:.3f}" for k, v in det.labels.items())
        print(f"fold {f}: {len(test)} test meetings, thresholds {thresholds}", file=sys.stderr)
        scores: Scores = {s: {label: [] for label in LABELS} for s in systems}
        items: Scores = {s: {label: [] for label in LABELS} for s in systems[1:]}
        test_rows = corpus.rows_of(test)
        for label, p in probabilities(corpus, det, test_rows).items():
            outer_probs[label][test_rows] = p
        for m in test:
            meeting = corpus.meetings[m]
            rules = summarize_extractive(meeting.transcript, detector=None)
            combined = summarize_extractive(meeting.transcript, detector=det)
            cues = cue_lines(meeting.transcript)
            predicted = {
                "detector": detector_utterances(corpus, det, m),
                "rules (engine today)": notes_utterances(rules),
                "engine + detector": notes_utterances(combined),
                "every cue line": {k: frozenset(v) for k, v in cues.items()},
            }
            for s in systems:
                for label in LABELS:
                    scores[s][label].append(utterance_prf(predicted[s][label], meeting.gold[label]))
            if score_items is not None:
                by_index = {seg.index: seg.text for seg in meeting.transcript.segments}
                texts = {
                    "rules (engine today)": notes_items(rules),
                    "engine + detector": notes_items(combined),
                    "every cue line": {k: [by_index[i] for i in v] for k, v in cues.items()},
                }
                for s, by_label in texts.items():
                    for label in LABELS:
                        items[s][label].append(
                            score_items(by_label[label], meeting.gold_items[label])
                        )
        per_fold.append(scores)
        per_fold_items.append(items)

    cv = print_table("Utterance level (segments), cross-validated by AMI series", per_fold, systems)
    cv_items = None
    if score_items is not None:
        cv_items = print_table(
            "Item level (MiniLM cosine >= 0.50, one-to-one), cross-validated",
            per_fold_items,
            systems[1:],
        )

    # The shipped model: every meeting; thresholds from the outer folds' probabilities,
    # which no model saw the meetings of.
    thresholds = {label: best_threshold(outer_probs[label], corpus.y[label]) for label in LABELS}
    optimistic = {label: oracle_f1(outer_probs[label], corpus.y[label]) for label in LABELS}
    print(
        "\nFor comparison only, the best F1 a threshold could give on the pooled out-of-fold "
        "probabilities (chosen on the test folds, so optimistic): "
        + ", ".join(f"{label} {f:.3f}" for label, f in optimistic.items())
    )
    shipped = with_thresholds(fit(corpus, everything, args.seed), thresholds)
    _check_same_scores(corpus, shipped)
    elapsed = time.perf_counter() - started
    command = "python scripts/train_detector.py" + (" " + " ".join(argv) if argv else "")
    if argv is None and sys.argv[1:]:
        command = "python scripts/train_detector.py " + " ".join(sys.argv[1:])
    provenance = {
        "data": "AMI Meeting Corpus, manual annotations 1.6.2: the ami-dev meetings "
        f"({len(meetings)} meetings, {len({m.group for m in meetings})} series); labels from "
        "the evidence links of their action items and decisions",
        "licence": "CC BY 4.0, AMI Meeting Corpus",
        "attribution": "AMI Meeting Corpus (https://groups.inf.ed.ac.uk/ami/corpus/)",
        "meetings": [m.id for m in meetings],
        "trained": dt.date.today().isoformat(),
        "command": command,
        "seed": args.seed,
        "model": "logistic regression per label (scikit-learn liblinear, balanced class "
        f"weights), terms in >= {MIN_DF} training segments, pruned by weight and refitted",
        "settings": {
            label: {"C": s.C, "keep": s.keep, "blocks": list(s.blocks) if s.blocks else "all"}
            for label, s in SETTINGS.items()
        },
        "threshold": "best F1 on out-of-fold probabilities of the outer cross-validation",
        "cross_validation": {
            "folds": args.folds,
            "inner_folds": args.inner_folds,
            "grouped_by": "AMI series (a team's meetings a-d)",
            "utterance_level_pooled": cv,
            "optimistic_f1_threshold_on_test": optimistic,
            **({"item_level_pooled": cv_items} if cv_items else {}),
        },
        "train_seconds": round(elapsed, 1),
    }
    shipped = Detector(
        terms=shipped.terms, idf=shipped.idf, labels=shipped.labels, provenance=provenance
    )
    size = len(json.dumps(shipped.to_json(), separators=(",", ":")))
    print(
        f"\nshipped model: {len(shipped.terms)} terms, thresholds "
        + ", ".join(f"{k} {v.threshold:.3f}" for k, v in shipped.labels.items())
        + f"; {size / 1024:.0f} KiB; {elapsed:.0f} s"
    )
    if not args.no_write:
        write_model(shipped, args.out)
        print(f"wrote {args.out}")
    return 0


def write_model(det: Detector, path: Path) -> None:
    data = det.to_json()
    assert data["format"] == FORMAT
    # One term a line: a diff of two trainings reads term by term.
    head = {k: v for k, v in data.items() if k != "terms"}
    text = json.dumps(head, indent=1, ensure_ascii=False)[:-2]
    lines = ",\n".join(json.dumps(row, ensure_ascii=False) for row in data["terms"])
    path.write_text(f'{text},\n "terms": [\n{lines}\n ]\n}}\n', encoding="utf-8")


def _check_same_scores(corpus: Corpus, det: Detector) -> None:
    """The sparse path above, the engine's scoring and the documented weighting
    (:func:`~minutes.extractive.detector.weigh`) must give the same probabilities."""
    m = corpus.meetings[0]
    ours = probabilities(corpus, det, corpus.rows[0])
    engine = det.probabilities(m.transcript.segments)
    rows = weigh(raw_features(m.transcript.segments), det.index, det.idf)
    for label, model in det.labels.items():
        z = np.array([model.bias + float(v @ model.weights[c]) for c, v in rows])
        plain = 1.0 / (1.0 + np.exp(-z))
        gap = max(float(np.max(np.abs(ours[label] - p))) for p in (engine[label], plain))
        if gap > 1e-9:
            raise SystemExit(f"training and inference disagree on {label}: {gap:g}")


if __name__ == "__main__":
    sys.exit(main())
