"""Chunking: budgets, coverage, order, overlap, oversized turns, and the edges."""

from __future__ import annotations

import itertools
import os
import random
from pathlib import Path

import pytest

from minutes.tokens import count_tokens
from minutes.transcripts import (
    Chunk,
    Segment,
    Transcript,
    chunk_transcript,
    format_segment,
    load_transcript,
)

# The shared data folder sits beside the repository (../shared), as in CI's clone.
AMI = (
    Path(
        os.environ.get("MINUTES_AMI_DIR")
        or Path(__file__).resolve().parents[3] / "shared/data/ami-dev"
    )
    / "ES2003b.json"
)
WORDS = ["we", "should", "ship", "the", "release", "on", "friday", "review", "agreed", "maybe"]


def _transcript(texts: list[tuple[str | None, str]]) -> Transcript:
    return Transcript(
        segments=[
            Segment(index=i, speaker=speaker, start=float(i), end=float(i) + 0.5, text=text)
            for i, (speaker, text) in enumerate(texts)
        ]
    )


def _random_transcript(seed: int, n: int = 60) -> Transcript:
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        sentences = [
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 15))).capitalize() + "."
            for _ in range(rng.randint(1, 12))
        ]
        texts.append((rng.choice(["Ann", "Bob", "Cy Lee", None]), " ".join(sentences)))
    return _transcript(texts)


def _check(t: Transcript, chunks: list[Chunk], max_tokens: int, overlap_tokens: int) -> None:
    """The invariants every chunking must keep."""
    assert [c.index for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert chunk.segments
        assert chunk.token_count == count_tokens(chunk.text()) <= max_tokens
    # Order, coverage and overlap: drop each chunk's repeated head, and the rest is the
    # transcript's pieces in order, whose texts join back to each segment's text.
    fresh = [s for c in chunks for s in c.segments[c.overlap :]]
    assert [s.index for s in fresh] == sorted(s.index for s in fresh)
    assert {s.index for s in fresh} == {s.index for s in t.segments}
    for segment in t.segments:
        parts = [s for s in fresh if s.index == segment.index]
        # pieces join back with a space, or with nothing where a word itself was cut
        assert "".join(p.text for p in parts).replace(" ", "") == segment.text.replace(" ", "")
        assert all(
            (p.speaker, p.start, p.end) == (segment.speaker, segment.start, segment.end)
            for p in parts
        )
    assert chunks[0].overlap == 0
    for previous, chunk in itertools.pairwise(chunks):
        head = chunk.segments[: chunk.overlap]
        assert head == previous.segments[len(previous.segments) - len(head) :]
        assert sum(count_tokens(format_segment(s)) for s in head) <= overlap_tokens
        assert len(chunk.segments) > chunk.overlap  # every chunk brings something new


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("max_tokens", "overlap_tokens"), [(60, 0), (120, 40), (400, 150)])
def test_invariants_on_random_transcripts(seed: int, max_tokens: int, overlap_tokens: int) -> None:
    t = _random_transcript(seed)
    chunks = chunk_transcript(t, max_tokens=max_tokens, overlap_tokens=overlap_tokens)
    _check(t, chunks, max_tokens, overlap_tokens)
    if overlap_tokens:
        assert any(c.overlap for c in chunks)


def test_ami_meeting_chunks() -> None:
    t = load_transcript(AMI)
    chunks = chunk_transcript(t, max_tokens=1500, overlap_tokens=200)
    _check(t, chunks, 1500, 200)
    assert 3 <= len(chunks) <= 12
    # Without overlap every segment appears exactly once.
    plain = chunk_transcript(t, max_tokens=1500)
    assert [s for c in plain for s in c.segments] == t.segments


def test_chunk_text_form() -> None:
    t = _transcript([("Alice", "We decided."), (None, "Applause.")])
    (chunk,) = chunk_transcript(t, max_tokens=100)
    assert chunk.text() == "[0] Alice: We decided.\n[1] Applause."
    assert chunk.overlap == 0


def test_oversized_turn_is_split_at_sentences_keeping_its_index() -> None:
    sentences = [f"Sentence number {i} talks about the budget for the quarter." for i in range(40)]
    t = _transcript([("Ann", "Short one."), ("Bob", " ".join(sentences)), ("Ann", "Done.")])
    chunks = chunk_transcript(t, max_tokens=80)
    _check(t, chunks, 80, 0)
    bob = [s for c in chunks for s in c.segments if s.index == 1]
    assert len(bob) > 3
    assert all(p.speaker == "Bob" and p.start == 1.0 and p.end == 1.5 for p in bob)
    # Cut between sentences: every piece ends a sentence.
    assert all(p.text.endswith(".") for p in bob)


def test_sentence_longer_than_budget_is_split_at_words() -> None:
    t = _transcript([("Ann", " ".join(["alpha"] * 300))])
    chunks = chunk_transcript(t, max_tokens=50)
    _check(t, chunks, 50, 0)
    assert len(chunks) > 5


def test_word_longer_than_budget_is_split_at_characters() -> None:
    t = _transcript([("Ann", "x" * 3000)])
    chunks = chunk_transcript(t, max_tokens=30)
    _check(t, chunks, 30, 0)
    assert "".join(c.segments[0].text for c in chunks) == "x" * 3000


def test_single_segment() -> None:
    t = _transcript([("Ann", "Only this.")])
    (chunk,) = chunk_transcript(t, max_tokens=50, overlap_tokens=10)
    assert chunk.segments == t.segments
    assert chunk.token_count == count_tokens("[0] Ann: Only this.")


def test_budget_exactly_equal_to_segment() -> None:
    t = _transcript([("Ann", "Exactly the budget, no split.")])
    exact = count_tokens(format_segment(t.segments[0]))
    (chunk,) = chunk_transcript(t, max_tokens=exact)
    assert chunk.token_count == exact
    assert chunk.segments == t.segments
    assert len(chunk_transcript(t, max_tokens=exact - 1)) == 2


def test_budget_exactly_equal_to_two_segments() -> None:
    t = _transcript([("Ann", "First part."), ("Bob", "Second part.")])
    both = count_tokens("[0] Ann: First part.\n[1] Bob: Second part.")
    assert len(chunk_transcript(t, max_tokens=both)) == 1
    assert len(chunk_transcript(t, max_tokens=both - 1)) == 2


def test_overlap_gives_way_to_new_segments() -> None:
    t = _transcript([("Ann", " ".join(["word"] * 20)) for _ in range(6)])
    line = count_tokens(format_segment(t.segments[0]))
    chunks = chunk_transcript(t, max_tokens=line + 2, overlap_tokens=line + 1)
    # one line per chunk fits; carrying the previous line too would leave no room
    assert [len(c.segments) for c in chunks] == [1] * 6
    assert all(c.overlap == 0 for c in chunks)


def test_empty_transcript_has_no_chunks() -> None:
    assert chunk_transcript(Transcript(segments=[]), max_tokens=10) == []


@pytest.mark.parametrize(
    ("max_tokens", "overlap_tokens"), [(0, 0), (10, 10), (10, 20), (10, -1), (-5, 0)]
)
def test_invalid_arguments(max_tokens: int, overlap_tokens: int) -> None:
    t = _transcript([("Ann", "hi")])
    with pytest.raises(ValueError, match="need max_tokens > overlap_tokens >= 0"):
        chunk_transcript(t, max_tokens=max_tokens, overlap_tokens=overlap_tokens)


def test_non_integer_arguments() -> None:
    t = _transcript([("Ann", "hi")])
    with pytest.raises(ValueError, match="max_tokens must be an integer"):
        chunk_transcript(t, max_tokens=10.5)  # type: ignore[arg-type]


def test_budget_too_small_for_the_prefix() -> None:
    t = _transcript([("Alexandra Montgomery-Smith", "hello there")])
    with pytest.raises(ValueError, match="too small to hold segment 0"):
        chunk_transcript(t, max_tokens=5)
