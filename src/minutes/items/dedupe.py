"""Merge items that say the same thing twice: across overlapping chunks, or rephrased.

Two texts are the same item when, over their *content words* (lower-cased, contractions and
fillers normalised as in :mod:`minutes.items.grounding`, stop words dropped, plural/-ed/-ing
endings stripped), one of these holds:

* Jaccard overlap ``|A ∩ B| / |A ∪ B| >= 0.6`` (a rephrasing: "email the slides to
  everyone" / "send everyone the slides by email");
* containment ``|A ∩ B| / min(|A|, |B|) >= 0.8`` with at least two words in the shorter
  (one is the other with more detail: "update the roadmap" / "update the roadmap with
  Q3 dates");
* a fuzzy ratio (difflib, on the sorted words) ``>= 0.88`` (typos, inflections).

"Email the minutes" and "email the slides" share only "email": different tasks, kept apart.
Action items with two different named assignees are never merged, however alike the task.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from difflib import SequenceMatcher
from functools import lru_cache

from minutes.items.grounding import normalise_words
from minutes.notes import ActionItem, Decision, KeyPoint, Priority, SourceRef

JACCARD_THRESHOLD = 0.6
CONTAINMENT_THRESHOLD = 0.8
FUZZY_THRESHOLD = 0.88

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
    # Crude on purpose: it only has to map "slides"/"slide", "emailed"/"email" together.
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=4096)
def content_words(text: str) -> frozenset[str]:
    """The set of stemmed content words of ``text`` that similarity is computed on."""
    words = (w for w, _, _ in normalise_words(text))
    return frozenset(_stem(w) for w in words if w not in STOPWORDS)


def is_similar(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` state the same item, by the rule of the module docstring."""
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


def _flat(text: str) -> str:
    return " ".join(w for w, _, _ in normalise_words(text))


def _cluster(texts: Sequence[str], compatible: Callable[[int, int], bool]) -> list[list[int]]:
    """Group indices of ``texts``; an item joins the first group it is similar to.

    Similar to *any* member, and compatible with *every* member: so a chain of small
    rephrasings can grow a group, but never one that mixes two assignees.
    """
    groups: list[list[int]] = []
    for i, text in enumerate(texts):
        for group in groups:
            if all(compatible(i, j) for j in group) and any(
                is_similar(text, texts[j]) for j in group
            ):
                group.append(i)
                break
        else:
            groups.append([i])
    return groups


def merge_sources(*source_lists: Sequence[SourceRef]) -> list[SourceRef]:
    """Union of sources, each (segment, quote) once, in transcript order."""
    seen: dict[tuple[int, str], SourceRef] = {}
    for sources in source_lists:
        for s in sources:
            seen.setdefault((s.segment, s.quote), s)
    return sorted(seen.values(), key=lambda s: s.segment)


def _first_segment(sources: Sequence[SourceRef]) -> float:
    return min((s.segment for s in sources), default=float("inf"))


def _chronological(
    items: Sequence[ActionItem | Decision | KeyPoint], group: list[int]
) -> list[int]:
    """Members ordered by where they were said (their first source), then as given."""
    return sorted(group, key=lambda i: (_first_segment(items[i].sources), i))


def _longest(texts: Sequence[str | None]) -> str | None:
    """The text with the most content words (then characters); the first on a tie."""
    best: str | None = None
    for t in texts:
        if t and (
            best is None or (len(content_words(t)), len(t)) > (len(content_words(best)), len(best))
        ):
            best = t
    return best


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


def dedupe_action_items(items: list[ActionItem]) -> list[ActionItem]:
    """Merge action items that are the same task; the result keeps the input order.

    A merged item keeps: the most specific task text, the assignee and the due date of the
    earliest-said member that has one (its ``due_text`` with it), the highest priority,
    the longest context, and every member's sources.
    """
    groups = _cluster(
        [it.task for it in items],
        lambda i, j: _same_person(items[i].assignee, items[j].assignee),
    )
    out: list[ActionItem] = []
    for group in groups:
        if len(group) == 1:
            out.append(items[group[0]])
            continue
        members = [items[i] for i in _chronological(items, group)]
        assignee = next((m.assignee for m in members if m.assignee), None)
        dated = next((m for m in members if m.due_date is not None), None)
        due_text = (
            dated.due_text if dated else next((m.due_text for m in members if m.due_text), None)
        )
        priority: Priority = max((m.priority for m in members), key=_PRIORITY_RANK.__getitem__)
        out.append(
            ActionItem(
                task=_longest([items[i].task for i in group]) or members[0].task,
                assignee=assignee,
                due_date=dated.due_date if dated else None,
                due_text=due_text,
                priority=priority,
                context=_longest([m.context for m in members]),
                sources=merge_sources(*(m.sources for m in members)),
            )
        )
    return out


def dedupe_decisions(items: list[Decision]) -> list[Decision]:
    """Merge decisions that state the same thing; the result keeps the input order.

    A merged decision keeps the most specific text and the longest rationale, and the
    union of alternatives, deciders and sources.
    """
    groups = _cluster([d.decision for d in items], lambda i, j: True)
    out: list[Decision] = []
    for group in groups:
        if len(group) == 1:
            out.append(items[group[0]])
            continue
        members = [items[i] for i in _chronological(items, group)]
        alternatives: dict[str, str] = {}
        for m in members:
            for alt in m.alternatives:
                alternatives.setdefault(alt.strip().lower(), alt)
        out.append(
            Decision(
                decision=_longest([items[i].decision for i in group]) or members[0].decision,
                rationale=_longest([m.rationale for m in members]),
                alternatives=list(alternatives.values()),
                decided_by=list(dict.fromkeys(p for m in members for p in m.decided_by)),
                sources=merge_sources(*(m.sources for m in members)),
            )
        )
    return out


def dedupe_key_points(items: list[KeyPoint]) -> list[KeyPoint]:
    """Merge key points that say the same thing, keeping the most specific wording."""
    groups = _cluster([k.text for k in items], lambda i, j: True)
    out: list[KeyPoint] = []
    for group in groups:
        members = [items[i] for i in group]
        text = _longest([m.text for m in members]) or members[0].text
        out.append(KeyPoint(text=text, sources=merge_sources(*(m.sources for m in members))))
    return out


def dedupe_texts(texts: Sequence[str]) -> list[str]:
    """The texts without near-repeats: the first of each group of similar texts, in order."""
    return [texts[group[0]] for group in _cluster(list(texts), lambda i, j: True)]
