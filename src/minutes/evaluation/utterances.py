"""Utterance-level figures: does an engine quote the lines that annotators linked to an item?

AMI's labels carry, for every gold action item and decision, ``evidence``: the indices of the
transcript file's entries (dialogue acts) that the annotators linked to it. The notes cite
*segments* instead, and a segment is not an entry: normalisation
(:mod:`minutes.transcripts.normalise`) drops entries left empty and merges consecutive entries
of one speaker into a turn. So the evidence is mapped onto segments first, by replaying that
merge: the file is parsed again with the same parser, and each entry's cleaned text is found,
in order, inside the segment text it was merged into (a turn's text is its entries' texts
joined by one space). Aligning against the transcript the engine actually saw, rather than
re-implementing the merge rule, keeps the mapping right whatever the rule becomes (the token
cap on a turn's length, say); a transcript it cannot align is an error, not a silently wrong
figure.

Then, per meeting: the predicted utterances are the segment indices the items' ``sources``
cite; the gold utterances are the segments holding any evidence entry of any gold item of that
kind (the union: one line may back two items, two items may share one line). Precision, recall
and F1 are those of the two sets, pooled over meetings like the item figures (micro-average).
A gold item whose evidence is empty adds no line; a meeting whose labels carry no ``evidence``
at all is not scored at this level.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from minutes.errors import ConfigError
from minutes.evaluation.metrics import PRF
from minutes.notes import SourceRef
from minutes.transcripts.detect import detect_format
from minutes.transcripts.json_formats import parse_json
from minutes.transcripts.models import Transcript
from minutes.transcripts.normalise import clean_speaker, clean_text
from minutes.transcripts.parsed import ParsedTranscript, RawSegment
from minutes.transcripts.srt import parse_srt
from minutes.transcripts.text import parse_text
from minutes.transcripts.vtt import parse_vtt

# The same parsers the loader dispatches to, so that entry i here is entry i there.
_PARSERS: dict[str, Callable[[str, str], ParsedTranscript]] = {
    "text": lambda content, _name: parse_text(content),
    "vtt": parse_vtt,
    "srt": parse_srt,
    "json": parse_json,
}


def source_entries(path: Path) -> list[RawSegment]:
    """The entries of a transcript file as its parser reads them, before normalisation."""
    try:
        content = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: evidence indices can only be read from UTF-8 files") from None
    fmt = detect_format(content, path.name)
    return _PARSERS[fmt](content, path.name).segments


def entry_segments(entries: Sequence[RawSegment], transcript: Transcript) -> list[int | None]:
    """For each entry, the index of the segment its text went to (``None``: dropped as empty).

    Raises :class:`ValueError` when the entries do not line up with the segments.
    """
    segments = transcript.segments
    out: list[int | None] = []
    j, used = 0, 0  # the current segment, and how many of its characters are accounted for
    for i, entry in enumerate(entries):
        text = clean_text(entry.text)
        if not text:
            out.append(None)
            continue
        speaker = clean_speaker(entry.speaker)
        while j < len(segments):
            seg = segments[j].text
            if used == 0 and seg.startswith(text):
                used = len(text)
                break
            if used and seg.startswith(" " + text, used):
                used += 1 + len(text)
                break
            if used == 0:
                raise ValueError(f"entry {i} ({text[:40]!r}) is not in segment {j}")
            j, used = j + 1, 0  # this segment is complete: the entry opens the next one
        else:
            raise ValueError(f"entry {i} ({text[:40]!r}) is past the last segment")
        if segments[j].speaker != speaker:
            raise ValueError(f"entry {i}'s speaker {speaker!r} is not segment {j}'s")
        out.append(segments[j].index)
    if segments and (j != len(segments) - 1 or used != len(segments[-1].text)):
        raise ValueError("the segments hold text that no entry accounts for")
    return out


@dataclass(frozen=True, slots=True)
class GoldUtterances:
    """The segments that hold the evidence of a meeting's gold action items and decisions."""

    action_items: frozenset[int]
    decisions: frozenset[int]


def gold_utterances(
    transcript_path: Path,
    transcript: Transcript,
    action_evidence: Iterable[Sequence[int]],
    decision_evidence: Iterable[Sequence[int]],
) -> GoldUtterances:
    """Evidence entry indices (one list per gold item) as segment indices of ``transcript``."""
    entries = source_entries(transcript_path)
    try:
        mapping = entry_segments(entries, transcript)
    except ValueError as exc:
        raise ConfigError(
            f"{transcript_path}: cannot map evidence entries to segments: {exc}"
        ) from None

    def segments_of(evidence: Iterable[Sequence[int]]) -> frozenset[int]:
        found: set[int] = set()
        for indices in evidence:
            for k in indices:
                if not 0 <= k < len(mapping):
                    raise ConfigError(
                        f"{transcript_path}: evidence index {k} is outside the transcript's "
                        f"{len(mapping)} entries"
                    )
                if (seg := mapping[k]) is not None:
                    found.add(seg)
        return frozenset(found)

    return GoldUtterances(
        action_items=segments_of(action_evidence), decisions=segments_of(decision_evidence)
    )


def cited_segments(sources_per_item: Iterable[Iterable[SourceRef]]) -> frozenset[int]:
    """The segment indices that items quote."""
    return frozenset(s.segment for sources in sources_per_item for s in sources)


def utterance_prf(predicted: Iterable[int], gold: Iterable[int]) -> PRF:
    """Precision, recall and F1 of a set of predicted utterances against the gold ones."""
    p, g = set(predicted), set(gold)
    return PRF(matched=len(p & g), predicted=len(p), gold=len(g))
