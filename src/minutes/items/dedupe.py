"""Merge items that say the same thing twice: across overlapping chunks, or restated.

Items are compared over their *content words* (lower-cased, contractions and fillers
normalised as in :mod:`minutes.items.grounding`, stop words dropped, plural/-ed/-ing
endings stripped). Two items say the same thing (:func:`same_words`) when one's words are
all among the other's: the same task and object, one perhaps with more detail ("update the
roadmap" / "update the roadmap with Q3 dates", "email the slides to everyone" / "send
everyone the slides by email"), sharing at least two words; one misspelt word may stand for
its twin ("quartely" / "quarterly", one edit apart). When *each* has a word the other lacks
they are two items, however alike: "review the pricing PR" / "review the billing PR",
"update the iOS release notes" / "update the Android release notes", "fix bug 17" / "fix bug
18". Action items must also agree on the assignee ("Dave" matches "Dave Smith"; unknown
matches anyone) and on the deadline (unknown matches any), except that two readings of the
same quote are one item whatever deadline each was given.

A group is formed only of items that are pairwise the same (an item joins the first group
all of whose members it matches), so a vague "fix the bugs" cannot chain sixty different
bugs into one. The merged item is one member, whole: its text, deadline, context and quote
go together (never the words of one with the date or quote of another); the others add
only their sources, after its own, and what cannot contradict it (a missing assignee, a
higher priority, alternatives).

A negation on one side only ("we'll use Redis" / "we decided not to use Redis") makes two.

The comparison is near-linear in the number of items: candidates come from an inverted
index over the rarest word or two of each text (prefix filtering: two texts that may
differ in at most one word of the shorter share one of its two rarest, and its rarest when
that word cannot be a misspelling), not from every pair.

:func:`is_similar` is the looser test of redundancy the key-point selection uses to keep
its sentences mutually different; it is not used to merge items.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from typing import TypeVar

from minutes.items.grounding import NEGATIONS, normalise_words
from minutes.notes import ActionItem, Decision, KeyPoint, Priority, SourceRef

JACCARD_THRESHOLD = 0.6
CONTAINMENT_THRESHOLD = 0.8
FUZZY_THRESHOLD = 0.88
# A misspelling is one edit away and long enough that one edit rarely makes another word
# ("quartely"/"quarterly", not "stage"/"state" or "signup"/"signin").
_TYPO_MIN_LENGTH = 6
_MIN_SHARED = 2

STOPWORDS: frozenset[str] = frozenset(
    """a an the and or but if so then than that this these those there here it its of to in
    on at by for from with about into onto over up out as also just too well very really
    i me my mine we us our you your he him his she her they them their who what which when
    be is am are was were been being will would shall should can could may might must do
    does did done have has had having going go get got let lets please need needs ok yes
    all any some one thing things sure maybe probably actually basically like""".split()  # noqa: SIM905
)
_PRIORITY_RANK: dict[str, int] = {"low": 0, "normal": 1, "high": 2}


def _stem(word: str) -> str:
    # Crude, and kept so: the engine's rules were tuned on it ("emailed" is "email", but
    # "slides" is "slid" while "slide" stays). Items are compared on _item_stem.
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=4096)
def content_words(text: str) -> frozenset[str]:
    """The set of stemmed content words of ``text`` that similarity is computed on."""
    words = (w for w, _, _ in normalise_words(text))
    return frozenset(_stem(w) for w in words if w not in STOPWORDS)


def _item_stem(word: str) -> str:
    """A little less crude than :func:`_stem`, for the strict comparison: "slides", "slide"
    and "notes", "note" meet ("slid", "note"); "boxes" is "box", "address" keeps its "ss"."""
    for suffix in ("ing", "ed", "es", "s"):
        if not word.endswith(suffix) or len(word) - len(suffix) < 3:
            continue
        if suffix == "es" and not word[:-2].endswith(("s", "x", "z", "ch", "sh")):
            continue  # "slides": only the "s" goes
        if suffix == "s" and word.endswith("ss"):
            break
        word = word[: -len(suffix)]
        break
    # (not below five letters: "notes" is "note", never "not")
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def item_word(word: str) -> str | None:
    """A normalised word as items are compared on it: stemmed, ``None`` for a stop word."""
    return None if word in STOPWORDS else _item_stem(word)


@lru_cache(maxsize=65536)
def item_words(text: str) -> frozenset[str]:
    """The content words that items are compared on by :func:`same_words`."""
    words = (item_word(w) for w, _, _ in normalise_words(text))
    return frozenset(w for w in words if w is not None)


# Words that say *that* something was decided, not *what*: "we decided to use PostgreSQL"
# and "we'll use PostgreSQL" state one decision.
_DECISION_WORDS: frozenset[str] = frozenset(
    _item_stem(w)
    for w in """decide decided decision agree agreed agreement settle settled choose chose
    chosen opt opted final finally""".split()  # noqa: SIM905
)


def is_similar(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are near-repeats: Jaccard overlap of their content words
    ``>= 0.6``, containment ``>= 0.8`` (two words at least in the shorter), or a fuzzy ratio
    of the sorted words ``>= 0.88``.

    Loose on purpose: it tells the key-point selection that a sentence adds little next to
    one already chosen. Items are merged only by :func:`same_words`.
    """
    wa, wb = content_words(a), content_words(b)
    if not wa or not wb:
        # Nothing but stop words: only an identical text is the same.
        return _flat(a) == _flat(b)
    common = len(wa & wb)
    if common / len(wa | wb) >= JACCARD_THRESHOLD:
        return True
    shorter = min(len(wa), len(wb))
    if shorter >= 2 and common / shorter >= CONTAINMENT_THRESHOLD:
        return True
    sa, sb = " ".join(sorted(wa)), " ".join(sorted(wb))
    matcher = SequenceMatcher(None, sa, sb, autojunk=False)
    return matcher.real_quick_ratio() >= FUZZY_THRESHOLD and matcher.ratio() >= FUZZY_THRESHOLD


@lru_cache(maxsize=65536)
def _flat(text: str) -> str:
    return " ".join(w for w, _, _ in normalise_words(text))


def _one_edit(a: str, b: str) -> bool:
    """One insertion, deletion, substitution or swap of neighbours turns ``a`` into ``b``."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    if a[i + 1 :] == b[i + 1 :]:
        return True
    swapped = i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i]
    return swapped and a[i + 2 :] == b[i + 2 :]


def _may_be_misspelt(word: str) -> bool:
    # Figures are never typos of each other: "bug 17" is not "bug 18", "v2" not "v3".
    return len(word) >= _TYPO_MIN_LENGTH and not any(c.isdigit() for c in word)


def _typo(a: str, b: str) -> bool:
    return _may_be_misspelt(a) and _may_be_misspelt(b) and _one_edit(a, b)


def same_words(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether content-word sets ``a`` and ``b`` state the same item (module docstring):
    equal, or the smaller inside the larger (at most one misspelt word) and sharing at
    least two words."""
    if a == b:
        return bool(a)
    if a & NEGATIONS != b & NEGATIONS:
        return False  # "we'll use Redis" / "we decided not to use Redis"
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    missing = small - large
    if len(small) - len(missing) < _MIN_SHARED or len(missing) > 1:
        return False
    if not missing:
        return True
    (word,) = missing
    return any(_typo(word, other) for other in large - small)


def says_the_same(a: str, b: str) -> bool:
    """Whether texts ``a`` and ``b`` state the same item (see :func:`same_words`)."""
    wa, wb = item_words(a), item_words(b)
    if not wa or not wb:
        return not wa and not wb and _flat(a) == _flat(b)
    return same_words(wa, wb)


def _prefix(rarest_first: list[str]) -> list[str]:
    """The rarest words of a text, one of which any text it matches has (see
    :func:`same_words`): a text may lack at most one of the smaller's words, and only one
    that may be misspelt, and a two-word text none. So its rarest word, and the next one
    when the rarest may be the one missing ("Fix bug 17": "17" alone, not "bug", which
    every bug has)."""
    first = rarest_first[:1]
    if len(rarest_first) <= _MIN_SHARED or not _may_be_misspelt(first[0]):
        return first
    return rarest_first[:2]


@dataclass
class _Entry:
    """What the clustering needs of one item."""

    words: frozenset[str]
    flat: str  # the normalised text, which alone compares texts of stop words only
    person: str | None = None  # the assignee's name key
    when: Hashable = None  # the deadline: its date, or its words when it has no date
    quotes: frozenset[tuple[int, str]] = frozenset()  # (segment, quote)


@dataclass
class _Group:
    members: list[int]
    keys: set[frozenset[str]] = field(default_factory=set)  # distinct word sets of members
    people: set[str] = field(default_factory=set)
    whens: set[Hashable] = field(default_factory=set)
    quotes: set[tuple[int, str]] = field(default_factory=set)

    def add(self, i: int, e: _Entry) -> None:
        self.members.append(i)
        self.keys.add(e.words)
        if e.person is not None:
            self.people.add(e.person)
        if e.when is not None:
            self.whens.add(e.when)
        self.quotes |= e.quotes


def _fits(e: _Entry, g: _Group) -> bool:
    """Whether ``e`` says the same as every member of ``g`` and agrees with each on the
    assignee and the deadline. Members are compared by their distinct values, so a group
    of a hundred verbatim repeats costs one comparison, not a hundred."""
    # (Texts of stop words only are candidates only of groups of the same text.)
    if e.words and not all(same_words(e.words, k) for k in g.keys):
        return False
    if e.person is not None and not all(_same_person(e.person, p) for p in g.people):
        return False
    if e.when is None or not g.whens or g.whens == {e.when}:
        return True
    # Two readings of one quote (the overlap of two chunks) are one item, whatever
    # deadline each was read with.
    return bool(e.quotes & g.quotes)


def _cluster(entries: Sequence[_Entry]) -> list[list[int]]:
    """Indices of ``entries`` grouped: each joins the first group it fits (see
    :func:`_fits`), else starts one. Groups come in the order of their first member."""
    groups: list[_Group] = []
    by_flat: dict[str, list[int]] = {}  # texts without content words: equal texts only
    # Prefix filtering over a fixed order of words, rarest first: a text that fits another
    # shares one of the rarest words of the smaller of the two (_prefix).
    df: Counter[str] = Counter(w for e in entries for w in e.words)
    every: dict[str, list[int]] = {}  # word -> groups with a member that has it
    rarest: dict[str, list[int]] = {}  # word -> groups with a member that has it rarest
    for i, e in enumerate(entries):
        if not e.words:
            candidates: list[int] = by_flat.get(e.flat, [])
        else:
            order = sorted(e.words, key=lambda w: (df[w], w))
            found = {g for w in _prefix(order) for g in every.get(w, ())}
            found.update(g for w in order for g in rarest.get(w, ()))
            candidates = sorted(found)
        target = next((g for g in candidates if _fits(e, groups[g])), None)
        if target is None:
            target = len(groups)
            groups.append(_Group([]))
            if not e.words:
                by_flat.setdefault(e.flat, []).append(target)
        group = groups[target]
        if e.words and e.words not in group.keys:
            order = sorted(e.words, key=lambda w: (df[w], w))
            for w in order:
                _index(every, w, target)
            for w in _prefix(order):
                _index(rarest, w, target)
        group.add(i, e)
    return [g.members for g in groups]


def _index(postings: dict[str, list[int]], word: str, group: int) -> None:
    posting = postings.setdefault(word, [])
    if not posting or posting[-1] != group:
        posting.append(group)


def merge_sources(*source_lists: Sequence[SourceRef]) -> list[SourceRef]:
    """Union of sources, each (segment, quote) once, in transcript order."""
    seen: dict[tuple[int, str], SourceRef] = {}
    for sources in source_lists:
        for s in sources:
            seen.setdefault((s.segment, s.quote), s)
    return sorted(seen.values(), key=lambda s: s.segment)


def _sources_after(first: Sequence[SourceRef], *others: Sequence[SourceRef]) -> list[SourceRef]:
    """``first`` as it is (the kept item's own quote leads), then the other members'
    sources not already there, in transcript order."""
    own = {(s.segment, s.quote) for s in first}
    rest = [s for s in merge_sources(*others) if (s.segment, s.quote) not in own]
    return [*first, *rest]


def _first_segment(sources: Sequence[SourceRef]) -> float:
    return min((s.segment for s in sources), default=float("inf"))


T = TypeVar("T", ActionItem, Decision, KeyPoint)


def _chronological(items: Sequence[T], group: list[int]) -> list[int]:
    """Members ordered by where they were said (their first source), then as given."""
    return sorted(group, key=lambda i: (_first_segment(items[i].sources), i))


def _kept(items: Sequence[T], group: list[int], text: Callable[[T], str]) -> int:
    """The member whose words stand for the group: the most specific (most content words,
    then characters); on a tie the earliest said."""
    order = _chronological(items, group)
    best = max(
        range(len(order)),
        key=lambda k: (
            len(item_words(text(items[order[k]]))),
            len(text(items[order[k]])),
            -k,
        ),
    )
    return order[best]


def _quotes(sources: Sequence[SourceRef]) -> frozenset[tuple[int, str]]:
    # Verbatim: grounded quotes are spans of the segment's own text.
    return frozenset((s.segment, s.quote.strip()) for s in sources)


def _name_key(name: str | None) -> str | None:
    return re.sub(r"\s+", " ", name).strip().lower() if name and name.strip() else None


def _same_person(a: str | None, b: str | None) -> bool:
    """Unknown matches anyone; "Dave" matches "Dave Smith"; otherwise names must agree."""
    ka, kb = _name_key(a), _name_key(b)
    if ka is None or kb is None or ka == kb:
        return True
    ta, tb = ka.split(), kb.split()
    shorter, longer = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    return longer[: len(shorter)] == shorter


def _deadline(item: ActionItem) -> Hashable:
    """What two deadlines are compared by: the date when resolved, else the words said."""
    if item.due_date is not None:
        return item.due_date
    if item.due_text and (words := item_words(item.due_text)):
        return words
    return None


def _task_words(item: ActionItem) -> frozenset[str]:
    # The deadline is compared on its own: "review the PR by Friday" and "review the PR"
    # are one task, and "by Friday" / "by Monday" must not decide what the task is.
    words = item_words(item.task)
    return words - item_words(item.due_text) if item.due_text else words


def dedupe_action_items(items: list[ActionItem]) -> list[ActionItem]:
    """Merge action items that are the same task; the result keeps the input order.

    The merged item is one member whole (its task, deadline, context and quote): the one
    with a deadline if any has one, and of those the most specific. The others add their
    sources after its own, the assignee when it has none (the earliest said), and their
    priority when higher.
    """
    entries = [
        _Entry(
            words=_task_words(it),
            flat=_flat(it.task),
            person=_name_key(it.assignee),
            when=_deadline(it),
            quotes=_quotes(it.sources),
        )
        for it in items
    ]
    out: list[ActionItem] = []
    for group in _cluster(entries):
        if len(group) == 1:
            out.append(items[group[0]])
            continue
        dated = [i for i in group if entries[i].when is not None]
        kept_index = _kept(items, dated or group, lambda a: a.task)
        kept = items[kept_index]
        order = _chronological(items, group)
        members = [items[i] for i in order]
        assignee = kept.assignee or next((m.assignee for m in members if m.assignee), None)
        priority: Priority = max((m.priority for m in members), key=_PRIORITY_RANK.__getitem__)
        out.append(
            kept.model_copy(
                update={
                    "assignee": assignee,
                    "priority": priority,
                    "sources": _sources_after(
                        kept.sources, *(items[i].sources for i in order if i != kept_index)
                    ),
                }
            )
        )
    return out


def _decision_words(d: Decision) -> frozenset[str]:
    return item_words(d.decision) - _DECISION_WORDS


def dedupe_decisions(items: list[Decision]) -> list[Decision]:
    """Merge decisions that state the same thing; the result keeps the input order.

    The merged decision is its most specific statement whole (text, rationale when it has
    one, quote). It is credited to those who decided in that statement and in the first
    one (when it was made), and in other readings of those same quotes: someone who only
    repeats a decision later did not make it, so a decision restated by five hundred
    people is not credited to five hundred. Alternatives are the union.
    """
    entries = [
        _Entry(words=_decision_words(d), flat=_flat(d.decision), quotes=_quotes(d.sources))
        for d in items
    ]
    out: list[Decision] = []
    for group in _cluster(entries):
        if len(group) == 1:
            out.append(items[group[0]])
            continue
        order = _chronological(items, group)
        kept_index = _kept(items, group, lambda d: d.decision)
        kept = items[kept_index]
        said = entries[order[0]].quotes | entries[kept_index].quotes
        deciders = [i for i in order if i in (order[0], kept_index) or entries[i].quotes & said]
        alternatives: dict[str, str] = {}
        for i in order:
            for alt in items[i].alternatives:
                alternatives.setdefault(alt.strip().lower(), alt)
        rationale = kept.rationale or next(
            (items[i].rationale for i in order if items[i].rationale), None
        )
        out.append(
            kept.model_copy(
                update={
                    "rationale": rationale,
                    "alternatives": list(alternatives.values()),
                    "decided_by": list(
                        dict.fromkeys(p for i in deciders for p in items[i].decided_by)
                    ),
                    "sources": _sources_after(
                        kept.sources, *(items[i].sources for i in order if i != kept_index)
                    ),
                }
            )
        )
    return out


def dedupe_key_points(items: list[KeyPoint]) -> list[KeyPoint]:
    """Merge key points that say the same thing: the most specific one whole, with the
    others' sources after its own."""
    entries = [_Entry(words=item_words(k.text), flat=_flat(k.text)) for k in items]
    out: list[KeyPoint] = []
    for group in _cluster(entries):
        kept_index = _kept(items, group, lambda k: k.text)
        kept = items[kept_index]
        others = [items[i].sources for i in _chronological(items, group) if i != kept_index]
        out.append(kept.model_copy(update={"sources": _sources_after(kept.sources, *others)}))
    return out


def dedupe_texts(texts: Sequence[str]) -> list[str]:
    """The texts without repeats: the first of each group of texts that say the same."""
    entries = [_Entry(words=item_words(t), flat=_flat(t)) for t in texts]
    return [texts[group[0]] for group in _cluster(entries)]
