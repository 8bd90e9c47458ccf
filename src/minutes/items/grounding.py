"""Grounding: find a quote in the transcript, so that only real words are shown as evidence.

A quote matches a segment when its words appear there in order, compared after
normalisation (case, punctuation, whitespace, hyphens, contractions, "gonna", fillers such
as "um"), and when at most a few of the segment's words are skipped between them (false
starts, repetitions, fillers the quoter tidied away). Every word of the quote must be in
the segment: an invented or changed word means no match. "..." in a quote skips freely.

Budget: a quote of ``n`` words may skip ``max(2, ceil(n / 4))`` segment words, never a
negation ("not", "never", "no"...), since dropping one inverts the meaning.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from pydantic import BaseModel

from minutes.items.memo import Memo
from minutes.notes import SourceRef
from minutes.transcripts.models import Segment, Transcript

# Word lists as one string each: easier to read and extend than a column of literals.
FILLERS: frozenset[str] = frozenset(
    "um umm uhm uh uhh er erm ah ahh eh hmm hm mm mmm mhm mmhmm uhhuh huh".split()  # noqa: SIM905
)
NEGATIONS: frozenset[str] = frozenset(
    "not no never nothing none nobody neither nor without nowhere".split()  # noqa: SIM905
)

# A word with inner apostrophes, hyphens or underscores ("don't", "e-mail", "T_V_").
_WORD = re.compile(r"\w+(?:['’\-_]\w+)*['’_]?", re.UNICODE)
_ELLIPSIS = re.compile(r"\.\.\.+|…|\[\s*\.\.\.\s*\]")
_EXPANSIONS: dict[str, tuple[str, ...]] = {
    "gonna": ("going", "to"),
    "wanna": ("want", "to"),
    "gotta": ("got", "to"),
    "cannot": ("can", "not"),
    "wont": ("will", "not"),
    "cant": ("can", "not"),
    "shant": ("shall", "not"),
    "aint": ("is", "not"),
    "okay": ("ok",),
    "em": ("them",),
    "cos": ("because",),
    "cuz": ("because",),
}
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("n't", "not"),
    ("'ll", "will"),
    ("'re", "are"),
    ("'ve", "have"),
    ("'m", "am"),
)


def normalise_words(text: str) -> list[tuple[str, int, int]]:
    """The comparison words of ``text`` with their character spans, fillers dropped.

    Contractions are split ("I'll" → "i", "will"; "don't" → "do", "not") and a few spoken
    forms expanded ("gonna" → "going", "to"), both sides alike, so that a quote tidied by a
    model still matches what was said. Expanded words share the span of the original.
    """
    out: list[tuple[str, int, int]] = []
    for m in _WORD.finditer(text):
        raw = m.group(0).lower().replace("’", "'").rstrip("'_")
        start, end = m.span()
        if raw in ("'cause", "cause") and m.group(0).startswith(("'", "’")):
            raw = "because"
        words: list[str] = []
        for suffix, full in _SUFFIXES:
            if raw.endswith(suffix) and len(raw) > len(suffix):
                stem = raw[: -len(suffix)]
                stem = {"wo": "will", "ca": "can", "sha": "shall", "ai": "is"}.get(stem, stem)
                words = [stem, full]
                break
        if not words:
            words = [raw]
        for word in words:
            flat = re.sub(r"['\-_]", "", word)
            if not flat or flat in FILLERS:
                continue
            for piece in _EXPANSIONS.get(flat, (flat,)):
                out.append((piece, start, end))
    return out


@dataclass(frozen=True)
class _Match:
    position: int  # index into the transcript's segment list
    start: int
    end: int
    skipped: int


@dataclass
class _SegmentWords:
    words: list[str]
    spans: list[tuple[int, int]]


@dataclass
class QuoteIndex:
    """Normalised words of every segment plus an inverted index, built once per transcript.

    ``locate_quote`` keeps a few of these cached; build one yourself to ground many quotes
    against a transcript you hold.

    A segment whose text is said again verbatim later ("Yes.", "Okay, next.", a meeting
    pasted twice) is indexed once, at its first position: a later copy would give the same
    match, and the earliest of equally good matches wins anyway. Without that, a quote
    made of common words was compared with every copy, so grounding a transcript's items
    grew with the square of its repeats.
    """

    transcript: Transcript
    _segments: list[_SegmentWords] = field(init=False, repr=False)
    _postings: dict[str, set[int]] = field(init=False, repr=False)
    _by_index: dict[int, int] = field(init=False, repr=False)
    _first_copy: list[int] = field(init=False, repr=False)  # position -> first same text

    def __post_init__(self) -> None:
        self._segments = []
        self._postings = {}
        self._by_index = {}
        self._first_copy = []
        seen: dict[str, int] = {}
        for pos, seg in enumerate(self.transcript.segments):
            first = seen.setdefault(seg.text, pos)
            self._first_copy.append(first)
            self._by_index.setdefault(seg.index, pos)
            if first != pos:
                self._segments.append(self._segments[first])
                continue
            words = normalise_words(seg.text)
            self._segments.append(
                _SegmentWords([w for w, _, _ in words], [(s, e) for _, s, e in words])
            )
            for w, _, _ in words:
                self._postings.setdefault(w, set()).add(pos)

    def locate(self, quote: str, *, hint: Iterable[int] | None = None) -> SourceRef | None:
        """See :func:`locate_quote`."""
        if not quote or not quote.strip():
            return None
        found = self._locate(quote, hint)
        if found is None:
            # Models like to quote as "Speaker: words"; try again without a speaker prefix.
            stripped = self._strip_speaker(quote)
            if stripped is not None:
                found = self._locate(stripped, hint)
        if found is None:
            return None
        seg: Segment = self.transcript.segments[found.position]
        end = found.end
        # A quote that ends in punctuation ("…by Friday.") keeps the segment's own closing
        # punctuation; words are matched, but the quote should read as it was given.
        if re.search(r"[^\w\s]$", quote.strip()):
            closing = re.match(r"[^\w\s]+", seg.text[end:])
            end += closing.end() if closing else 0
        return SourceRef(
            segment=seg.index,
            speaker=seg.speaker,
            start=seg.start,
            quote=seg.text[found.start : end],
        )

    def _strip_speaker(self, quote: str) -> str | None:
        head, sep, rest = quote.partition(":")
        if not sep or not rest.strip():
            return None
        names = {p.lower() for p in self.transcript.participants}
        return rest if head.strip().strip("\"'“”").lower() in names else None

    def _locate(self, quote: str, hint: Iterable[int] | None) -> _Match | None:
        parts = [[w for w, _, _ in normalise_words(p)] for p in _ELLIPSIS.split(quote)]
        parts = [p for p in parts if p]
        if not parts:
            return None
        vocabulary = {w for p in parts for w in p}
        postings = sorted((self._postings.get(w, set()) for w in vocabulary), key=len)
        if not postings[0]:
            return None  # a word that is nowhere in the transcript: invented
        candidates = set(postings[0])
        for posting in postings[1:]:
            candidates &= posting
            if not candidates:
                return None

        hinted = [self._by_index[i] for i in hint or () if i in self._by_index]
        for pos in dict.fromkeys(hinted):
            first = self._first_copy[pos]  # the cited copy itself, matched as its first
            if first in candidates and (m := self._match_in(first, parts)):
                return replace(m, position=pos)
        best: _Match | None = None
        for pos in sorted(candidates):
            m = self._match_in(pos, parts)
            if m and (best is None or m.skipped < best.skipped):
                best = m
                if m.skipped == 0:
                    break
        return best

    def _match_in(self, pos: int, parts: Sequence[list[str]]) -> _Match | None:
        seg = self._segments[pos]
        words = seg.words
        best: _Match | None = None
        for i, w in enumerate(words):
            if w != parts[0][0]:
                continue
            aligned = _align(words, parts, i)
            if aligned is None:
                continue
            last, skipped = aligned
            if best is None or skipped < best.skipped:
                best = _Match(pos, seg.spans[i][0], seg.spans[last][1], skipped)
                if skipped == 0:
                    break
        return best


def _budget(n_words: int) -> int:
    return max(2, math.ceil(n_words / 4))


def _align(words: list[str], parts: Sequence[list[str]], start: int) -> tuple[int, int] | None:
    """Greedy in-order alignment of ``parts`` from ``words[start]``: (last index, skips).

    Taking the earliest occurrence of each next word is optimal here: it leaves the most
    room for the rest and skips the fewest words.
    """
    j = start
    total_skipped = 0
    for n, part in enumerate(parts):
        budget = _budget(len(part))
        if n > 0:  # after an ellipsis: any gap, as long as the part starts somewhere later
            while j < len(words) and words[j] != part[0]:
                j += 1
            if j == len(words):
                return None
        skipped = 0
        for k, target in enumerate(part):
            while j < len(words) and words[j] != target:
                # Repetitions ("I I will", "three compa three", "not not") are disfluency:
                # they skip free. Any other negation skipped would invert the meaning.
                repeated = words[j] == words[j - 1] or (k > 0 and words[j] == part[k - 1])
                if not repeated:
                    if words[j] in NEGATIONS:
                        return None
                    skipped += 1
                if skipped > budget:
                    return None
                j += 1
            if j == len(words):
                return None
            j += 1
        total_skipped += skipped
    return j - 1, total_skipped


_INDEXES: Memo[int, QuoteIndex] = Memo(8)


def quote_index(transcript: Transcript) -> QuoteIndex:
    """The (cached) :class:`QuoteIndex` of ``transcript``.

    Keyed by identity; the cached index holds the transcript, so the id cannot be reused
    while it is cached. A transcript whose segments were replaced since is re-indexed.
    """
    key = id(transcript)
    cached = _INDEXES.get(key)
    if (
        cached is not None
        and cached.transcript is transcript
        and len(cached._segments) == len(transcript.segments)
    ):
        return cached
    index = QuoteIndex(transcript)
    _INDEXES.put(key, index)
    return index


def locate_quote(
    transcript: Transcript, quote: str, *, hint: list[int] | None = None
) -> SourceRef | None:
    """Find ``quote`` in ``transcript``; ``None`` when its words are not there.

    Tolerates case, whitespace, punctuation and disfluency differences (see the module
    docstring for the exact rule); never invented words. ``hint`` lists segment indices to
    try first (the segment a model cited); then every segment, the closest match winning.
    The returned ``SourceRef.quote`` is the matched span verbatim from the segment's text.
    """
    return quote_index(transcript).locate(quote, hint=hint)


def verify_sources(transcript: Transcript, sources: Iterable[SourceRef]) -> list[SourceRef]:
    """Keep the sources whose quote is really in the transcript, corrected.

    Each quote is looked for in its cited segment first, then anywhere; a source found
    elsewhere gets that segment's index, speaker and start. Quotes are replaced by the
    verbatim span. Sources not found are dropped; duplicates are kept once.
    """
    index = quote_index(transcript)
    out: dict[tuple[int, str], SourceRef] = {}
    for source in sources:
        found = index.locate(source.quote, hint=[source.segment])
        if found is not None:
            out.setdefault((found.segment, found.quote), found)
    return list(out.values())


T = TypeVar("T", bound=BaseModel)


def ground_items(
    transcript: Transcript, items: Iterable[T], *, drop_ungrounded: bool = False
) -> list[T]:
    """Copies of ``items`` (KeyPoint, ActionItem, Decision: any model with ``sources``)
    with their sources verified by :func:`verify_sources`.

    With ``drop_ungrounded``, items left without any source are dropped; otherwise they
    are kept with an empty ``sources`` list, for the caller to flag.
    """
    out: list[T] = []
    for item in items:
        sources = verify_sources(transcript, getattr(item, "sources", None) or [])
        if drop_ungrounded and not sources:
            continue
        out.append(item.model_copy(update={"sources": sources}))
    return out
