"""The evaluation's figures, as pure functions of predictions and gold labels.

Matching. A predicted item matches a gold item when the similarity of their texts reaches
``threshold``; matches are one-to-one. Among all one-to-one matchings that use only pairs at
or above the threshold, we take one with the most pairs, and among those the highest total
similarity: the Hungarian algorithm (``scipy.optimize.linear_sum_assignment``) on weights
``bonus + similarity`` for admissible pairs and 0 otherwise, where the bonus exceeds any total
similarity so that one more pair always wins. A predicted duplicate of an already matched
item therefore counts as a false positive, and one prediction never covers two gold items.

Scores. Precision = matched / predicted, recall = matched / gold, F1 their harmonic mean.
When a side is empty: nothing predicted and nothing to find scores 1 on all three; anything
else with an empty side scores 0 (the empty side had nothing right). Over a dataset the
counts are pooled first (micro-average), so a meeting with many items weighs more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from pydantic import BaseModel, computed_field

from minutes.items.grounding import quote_index
from minutes.transcripts.models import Transcript

# (predicted texts, gold texts) -> matrix of shape (len(predicted), len(gold)), values in [-1, 1]
Similarity = Callable[[Sequence[str], Sequence[str]], np.ndarray]


@dataclass(frozen=True, slots=True)
class Match:
    predicted: int
    gold: int
    score: float


def match_matrix(scores: np.ndarray, threshold: float) -> list[Match]:
    """The maximum one-to-one matching of rows to columns using only cells ≥ ``threshold``
    (most pairs first, then the highest total score), sorted by row."""
    if scores.ndim != 2:
        raise ValueError(f"expected a 2-d similarity matrix, got shape {scores.shape}")
    if scores.size == 0:
        return []
    try:
        from scipy.optimize import linear_sum_assignment
    except ModuleNotFoundError as exc:  # an optional dependency of the eval harness
        from minutes.errors import ConfigError

        raise ConfigError(f"matching needs scipy ({exc}); pip install 'minutes[eval]'") from None

    admissible = scores >= threshold
    if not admissible.any():
        return []
    # Any one pair's bonus outweighs the whole similarity total of a matching (≤ min(n, m)).
    bonus = float(min(scores.shape)) + 1.0
    weights = np.where(admissible, bonus + scores, 0.0)
    rows, cols = linear_sum_assignment(weights, maximize=True)
    pairs = [
        Match(int(r), int(c), float(scores[r, c]))
        for r, c in zip(rows, cols, strict=True)
        if admissible[r, c]
    ]
    return sorted(pairs, key=lambda m: m.predicted)


def match_items(
    predicted: Sequence[str], gold: Sequence[str], similarity: Similarity, threshold: float
) -> list[Match]:
    """One-to-one matches of ``predicted`` to ``gold`` texts (see the module docstring)."""
    if not predicted or not gold:
        return []
    scores = np.asarray(similarity(predicted, gold), dtype=float)
    if scores.shape != (len(predicted), len(gold)):
        raise ValueError(
            f"similarity returned shape {scores.shape}, expected {(len(predicted), len(gold))}"
        )
    return match_matrix(scores, threshold)


class PRF(BaseModel):
    """Matched / predicted / gold counts, and the precision, recall and F1 they give."""

    matched: int = 0
    predicted: int = 0
    gold: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def precision(self) -> float:
        return _ratio(self.matched, self.predicted, both_empty=self.gold == 0)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def recall(self) -> float:
        return _ratio(self.matched, self.gold, both_empty=self.predicted == 0)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def f1(self) -> float:
        if self.predicted == 0 and self.gold == 0:
            return 1.0
        return 2 * self.matched / (self.predicted + self.gold)

    def __add__(self, other: PRF) -> PRF:
        return PRF(
            matched=self.matched + other.matched,
            predicted=self.predicted + other.predicted,
            gold=self.gold + other.gold,
        )


def _ratio(num: int, den: int, *, both_empty: bool) -> float:
    if den:
        return num / den
    return 1.0 if both_empty else 0.0


def prf(matches: Sequence[Match], n_predicted: int, n_gold: int) -> PRF:
    return PRF(matched=len(matches), predicted=n_predicted, gold=n_gold)


def pooled(scores: Iterable[PRF]) -> PRF:
    """Micro-average: the counts of every meeting added up."""
    total = PRF()
    for s in scores:
        total = total + s
    return total


class Rate(BaseModel):
    """``hits`` out of ``total``; the rate is ``None`` when there was nothing to count."""

    hits: int = 0
    total: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rate(self) -> float | None:
        return self.hits / self.total if self.total else None

    def __add__(self, other: Rate) -> Rate:
        return Rate(hits=self.hits + other.hits, total=self.total + other.total)


def pooled_rate(rates: Iterable[Rate]) -> Rate:
    total = Rate()
    for r in rates:
        total = total + r
    return total


def _name_words(name: str) -> list[str]:
    return "".join(c if c.isalnum() else " " for c in name.casefold()).split()


def same_person(predicted: str | None, gold: str | None) -> bool:
    """Whether two assignees name the same person: both unassigned, or equal ignoring case
    and punctuation, or one is the other's leading words ("Maya" and "Maya Chen")."""
    if predicted is None or gold is None:
        return predicted is None and gold is None
    p, g = _name_words(predicted), _name_words(gold)
    if not p or not g:
        return p == g
    shorter, longer = (p, g) if len(p) <= len(g) else (g, p)
    return longer[: len(shorter)] == shorter


class Rouge(BaseModel):
    """ROUGE F-measures (0..1): unigram, bigram and longest-common-subsequence overlap."""

    rouge1: float = 0.0
    rouge2: float = 0.0
    rougeL: float = 0.0  # mixed case: the metric's usual name


@lru_cache(maxsize=1)
def _scorer() -> Any:
    try:
        from rouge_score import rouge_scorer
    except ModuleNotFoundError as exc:  # an optional dependency of the eval harness
        from minutes.errors import ConfigError

        raise ConfigError(
            f"ROUGE needs the rouge-score package ({exc}); pip install 'minutes[eval]'"
        ) from None
    # Porter stemming, as in the ROUGE-1.5.5 '-m' runs most papers report; 'rougeL' is the
    # LCS over the whole text (not per sentence).
    return rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)


def rouge(candidate: str, reference: str) -> Rouge:
    """ROUGE-1/2/L F-measures of ``candidate`` against ``reference``; 0 when either is empty."""
    if not candidate.strip() or not reference.strip():
        return Rouge()
    s = _scorer().score(reference, candidate)
    return Rouge(
        rouge1=s["rouge1"].fmeasure, rouge2=s["rouge2"].fmeasure, rougeL=s["rougeL"].fmeasure
    )


def mean_rouge(scores: Sequence[Rouge]) -> Rouge:
    if not scores:
        return Rouge()
    n = len(scores)
    return Rouge(
        rouge1=sum(s.rouge1 for s in scores) / n,
        rouge2=sum(s.rouge2 for s in scores) / n,
        rougeL=sum(s.rougeL for s in scores) / n,
    )


def grounding(transcript: Transcript, quotes_per_item: Iterable[Sequence[str]]) -> Rate:
    """How many items have at least one quote that is really in the transcript.

    Checked again here with :mod:`minutes.items.grounding`, independently of what the pipeline
    claimed: an item without any quote counts as ungrounded."""
    index = quote_index(transcript)
    rate = Rate()
    for quotes in quotes_per_item:
        found = any(index.locate(q) is not None for q in quotes if q.strip())
        rate = rate + Rate(hits=int(found), total=1)
    return rate


def cosine_similarity(embed: Callable[[list[str]], list[list[float]]]) -> Similarity:
    """A :data:`Similarity` from an embedding function (vectors need not be normalised)."""

    def similarity(predicted: Sequence[str], gold: Sequence[str]) -> np.ndarray:
        vectors = np.asarray(embed([*predicted, *gold]), dtype=float)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = vectors / np.where(norms == 0, 1.0, norms)
        p, g = vectors[: len(predicted)], vectors[len(predicted) :]
        return p @ g.T

    return similarity


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100, linear interpolation); ``None`` for no values."""
    if not values:
        return None
    return float(np.percentile(np.asarray(values, dtype=float), q))
