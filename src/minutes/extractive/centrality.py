"""Sentence centrality: TF-IDF vectors and TextRank over their cosine-similarity graph.

Pure Python on sparse dicts for a meeting; the similarity graph is built through an inverted
index, so only sentences that share a word are compared. Words in more than a fifth of the
sentences are left out of the graph (they link everything to everything and carry little
IDF weight anyway). A transcript so long that the graph would not fit is ranked with numpy
without building it (see :func:`textrank`): time and memory grow with the transcript, not
with its square.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

Vector = dict[str, float]


def stem(word: str) -> str:
    """Light suffix stripping, so "buttons"/"button" and "designing"/"design" meet.

    Not a real stemmer; it only has to be consistent, since stems are never shown.
    """
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    else:
        if word.endswith(("ses", "xes", "zes", "ches", "shes")):
            word = word[:-2]
        elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
            word = word[:-1]
    # "remote"/"remot(es)", "make"/"mak(ing)": drop a final e so both forms meet.
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def tfidf(docs: Sequence[Sequence[str]]) -> tuple[list[Vector], dict[str, float]]:
    """L2-normalised TF-IDF vectors (sublinear tf, smoothed idf) and the idf table."""
    n = len(docs)
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(set(doc))
    idf = {w: math.log((1 + n) / (1 + c)) + 1.0 for w, c in df.items()}
    vectors: list[Vector] = []
    for doc in docs:
        tf = Counter(doc)
        vec = {w: (1.0 + math.log(c)) * idf[w] for w, c in tf.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        vectors.append({w: v / norm for w, v in vec.items()})
    return vectors, idf


def cosine(a: Vector, b: Vector) -> float:
    """Cosine of two L2-normalised sparse vectors."""
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(w, 0.0) for w, v in a.items())


# Up to this many pairs of sentences sharing a word, the graph is built (the pure-Python
# steps below); beyond, the steps run without it, with numpy. An ordinary meeting has a
# few thousand pairs (AMI's largest: 5,000), so its scores are what they always were, ties
# between equal sentences broken the same way; a 10 MB transcript has billions.
EXPLICIT_GRAPH_PAIRS = 100_000


def textrank(
    vectors: Sequence[Vector],
    *,
    damping: float = 0.85,
    iterations: int = 50,
    tolerance: float = 1e-6,
    max_df_ratio: float = 0.2,
) -> list[float]:
    """PageRank scores over the weighted cosine-similarity graph of ``vectors``.

    The graph links every two sentences that share a word in at most ``max_df_ratio`` of
    them, weighted by the dot product over those words. Its number of edges grows with the
    square of the meeting; past :data:`EXPLICIT_GRAPH_PAIRS` it is not built (see
    :func:`_textrank_implicit`), which gives the same scores in linear time and memory.
    """
    n = len(vectors)
    if n == 0:
        return []
    if n == 1:
        return [1.0]
    df: Counter[str] = Counter(w for vec in vectors for w in vec)
    max_df = max(2, int(max_df_ratio * n))
    kept = [{w: v for w, v in vec.items() if df[w] <= max_df} for vec in vectors]
    pairs = sum(c * (c - 1) // 2 for c in df.values() if c <= max_df)
    if pairs > EXPLICIT_GRAPH_PAIRS:
        return _textrank_implicit(kept, damping, iterations, tolerance)
    return _textrank_explicit(kept, damping, iterations, tolerance)


def _textrank_explicit(
    vectors: Sequence[Vector], damping: float, iterations: int, tolerance: float
) -> list[float]:
    """TextRank on the graph built through an inverted index (only sentences that share a
    word are compared)."""
    n = len(vectors)
    postings: dict[str, list[tuple[int, float]]] = {}
    for i, vec in enumerate(vectors):
        for w, v in vec.items():
            postings.setdefault(w, []).append((i, v))
    edges: list[dict[int, float]] = [{} for _ in range(n)]
    for posting in postings.values():
        for x, (i, vi) in enumerate(posting):
            row = edges[i]
            for j, vj in posting[x + 1 :]:
                row[j] = row.get(j, 0.0) + vi * vj
    # Symmetrise: the loop above filled only i < j.
    for i in range(n):
        for j, weight in list(edges[i].items()):
            edges[j][i] = weight
    out_weight = [sum(row.values()) for row in edges]
    scores = [1.0 / n] * n
    for _ in range(iterations):
        new = [(1.0 - damping) / n] * n
        dangling = sum(scores[i] for i in range(n) if out_weight[i] == 0.0)
        for i in range(n):
            if out_weight[i] == 0.0:
                continue
            share = damping * scores[i] / out_weight[i]
            for j, weight in edges[i].items():
                new[j] += share * weight
        # Sentences linked to nothing spread their rank evenly, so the total stays 1.
        spread = damping * dangling / n
        new = [s + spread for s in new]
        delta = sum(abs(a - b) for a, b in zip(new, scores, strict=True))
        scores = new
        if delta < tolerance:
            break
    return scores


def _textrank_implicit(
    vectors: Sequence[Vector], damping: float, iterations: int, tolerance: float
) -> list[float]:
    """The same steps without the graph: its weights are ``S = V Vᵀ`` without the diagonal
    (``V``: a row per sentence), and a step needs only ``S x = V (Vᵀ x) − diag(V Vᵀ) x``,
    two passes over the non-zero weights."""
    import numpy as np  # only here: below the threshold the engine is pure Python

    n = len(vectors)
    ids: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    weights: list[float] = []
    for i, vec in enumerate(vectors):
        for w, v in vec.items():
            rows.append(i)
            cols.append(ids.setdefault(w, len(ids)))
            weights.append(v)
    row, col, val = np.array(rows, dtype=np.intp), np.array(cols, dtype=np.intp), np.array(weights)

    def similar_times(x: np.ndarray) -> np.ndarray:
        # Per non-zero (i, w): v_iw (Σ_j x_j v_jw − x_i v_iw); subtracted per entry, so a
        # word only one sentence has adds exactly 0, as no edge would.
        by_word = np.bincount(col, weights=val * x[row], minlength=len(ids))
        return np.bincount(row, weights=val * (by_word[col] - val * x[row]), minlength=n)

    out_weight = similar_times(np.ones(n))
    dangling = out_weight == 0.0
    divisor = np.where(dangling, 1.0, out_weight)
    scores = np.full(n, 1.0 / n)
    for _ in range(iterations):
        shares = np.where(dangling, 0.0, damping * scores / divisor)
        spread = damping * float(scores[dangling].sum()) / n
        new = (1.0 - damping) / n + similar_times(shares) + spread
        delta = float(np.abs(new - scores).sum())
        scores = new
        if delta < tolerance:
            break
    return [float(x) for x in scores]


def top_terms(docs: Sequence[Sequence[str]], k: int = 5, *, min_count: int = 2) -> list[str]:
    """The ``k`` words that weigh most in the whole meeting (count x idf over stems).

    ``docs`` hold surface words; each stem is shown as its most frequent surface form.
    """
    stemmed = [[stem(w) for w in doc] for doc in docs]
    _, idf = tfidf(stemmed)
    counts: Counter[str] = Counter(w for doc in stemmed for w in doc)
    surface: dict[str, Counter[str]] = {}
    for doc in docs:
        for w in doc:
            surface.setdefault(stem(w), Counter())[w] += 1
    ranked = sorted(
        (w for w, c in counts.items() if c >= min_count and len(w) > 2),
        key=lambda w: (-counts[w] * idf[w], w),
    )
    return [surface[w].most_common(1)[0][0] for w in ranked[:k]]
