"""Key points: the most central sentences of the meeting, shown in the order they were said.

Candidates are substantive sentences (no backchannels, fillers or fragments). Each gets its
TextRank centrality, damped for run-ons and questions; the best are taken greedily,
skipping any too close to one already taken (cosine > 0.5, or the same by
:func:`minutes.items.dedupe.is_similar`), then put back in transcript order.
"""

from __future__ import annotations

import itertools
import re

from minutes.extractive.centrality import Vector, cosine, stem, textrank, tfidf
from minutes.extractive.sentences import Sentence, is_substantive, split_sentences
from minutes.items.dedupe import is_similar
from minutes.notes import KeyPoint
from minutes.transcripts.models import Transcript

REDUNDANT_COSINE = 0.5
_FIGURE = re.compile(
    r"\d|\b(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|"
    r"billion|percent|per cent|euros?|dollars?|pounds?)\b",
    re.IGNORECASE,
)
_LONG = 40  # words; longer sentences are mostly run-ons of spontaneous speech
_SHORT = 8


def _length_factor(n_words: int) -> float:
    # TextRank favours long sentences (more words, more links); short ones say little.
    if n_words < _SHORT:
        return n_words / _SHORT
    if n_words > _LONG:
        return _LONG / n_words
    return 1.0


def _kind_factor(s: Sentence) -> float:
    # Figures ("twenty five Euro", "12.50", "40%") are what notes are read for; questions
    # more often ask than inform.
    factor = 1.3 if _FIGURE.search(s.clean) else 1.0
    return factor * (0.7 if s.is_question else 1.0)


def rank_sentences(sentences: list[Sentence]) -> list[tuple[Sentence, float, Vector]]:
    """Substantive sentences with their centrality score and TF-IDF vector, best first."""
    candidates = [s for s in sentences if is_substantive(s)]
    if not candidates:
        return []
    vectors, _ = tfidf([[stem(w) for w in s.content_words] for s in candidates])
    scores = textrank(vectors)
    ranked = [
        (s, score * _length_factor(len(s.words)) * _kind_factor(s), vec)
        for s, vec, score in zip(candidates, vectors, scores, strict=True)
    ]
    ranked.sort(key=lambda x: -x[1])
    return ranked


def select_sentences(sentences: list[Sentence], n: int) -> list[Sentence]:
    """The ``n`` most central, mutually different sentences, in transcript order.

    Centrality alone keeps choosing the meeting's dominant topic, so the meeting is cut into
    ``n`` equal stretches and each contributes its best sentence first; the rest of the
    places go to the best remaining sentences overall.
    """
    if n <= 0:
        return []
    ranked = rank_sentences(sentences)
    if not ranked:
        return []
    chosen: list[tuple[Sentence, Vector]] = []

    def take(s: Sentence, vec: Vector) -> bool:
        for c, v in chosen:
            if c is s or cosine(vec, v) > REDUNDANT_COSINE or is_similar(s.clean, c.clean):
                return False
        chosen.append((s, vec))
        return True

    positions = sorted(s.position for s, _, _ in ranked)
    stretch = max(1, -(-len(positions) // n))  # ceil: sentences per stretch
    bounds = [positions[i] for i in range(0, len(positions), stretch)] + [positions[-1] + 1]
    for lo, hi in itertools.pairwise(bounds):
        for s, _, vec in ranked:  # best first, so the first one in range is its best
            if lo <= s.position < hi and take(s, vec):
                break
    for s, _, vec in ranked:
        if len(chosen) >= n:
            break
        take(s, vec)
    return sorted((s for s, _ in chosen[:n]), key=lambda s: s.position)


def extract_key_points(transcript: Transcript, n: int = 10) -> list[KeyPoint]:
    """Up to ``n`` key points: central sentences, cleaned, each citing its verbatim source."""
    return [
        KeyPoint(text=s.clean, sources=[s.source()])
        for s in select_sentences(split_sentences(transcript), n)
    ]
