"""Sentences: the unit the extractive engine scores, cites and quotes.

Each sentence keeps its verbatim text (what a ``SourceRef`` quotes) and a cleaned form
without fillers and stutters (what the notes show).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from minutes.items.dedupe import STOPWORDS
from minutes.items.grounding import FILLERS
from minutes.items.memo import Memo
from minutes.notes import SourceRef
from minutes.transcripts.models import Transcript

# A sentence ends at . ! ? (or a run of them, or an ellipsis) followed by space; a new
# line always ends one. "12.50" and "e.g. this" have no space after the dot, or a
# lower-case word, so they are not split.
_SPLIT = re.compile(r"(?<=[.!?…])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9])|\n+")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’\-_][A-Za-z0-9]+)*")
_FILLER_TOKEN = re.compile(
    r"(?<![\w'’-])(?:" + "|".join(sorted(FILLERS, key=len, reverse=True)) + r"|mm-hmm|uh-huh)"
    r"(?![\w'’-])[,.]?\s*",
    re.IGNORECASE,
)
_STUTTER = re.compile(r"\b(\w+(?:['’]\w+)?)(?:[\s,]+\1\b)+", re.IGNORECASE)
_LEADING = re.compile(
    r"^(?:(?:so|okay|ok|well|right|alright|and|but|yeah|yes|oh|now|then|anyway|like|um|uh)"
    r"\b[\s,.]*)+",
    re.IGNORECASE,
)
_TAG_QUESTION = re.compile(r",\s*(?:okay|ok|right|alright|yeah|yes|no|yep|fine)\s*\?$", re.I)
# AMI spells letter names as "T_V_"; show them as "TV".
_LETTERS = re.compile(r"\b((?:[A-Za-z]_){2,})")

BACKCHANNELS: frozenset[str] = frozenset(
    """yeah yes yep yup no nope okay ok right alright sure mm hmm uh huh oh ah um uh cool
    great good fine thanks thank you exactly true sorry wow really""".split()  # noqa: SIM905
)


# Words of spontaneous speech that say nothing about the topic.
SPOKEN_STOPWORDS: frozenset[str] = BACKCHANNELS | frozenset(
    """gonna wanna gotta dunno kinda sorta know think mean guess say said says see saw look
    looks want wants go goes going went get gets got well good also still even much many way
    quite little bit lot lots thing things stuff kind sort each other another every something
    anything everything nothing someone somebody anyone everyone people person don doesn didn
    isn aren wasn weren won wouldn couldn shouldn can't cannot let put take make made come
    came give gave tell told talk talking try trying use used need needs idea ideas whatever
    here there now then today first second next last one two three four five basically
    actually obviously definitely probably maybe perhaps sure yes yeah okay right alright
    anyway though although because since time times not no very before after end start
    week weeks month months day days today tomorrow yesterday tonight""".split()  # noqa: SIM905
)
_CONTRACTION = re.compile(r"'(?:s|re|ll|ve|m|d)$|n't$")


@dataclass(frozen=True)
class Sentence:
    """One sentence of one segment."""

    position: int  # ordinal among all sentences of the transcript
    segment: int  # the Segment.index it belongs to
    segment_position: int  # the segment's position in transcript.segments
    speaker: str | None
    start: float | None
    text: str  # verbatim, as it stands in the segment

    @cached_property
    def clean(self) -> str:
        return clean_text(self.text)

    @cached_property
    def plain(self) -> str:
        """Fillers and stutters removed, but the opening "Yes," kept: for reading replies."""
        return clean_text(self.text, strip_leading=False)

    @cached_property
    def words(self) -> tuple[str, ...]:
        """Lower-case words of the cleaned sentence."""
        return tuple(w.lower() for w in _WORD.findall(self.clean))

    @cached_property
    def content_words(self) -> tuple[str, ...]:
        """Words that carry the topic: no stop words, contractions, hedges or fillers."""
        out = []
        for w in self.words:
            base = _CONTRACTION.sub("", w.replace("’", "'"))
            if len(base) > 1 and base not in STOPWORDS and base not in SPOKEN_STOPWORDS:
                out.append(base)
        return tuple(out)

    @property
    def is_question(self) -> bool:
        """Ends in "?", not counting tag questions ("I'll send it, okay?")."""
        text = self.text.rstrip()
        return text.endswith("?") and not _TAG_QUESTION.search(text)

    def source(self) -> SourceRef:
        return SourceRef(
            segment=self.segment, speaker=self.speaker, start=self.start, quote=self.text
        )


def clean_text(text: str, *, strip_leading: bool = True) -> str:
    """``text`` without fillers ("um"), stutters ("I I'll"), leading "so, okay," and AMI's
    letter underscores; the first letter capitalised. Words are never added or reordered.
    """
    out = _LETTERS.sub(lambda m: m.group(1).replace("_", ""), text)
    out = _FILLER_TOKEN.sub("", out)
    out = _STUTTER.sub(r"\1", out)
    out = _LEADING.sub("", out.strip()) if strip_leading else out.strip()
    out = re.sub(r"\s+([,.!?;:])", r"\1", out)
    out = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", out)
    out = re.sub(r"\s{2,}", " ", out).strip(" ,;:-")
    return out[:1].upper() + out[1:] if out else out


_SegmentKey = tuple[tuple[int, str | None, float | None, str], ...]
_SENTENCES: Memo[_SegmentKey, tuple[Sentence, ...]] = Memo(4)


def split_sentences(transcript: Transcript) -> list[Sentence]:
    """Every non-empty sentence of the transcript, in order.

    Every stage needs them; the last few transcripts' sentences are kept (keyed by the
    segments' content, so an edited transcript is split again), and with them their
    cleaned text, which is most of the engine's work.
    """
    key: _SegmentKey = tuple((s.index, s.speaker, s.start, s.text) for s in transcript.segments)
    return list(_SENTENCES.get_or_make(key, lambda: tuple(_split(transcript))))


def _split(transcript: Transcript) -> list[Sentence]:
    out: list[Sentence] = []
    for pos, seg in enumerate(transcript.segments):
        for piece in _SPLIT.split(seg.text or ""):
            text = piece.strip()
            if not text or not _WORD.search(text):
                continue
            out.append(
                Sentence(
                    position=len(out),
                    segment=seg.index,
                    segment_position=pos,
                    speaker=seg.speaker,
                    start=seg.start,
                    text=text,
                )
            )
    return out


def is_substantive(sentence: Sentence, *, min_words: int = 6, min_content: int = 3) -> bool:
    """False for backchannels, fillers and fragments ("Yeah.", "Um okay so", "Right, I see")."""
    return len(sentence.words) >= min_words and len(set(sentence.content_words)) >= min_content
