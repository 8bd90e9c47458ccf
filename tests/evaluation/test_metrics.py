"""Metric functions on hand-computed cases: perfect, empty, partial and duplicate matches, the
one-to-one matching itself, attribute comparison, ROUGE and grounding."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from minutes.evaluation.metrics import (
    PRF,
    Rate,
    cosine_similarity,
    grounding,
    match_items,
    match_matrix,
    mean_rouge,
    percentile,
    pooled,
    prf,
    rouge,
    same_person,
)
from minutes.transcripts.models import Segment, Transcript


def exact(predicted: Sequence[str], gold: Sequence[str]) -> np.ndarray:
    """1 for the same text (ignoring case), else 0: a similarity whose matches are obvious."""
    return np.array([[float(p.lower() == g.lower()) for g in gold] for p in predicted])


def scores(predicted: list[str], gold: list[str]) -> PRF:
    return prf(match_items(predicted, gold, exact, 0.5), len(predicted), len(gold))


def test_perfect_match() -> None:
    s = scores(["a", "b", "c"], ["c", "b", "a"])
    assert (s.matched, s.precision, s.recall, s.f1) == (3, 1.0, 1.0, 1.0)


@pytest.mark.parametrize(
    ("predicted", "gold", "expected"),
    [
        ([], [], (1.0, 1.0, 1.0)),  # nothing to find, nothing claimed
        ([], ["a", "b"], (0.0, 0.0, 0.0)),  # everything missed
        (["a", "b"], [], (0.0, 0.0, 0.0)),  # everything invented
    ],
)
def test_empty_sides(predicted: list[str], gold: list[str], expected: tuple[float, ...]) -> None:
    s = scores(predicted, gold)
    assert (s.precision, s.recall, s.f1) == expected


def test_partial_match() -> None:
    s = scores(["a", "b", "x"], ["a", "b", "c", "d"])
    # 2 of 3 predictions right, 2 of 4 gold found: F1 = 2·2 / (3 + 4)
    assert (s.matched, s.predicted, s.gold) == (2, 3, 4)
    assert s.precision == pytest.approx(2 / 3)
    assert s.recall == pytest.approx(1 / 2)
    assert s.f1 == pytest.approx(4 / 7)


def test_a_duplicate_prediction_is_a_false_positive() -> None:
    s = scores(["a", "A", "b"], ["a", "b"])
    assert (s.matched, s.precision, s.recall) == (2, pytest.approx(2 / 3), 1.0)
    assert s.f1 == pytest.approx(0.8)


def test_one_prediction_cannot_cover_duplicate_gold_items() -> None:
    s = scores(["a"], ["a", "a"])
    assert (s.matched, s.precision, s.recall) == (1, 1.0, 0.5)


def test_matching_maximises_pairs_where_greedy_would_not() -> None:
    m = np.array([[0.9, 0.8], [0.85, 0.0]])
    # greedy takes (0,0) at 0.9 and leaves row 1 without a partner; the optimum pairs both
    assert [(x.predicted, x.gold) for x in match_matrix(m, 0.5)] == [(0, 1), (1, 0)]


def test_more_pairs_beat_a_higher_total_similarity() -> None:
    m = np.array([[1.0, 0.35], [0.35, 0.0]])
    # one pair scores 1.0, two pairs 0.7 in total: two matched items is the better count
    assert len(match_matrix(m, 0.3)) == 2
    assert [(x.predicted, x.gold) for x in match_matrix(m, 0.5)] == [(0, 0)]


def test_the_threshold_is_inclusive_and_below_it_nothing_matches() -> None:
    m = np.array([[0.6, 0.59]])
    assert [(x.gold, x.score) for x in match_matrix(m, 0.6)] == [(0, 0.6)]
    assert match_matrix(np.array([[0.2, 0.1]]), 0.6) == []
    assert match_matrix(np.zeros((0, 3)), 0.6) == []


def test_a_similarity_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="shape"):
        match_items(["a"], ["b", "c"], lambda p, g: np.zeros((2, 2)), 0.5)


def test_pooling_adds_counts_before_dividing() -> None:
    total = pooled([PRF(matched=1, predicted=1, gold=4), PRF(matched=3, predicted=4, gold=4)])
    assert (total.matched, total.predicted, total.gold) == (4, 5, 8)
    assert total.precision == pytest.approx(0.8) and total.recall == pytest.approx(0.5)
    assert pooled([]).f1 == 1.0  # no meeting: nothing missed, nothing invented


def test_rate_is_none_without_anything_to_count() -> None:
    assert Rate().rate is None
    assert (Rate(hits=1, total=2) + Rate(hits=2, total=2)).rate == pytest.approx(0.75)


@pytest.mark.parametrize(
    ("predicted", "gold", "same"),
    [
        ("Maya Chen", "Maya Chen", True),
        ("maya chen", "Maya Chen", True),
        ("Maya", "Maya Chen", True),  # a first name for the full name
        ("Maya Chen", "Maya", True),
        ("Chen", "Maya Chen", False),  # only leading words count
        ("Tom Okafor", "Maya Chen", False),
        (None, None, True),  # both unassigned
        (None, "Maya Chen", False),
        ("Maya Chen", None, False),
    ],
)
def test_same_person(predicted: str | None, gold: str | None, same: bool) -> None:
    assert same_person(predicted, gold) is same


def test_rouge_by_hand() -> None:
    r = rouge("the cat sat", "the cat sat on the mat")
    # unigrams: 3 of 3 candidate words in the reference, 3 of 6 reference words covered
    assert r.rouge1 == pytest.approx(2 * 1 * 0.5 / 1.5)
    # bigrams: "the cat", "cat sat" both in the reference's 5 bigrams
    assert r.rouge2 == pytest.approx(2 * 1 * 0.4 / 1.4)
    assert r.rougeL == pytest.approx(r.rouge1)  # the LCS is the whole candidate
    # "mat sat" against "... sat on the mat": the words come in the other order, so the
    # longest common subsequence is one word: P = 1/2, R = 1/6, F = 2PR / (P + R) = 1/4
    assert rouge("Mat sat.", "the cat sat on the mat").rougeL == pytest.approx(0.25)


def test_rouge_edges() -> None:
    same = rouge("Budget approved.", "budget approved")
    assert (same.rouge1, same.rouge2, same.rougeL) == (1.0, 1.0, 1.0)
    assert rouge("", "anything").rouge1 == 0.0
    assert rouge("apples", "oranges").rougeL == 0.0
    mean = mean_rouge([same, rouge("apples", "oranges")])
    assert (mean.rouge1, mean.rouge2) == (0.5, 0.5)


def test_grounding_checks_each_quote_against_the_transcript() -> None:
    transcript = Transcript(
        segments=[
            Segment(index=0, speaker="Ann", text="Um, I'll send the deck to Lena on Friday."),
            Segment(index=1, speaker="Bob", text="We decided to keep the old vendor."),
        ]
    )
    rate = grounding(
        transcript,
        [
            ["I'll send the deck to Lena on Friday"],  # verbatim, filler aside
            ["invented words that nobody said", "keep the old vendor"],  # one real quote is enough
            ["we decided to drop the old vendor"],  # a changed word is not a quote
            [],  # no quote at all
        ],
    )
    assert (rate.hits, rate.total) == (2, 4)


def test_cosine_similarity_normalises_vectors() -> None:
    vectors = {"a": [2.0, 0.0], "b": [1.0, 1.0], "c": [0.0, 3.0]}
    sim = cosine_similarity(lambda texts: [vectors[t] for t in texts])
    m = sim(["a", "b"], ["a", "c"])
    assert m == pytest.approx(np.array([[1.0, 0.0], [2**-0.5, 2**-0.5]]))


def test_percentile() -> None:
    assert percentile([], 95) is None
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert percentile([1.0, 2.0], 95) == pytest.approx(1.95)
