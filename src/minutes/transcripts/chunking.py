"""Token-aware chunks of a transcript for map-style LLM stages.

Chunk text form, one segment per line, the segment index first so a model can cite it::

    [12] Alice: We decided to ship on Friday.
    [13] Bob: Agreed.
    [14] (a segment without a speaker is just its text)

Rules:

- Chunks are cut only between segments (speaker turns), in transcript order, and every segment
  is in at least one chunk.
- No chunk's rendered text (:meth:`Chunk.text`) exceeds ``max_tokens`` as counted by
  :func:`minutes.tokens.count_tokens`; ``Chunk.token_count`` is that count.
- A segment too long for one chunk is split at sentence boundaries (then words, then characters
  as a last resort) into pieces that each keep the segment's ``index``, speaker and times, so a
  citation of ``[12]`` stays valid whichever piece it came from.
- With ``overlap_tokens`` each chunk after the first starts with the last segments (pieces) of
  the previous chunk whose lines total at most ``overlap_tokens`` tokens (newlines counted), and
  ``Chunk.overlap`` says how many leading segments are such repeats. Overlap gives way when it
  would leave no room for a new segment.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pydantic import BaseModel, Field

from minutes.tokens import count_tokens
from minutes.transcripts.models import Segment, Transcript

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def format_segment(segment: Segment) -> str:
    """One segment as a chunk line: ``[index] Speaker: text``, or ``[index] text``."""
    if segment.speaker:
        return f"[{segment.index}] {segment.speaker}: {segment.text}"
    return f"[{segment.index}] {segment.text}"


class Chunk(BaseModel):
    """Consecutive segments that fit one prompt; see the module docstring for the text form."""

    index: int = Field(ge=0)
    segments: list[Segment]
    token_count: int = Field(ge=0, description="tokens of text(), counted with count_tokens")
    overlap: int = Field(0, ge=0, description="leading segments repeated from the previous chunk")

    def text(self) -> str:
        """The chunk as ``[index] Speaker: text`` lines."""
        return "\n".join(format_segment(s) for s in self.segments)


def _split_units(text: str, level: int) -> tuple[list[str], str]:
    """The text cut into sentences (level 0), words (1) or characters (2), and their joiner."""
    if level == 0:
        return [u for u in _SENTENCE_END.split(text) if u], " "
    if level == 1:
        return text.split(), " "
    return list(text), ""


def _pack(text: str, fits: Callable[[str], bool], level: int = 0) -> list[str]:
    """Greedily join units of ``text`` into the fewest pieces that each satisfy ``fits``."""
    units, joiner = _split_units(text, level)
    pieces: list[str] = []
    current = ""
    for unit in units:
        candidate = f"{current}{joiner}{unit}" if current else unit
        if fits(candidate):
            current = candidate
            continue
        if current:
            pieces.append(current)
            current = ""
        if fits(unit):
            current = unit
        elif level < 2:
            finer = _pack(unit, fits, level + 1)
            pieces.extend(finer[:-1])
            current = finer[-1] if finer else ""
        else:  # a single character that does not fit: caught by the caller's check
            pieces.append(unit)
    if current:
        pieces.append(current)
    return pieces


def split_segment(segment: Segment, max_tokens: int) -> list[Segment]:
    """The segment itself if its line fits ``max_tokens``, else pieces sharing its index."""
    if count_tokens(format_segment(segment)) <= max_tokens:
        return [segment]

    def fits(text: str) -> bool:
        return count_tokens(format_segment(segment.model_copy(update={"text": text}))) <= max_tokens

    pieces = _pack(segment.text, fits)
    if not all(fits(p) for p in pieces):
        prefix = count_tokens(format_segment(segment.model_copy(update={"text": ""})))
        raise ValueError(
            f"max_tokens={max_tokens} is too small to hold segment {segment.index}: its "
            f"'[index] speaker:' prefix alone takes {prefix} tokens"
        )
    return [segment.model_copy(update={"text": p}) for p in pieces]


def chunk_transcript(t: Transcript, *, max_tokens: int, overlap_tokens: int = 0) -> list[Chunk]:
    """Cut the transcript into chunks of at most ``max_tokens`` tokens (module docstring).

    Raises ``ValueError`` unless ``max_tokens > overlap_tokens >= 0``, or when ``max_tokens``
    cannot hold a single word of some segment with its prefix.
    """
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int):
        raise ValueError(f"max_tokens must be an integer, got {max_tokens!r}")
    if isinstance(overlap_tokens, bool) or not isinstance(overlap_tokens, int):
        raise ValueError(f"overlap_tokens must be an integer, got {overlap_tokens!r}")
    if not max_tokens > overlap_tokens >= 0:
        raise ValueError(
            f"need max_tokens > overlap_tokens >= 0, got max_tokens={max_tokens}, "
            f"overlap_tokens={overlap_tokens}"
        )

    pieces = [piece for segment in t.segments for piece in split_segment(segment, max_tokens)]
    lines = [format_segment(p) for p in pieces]
    # Each line's tokens plus one for its newline. Joining lines can fold a newline into the
    # token before it but not add tokens, so this bounds the chunk's count; checked exactly below.
    costs = [count_tokens(line) + 1 for line in lines]

    chunks: list[Chunk] = []
    carry: list[int] = []
    i = 0
    while i < len(pieces):
        members = list(carry)
        # Running estimate of the joined text: the costs minus the newline after the last line.
        total = sum(costs[m] for m in members)
        while members and total + costs[i] - 1 > max_tokens:
            total -= costs[members.pop(0)]  # overlap gives way to at least one new segment
        overlap = len(members)
        j = i
        while j < len(pieces) and total + costs[j] - 1 <= max_tokens:
            members.append(j)
            total += costs[j]
            j += 1
        text = "\n".join(lines[m] for m in members)
        tokens = count_tokens(text)
        # The estimate overcounts where a newline folds into the token before it, so try the
        # next lines with exact counts: a chunk that fits exactly is not cut short.
        while j < len(pieces) and tokens <= max_tokens:
            candidate = f"{text}\n{lines[j]}"
            candidate_tokens = count_tokens(candidate)
            if candidate_tokens > max_tokens:
                break
            members.append(j)
            text, tokens = candidate, candidate_tokens
            j += 1
        while tokens > max_tokens and len(members) > 1:  # never expected; keeps the promise
            if len(members) - overlap > 1:
                members.pop()
                j -= 1
            else:
                members.pop(0)
                overlap -= 1
            text = "\n".join(lines[m] for m in members)
            tokens = count_tokens(text)
        chunks.append(
            Chunk(
                index=len(chunks),
                segments=[pieces[m] for m in members],
                token_count=tokens,
                overlap=overlap,
            )
        )
        i = j
        carry = _overlap_tail(members, costs, overlap_tokens)
    return chunks


def _overlap_tail(members: list[int], costs: list[int], overlap_tokens: int) -> list[int]:
    """The last members whose lines (with newlines) total at most ``overlap_tokens``."""
    tail: list[int] = []
    total = 0
    for m in reversed(members):
        if total + costs[m] > overlap_tokens:
            break
        tail.insert(0, m)
        total += costs[m]
    return tail
