"""The learned detector: which transcript segments say an action item or a decision.

A logistic regression per label over sparse features of a segment and its neighbours, trained
on the AMI Meeting Corpus's own links from its action items and decisions to the dialogue acts
that say them (``scripts/train_detector.py``; the provenance, licence and cross-validated
figures are in ``detector.json`` beside this module). Inference is pure Python and numpy, so
it runs in the plain install; scikit-learn is only needed to train.

Features of segment ``i`` (:func:`raw_features`); the training script calls the same functions,
so what is learned is what is scored:

* ``u:`` word 1-3-grams of the segment (lower case, fillers dropped, a ``<s>`` before the first
  word, ``?`` kept as a word); ``p:`` and ``n:`` word 1-2-grams of the segments just before and
  after, ``p2:`` and ``n2:`` words of the ones before and after those: a commitment is often the
  answer to a request, a decision the summing-up after a proposal and its agreement;
* ``cue:`` flags for the phrasings of commitments, requests, plans, decisions and agreement, in
  the segment (``cue:``) and in the next one (``ncue:``), e.g. a proposal answered by "yeah,
  let's do that";
* ``spk:`` the speaker's name (AMI's are roles, and the project manager hands out the work),
  ``pspk=`` whether the one before is the same speaker, ``pos:`` the tenth of the meeting it falls
  in (work is handed out at the end), ``len:`` a length bucket.

The ``u:``, ``p:``, ``n:``, ``p2:``, ``n2:`` blocks are TF-IDF weighted (sublinear term
frequency, smoothed idf from the training segments) and each scaled to unit length over the
terms the model keeps; the flags are 1. A term the model does not know is ignored.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from minutes.transcripts.models import Segment

FORMAT = 1
DEFAULT_PATH = Path(__file__).with_name("detector.json")
LABELS = ("action", "decision")

# Blocks weighted by TF-IDF and scaled to unit length, each on its own: the segment's words
# must not be drowned by its neighbours' when the neighbours are long.
WEIGHTED_BLOCKS = ("u", "p", "n", "p2", "n2")
_NGRAMS = {"u": 3, "p": 2, "n": 2, "p2": 1, "n2": 1}

_FILLERS = frozenset("um umm uhm uh uhh er erm ah ahh eh hmm hm mm mmm mhm".split())  # noqa: SIM905
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|\?")
# AMI spells letter names "L_C_D_": one word, "lcd".
_LETTERS = re.compile(r"\b((?:[A-Za-z]_)+)")

# Phrasings the rules also look for; as flags they generalise beyond the words seen in
# training. Searched in the lower-cased text (cheaper than a case-blind search, and the
# same for English).
CUES: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern)
    for name, pattern in {
        "i_will": r"\b(?:i'll|i will|i'm going to|i'm gonna|i am going to|i can|let me)\b",
        "you_will": r"\b(?:you'll|you will|you're going to|you're gonna|you are going to)\b",
        "you_must": r"\b(?:you (?:need|have|ought|want) to|you should|you must|you've got to"
        r"|you can|could you|can you|would you)\b",
        "we_will": r"\b(?:we'll|we will|we're going to|we're gonna|we are going to|let's"
        r"|let us)\b",
        "we_must": r"\b(?:we (?:need|have|ought|want) to|we should|we must|we've got to)\b",
        "decide": r"\b(?:decid\w*|decision\w*|agree\w*|settle\w*|conclu\w*|final\w*)\b",
        "choose": r"\b(?:go (?:with|for)|stick (?:with|to)|choose|chose|opt for|pick)\b",
        "next_time": r"\b(?:next (?:meeting|time|session|week)|before the next|for next"
        r"|by the next|tomorrow|homework|assignment|individual work)\b",
        "role": r"\b(?:industrial design\w*|user interface|interface design\w*|marketing"
        r"|project manager|manager)\b",
        "task_word": r"\b(?:work on|look (?:at|into)|find out|research|prepare|send|e-?mail"
        r"|present|design|make sure|check|think about|come up with)\b",
        "modal": r"\b(?:should|must|has to|have to|need to|needs to|going to|gonna|will)\b",
        "yes": r"^\W*(?:yes|yeah|yep|okay|ok|right|sure|agreed|good|great|fine|alright)\b",
        "question": r"\?\s*$",
    }.items()
}
_POSITIONS = 10
_LENGTHS = (1, 3, 7, 15, 31)  # upper bounds of the word-count buckets


def tokens(text: str) -> list[str]:
    """Lower-case words of ``text`` without fillers; ``?`` counts as a word."""
    text = _LETTERS.sub(lambda m: m.group(1).replace("_", ""), text).lower()
    return [t for t in _TOKEN.findall(text.replace("’", "'")) if t not in _FILLERS]


def _ngrams(words: Sequence[str], n: int) -> dict[str, int]:
    """Counts of the 1- to ``n``-grams of ``words``, as space-joined strings."""
    out: dict[str, int] = {}
    for size in range(1, n + 1):
        for k in range(len(words) - size + 1):
            gram = " ".join(words[k : k + size])
            out[gram] = out.get(gram, 0) + 1
    return out


def _length_bucket(n: int) -> int:
    return next((k for k, bound in enumerate(_LENGTHS) if n <= bound), len(_LENGTHS))


# A block's n-grams come from this neighbour of the segment (0: itself).
_OFFSETS = {"u": 0, "p": -1, "n": 1, "p2": -2, "n2": 2}


@dataclass(frozen=True)
class _Parts:
    """What each segment contributes, computed once (each is used by up to five segments):
    its own n-grams (with ``<s>``), its n-grams as a neighbour (by size), and its flags."""

    own: list[dict[str, int]]
    as_neighbour: dict[int, list[dict[str, int]]]
    flags: list[tuple[str, ...]]


def _parts(segments: Sequence[Segment]) -> _Parts:
    words = [tokens(s.text) for s in segments]
    n = len(segments)
    own = []
    for w in words:
        grams = _ngrams(["<s>", *w], _NGRAMS["u"])
        grams.pop("<s>", None)  # every segment has it: it says nothing alone
        own.append(grams)
    sizes = {_NGRAMS[b] for b in _OFFSETS if b != "u"}
    as_neighbour = {size: [_ngrams(w, size) for w in words] for size in sizes}
    cues = [_cues(s.text) for s in segments]
    flags = []
    for i, seg in enumerate(segments):
        f = [f"cue:{c}" for c in cues[i]]
        if i + 1 < n:
            f += [f"ncue:{c}" for c in cues[i + 1]]
        if seg.speaker:
            f.append(f"spk:{seg.speaker.lower()}")
        if i > 0 and segments[i - 1].speaker == seg.speaker:
            f.append("pspk=same")
        f.append(f"pos:{min(_POSITIONS - 1, i * _POSITIONS // max(1, n))}")
        f.append(f"len:{_length_bucket(len(words[i]))}")
        flags.append(tuple(f))
    return _Parts(own=own, as_neighbour=as_neighbour, flags=flags)


def _cues(text: str) -> tuple[str, ...]:
    """The cues a segment's text has, in :data:`CUES` order."""
    lowered = text.lower()
    return tuple(name for name, pattern in CUES.items() if pattern.search(lowered))


def _block_grams(parts: _Parts, i: int, block: str, n: int) -> dict[str, int]:
    j = i + _OFFSETS[block]
    if not 0 <= j < n:
        return {}
    return parts.own[i] if block == "u" else parts.as_neighbour[_NGRAMS[block]][j]


def raw_features(segments: Sequence[Segment]) -> list[dict[str, float]]:
    """Each segment's features before weighting: n-gram counts and flags (module docstring)."""
    parts = _parts(segments)
    n = len(segments)
    out: list[dict[str, float]] = []
    for i in range(n):
        f: dict[str, float] = {}
        for b in _OFFSETS:
            for gram, count in _block_grams(parts, i, b, n).items():
                f[f"{b}:{gram}"] = float(count)
        for flag in parts.flags[i]:
            f[flag] = 1.0
        out.append(f)
    return out


def block(term: str) -> str:
    """The block a feature belongs to: the text before its first ``:`` (or ``=``)."""
    return re.split(r"[:=]", term, maxsplit=1)[0]


def weigh(
    raw: Sequence[Mapping[str, float]], index: Mapping[str, int], idf: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each segment's known features as (column indices, values): TF-IDF with sublinear term
    frequency, each weighted block scaled to unit length; flags as they are."""
    rows: list[tuple[np.ndarray, np.ndarray]] = []
    for features in raw:
        cols: list[int] = []
        vals: list[float] = []
        norms: dict[str, float] = {}
        blocks: list[str] = []
        for term, count in features.items():
            j = index.get(term)
            if j is None:
                continue
            b = block(term)
            if b in WEIGHTED_BLOCKS:
                value = (1.0 + math.log(count)) * float(idf[j])
                norms[b] = norms.get(b, 0.0) + value * value
            else:
                value = count
            cols.append(j)
            vals.append(value)
            blocks.append(b)
        scale = {b: 1.0 / math.sqrt(s) for b, s in norms.items() if s > 0}
        values = [v * scale.get(b, 1.0) for v, b in zip(vals, blocks, strict=True)]
        rows.append((np.asarray(cols, dtype=np.int64), np.asarray(values, dtype=np.float64)))
    return rows


@dataclass(frozen=True)
class LabelModel:
    """One label's linear model: weights over the detector's terms, bias and threshold."""

    weights: np.ndarray
    bias: float
    threshold: float  # on the probability, chosen by cross-validation when trained


@dataclass(frozen=True)
class Detector:
    terms: tuple[str, ...]
    idf: np.ndarray
    labels: dict[str, LabelModel]
    provenance: dict[str, Any] = field(default_factory=dict)
    index: dict[str, int] = field(init=False, repr=False)
    # Per weighted block, its terms without the prefix ("u:i'll" as "i'll"): what scoring
    # looks up per n-gram.
    _by_block: dict[str, dict[str, int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {t: j for j, t in enumerate(self.terms)})
        by_block: dict[str, dict[str, int]] = {b: {} for b in WEIGHTED_BLOCKS}
        for j, term in enumerate(self.terms):
            b, _, gram = term.partition(":")
            if b in by_block:
                by_block[b][gram] = j
        object.__setattr__(self, "_by_block", by_block)

    def _entries(self, segments: Sequence[Segment]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The known features of all segments at once, as (segment, column, value) arrays:
        what :func:`weigh` gives for ``raw_features(segments)``, without making the names of
        the n-grams the model does not know (most of them), and with the arithmetic done by
        numpy over the whole meeting rather than per segment."""
        parts = _parts(segments)
        n = len(segments)
        seg: list[int] = []
        cols: list[int] = []
        counts: list[int] = []
        groups: list[int] = []  # segment x weighted block, for the unit length; -1: a flag
        for i in range(n):
            for k, (b, known) in enumerate(self._by_block.items()):
                for gram, count in _block_grams(parts, i, b, n).items():
                    j = known.get(gram)
                    if j is not None:
                        seg.append(i)
                        cols.append(j)
                        counts.append(count)
                        groups.append(i * len(WEIGHTED_BLOCKS) + k)
            for flag in parts.flags[i]:
                j = self.index.get(flag)
                if j is not None:
                    seg.append(i)
                    cols.append(j)
                    counts.append(1)
                    groups.append(-1)
        c = np.asarray(cols, dtype=np.int64)
        g = np.asarray(groups, dtype=np.int64)
        weighted = g >= 0
        values = np.where(
            weighted, (1.0 + np.log(np.asarray(counts, dtype=np.float64))) * self.idf[c], 1.0
        )
        sums = np.bincount(
            g[weighted], weights=values[weighted] ** 2, minlength=n * len(WEIGHTED_BLOCKS)
        )
        norms = np.sqrt(sums[np.where(weighted, g, 0)])
        values = np.where(weighted & (norms > 0), values / np.where(norms > 0, norms, 1.0), values)
        return np.asarray(seg, dtype=np.int64), c, values

    def rows(self, segments: Sequence[Segment]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each segment's known features as (columns, values), as :func:`weigh` gives them."""
        seg, cols, values = self._entries(segments)
        return [(cols[seg == i], values[seg == i]) for i in range(len(segments))]

    def probabilities(self, segments: Sequence[Segment]) -> dict[str, np.ndarray]:
        """Per label, each segment's probability of saying one."""
        seg, cols, values = self._entries(segments)
        out: dict[str, np.ndarray] = {}
        for name, model in self.labels.items():
            z = model.bias + np.bincount(
                seg, weights=values * model.weights[cols], minlength=len(segments)
            )
            out[name] = 1.0 / (1.0 + np.exp(-z))
        return out

    def detect(self, segments: Sequence[Segment]) -> dict[str, list[int]]:
        """Per label, the positions (in ``segments``) scored at or above its threshold."""
        return {
            name: [i for i, p in enumerate(probs) if p >= self.labels[name].threshold]
            for name, probs in self.probabilities(segments).items()
        }

    def to_json(self) -> dict[str, Any]:
        """The file form: terms with their idf; per label the weights, bias and threshold."""
        return {
            "format": FORMAT,
            "provenance": self.provenance,
            "labels": {
                name: {"bias": m.bias, "threshold": m.threshold} for name, m in self.labels.items()
            },
            "columns": ["term", "idf", *(f"w_{name}" for name in self.labels)],
            "terms": [
                [
                    t,
                    _short(float(self.idf[j])),
                    *(_short(float(m.weights[j])) for m in self.labels.values()),
                ]
                for j, t in enumerate(self.terms)
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Detector:
        if data.get("format") != FORMAT:
            raise ValueError(f"detector file format {data.get('format')!r}, expected {FORMAT}")
        rows = data["terms"]
        names = [c.removeprefix("w_") for c in data["columns"][2:]]
        terms = tuple(str(r[0]) for r in rows)
        idf = np.array([float(r[1]) for r in rows], dtype=np.float64)
        labels = {
            name: LabelModel(
                weights=np.array([float(r[2 + k]) for r in rows], dtype=np.float64),
                bias=float(data["labels"][name]["bias"]),
                threshold=float(data["labels"][name]["threshold"]),
            )
            for k, name in enumerate(names)
        }
        return cls(terms=terms, idf=idf, labels=labels, provenance=dict(data["provenance"]))


def _short(x: float) -> float:
    """Five significant digits: the file stays small and the scores move by under 1e-4."""
    return float(f"{x:.5g}")


_LOADED: dict[Path, Detector] = {}
_LOCK = threading.Lock()


def load_detector(path: Path | None = None) -> Detector:
    """The detector in ``path`` (default: the shipped one), read once per process.

    The pipeline runs the engine from several threads at once; the lock makes the first
    of them read the file while the others wait, rather than all of them reading it.
    """
    path = (path or DEFAULT_PATH).resolve()
    with _LOCK:
        found = _LOADED.get(path)
        if found is None:
            found = Detector.from_json(json.loads(path.read_text(encoding="utf-8")))
            _LOADED[path] = found
        return found
