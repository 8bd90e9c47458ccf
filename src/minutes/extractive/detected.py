"""Items from the segments the learned detector (:mod:`minutes.extractive.detector`) flags.

The rules stay where they are stronger: a flagged segment that a rule item of the same kind
already cites, or that sits next to one, adds nothing but a source to that item (the rule's
wording and attributes stand). The others become items:

* adjacent flagged segments (one turn, then the reply) are one item: "Industrial Designer, you
  will work on the look and feel" / "Okay, I'll do that" is one commitment, quoted twice;
* the item is worded from the group's most probable segment, from its sentence with the
  label's cue (else its longest substantive sentence), by simple rules on the cleaned words:
  "I'll look into the costs" → task "Look into the costs", assignee the speaker; "the
  Industrial Designer will work on the look and feel" → "Work on the look and feel", assignee
  the Industrial Designer; "so we'll go with the rubber buttons" → decision "Go with the
  rubber buttons", decided by the speaker; a sentence without such a shape is the item as said;
* due dates, priority and deduplication are the engine's own (:mod:`minutes.items.dates`,
  :func:`~minutes.extractive.actions.classify_action_priority`, :mod:`minutes.items.dedupe`);
* every quote is a sentence of the transcript as it stands, checked again with
  :func:`minutes.items.grounding.verify_sources`: grounding stays whole.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from minutes.extractive.action_clauses import split_clauses
from minutes.extractive.action_tasks import as_said, task_text
from minutes.extractive.actions import classify_action_priority
from minutes.extractive.people import People, introductions
from minutes.extractive.sentences import Sentence, is_substantive, split_sentences
from minutes.items.dates import find_due_phrase, resolve_due_date
from minutes.items.dedupe import dedupe_action_items, dedupe_decisions
from minutes.items.grounding import verify_sources
from minutes.notes import ActionItem, Decision, SourceRef
from minutes.transcripts.models import Transcript

# A line with any of these is a candidate of its kind: the every-cue-line baseline of the
# training script, and what picks the sentence of a flagged segment to word the item from.
CUE_LINES: dict[str, re.Pattern[str]] = {
    "action": re.compile(
        r"\b(?:i'll|i will|i'm going to|i'm gonna|let me|you'll|you will|you're going to"
        r"|you need to|you have to|you should|can you|could you|we need to|we have to"
        r"|we should|we'll|we will|next meeting|action item|to do)\b",
        re.IGNORECASE,
    ),
    "decision": re.compile(
        r"\b(?:decid\w*|decision|agree[ds]?|settled?|go (?:with|for)|stick with|we'll|we will"
        r"|let's|we should|we're going to|we are going to)\b",
        re.IGNORECASE,
    ),
}
_FILLER_VERBS = (
    r"(?:(?:just|also|then|probably|maybe|perhaps|definitely|really|actually|have to|need to"
    r"|be able to|try to|want to|go and)\s+)*"
)
# What follows the one who is to do it: "I'll …", "you need to …", "the Industrial Designer
# will …", "Mary is going to …".
_MODAL = re.compile(
    rf"(?:'ll|\s+will|\s+(?:am|are|is)\s+(?:going\s+to|gonna)|'(?:m|re|s)\s+(?:going\s+to|gonna)"
    rf"|\s+(?:need|needs|have|has)\s+to|\s+should|\s+must)\s+{_FILLER_VERBS}(?=\w)",
    re.IGNORECASE,
)
_PRONOUNS = frozenset({"i", "you", "we", "he", "she", "they"})
_SUBJECT_WORDS = 4  # "the User Interface Designer"
_LET = re.compile(rf"\b(?P<who>let me|let's|let us)\s+{_FILLER_VERBS}(?P<rest>\w.*)$", re.I)
_REQUEST = re.compile(rf"\b(?:can|could|would|will)\s+you\s+{_FILLER_VERBS}(?P<rest>\w.*)$", re.I)
_DECIDED = re.compile(
    r"\b(?:we(?:'ve| have)?\s+(?:all\s+)?(?:decided|agreed|settled)(?:\s+(?:on|that|to))?"
    r"|(?:I think\s+)?we(?:'ll|\s+will|'re going to|\s+are going to|'re gonna|\s+should"
    r"|\s+can)|let's|let us|(?:so\s+)?the decision is(?:\s+that)?)\s+(?P<rest>\w.*)$",
    re.IGNORECASE,
)
_TAIL = re.compile(
    r"(?:[\s,]+(?:then|okay|ok|right|alright|yeah|I think|I guess|probably|as well|too|so"
    r"|and|or|but|um|uh))+\W*$",
    re.IGNORECASE,
)
_MAX_DECISION_WORDS = 25
_MIN_WORDS = 2


@dataclass(frozen=True)
class Flagged:
    """A segment the detector flagged: its position in the transcript and its probability."""

    position: int
    probability: float


def flagged(probabilities: Iterable[float], threshold: float) -> list[Flagged]:
    """The segments scored at or above ``threshold``, by position."""
    return [Flagged(i, float(p)) for i, p in enumerate(probabilities) if p >= threshold]


def _groups(items: Sequence[Flagged]) -> list[list[Flagged]]:
    """Runs of adjacent flagged segments."""
    out: list[list[Flagged]] = []
    for f in sorted(items, key=lambda f: f.position):
        if out and f.position - out[-1][-1].position <= 1:
            out[-1].append(f)
        else:
            out.append([f])
    return out


def _by_segment(sentences: Sequence[Sentence]) -> dict[int, list[Sentence]]:
    out: dict[int, list[Sentence]] = {}
    for s in sentences:
        out.setdefault(s.segment_position, []).append(s)
    return out


def _best_sentence(sentences: Sequence[Sentence], label: str) -> Sentence | None:
    """The sentence to word an item from: one with the label's cue, else the longest
    substantive one, else the longest."""
    if not sentences:
        return None
    cue = CUE_LINES[label]

    def rank(s: Sentence) -> tuple[bool, bool, bool, int]:
        return (bool(cue.search(s.clean)), not s.is_question, is_substantive(s), len(s.words))

    return max(sentences, key=rank)


def _tidy(text: str) -> str:
    text = _TAIL.sub("", text.strip()).strip(" ,;:-")
    return text.rstrip(".!?").strip()


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _subject(
    before: str, speaker: str | None, text: str, people: People
) -> tuple[str | None] | None:
    """Who the words before a modal name: ``(assignee,)``, or ``None`` when they name no one
    ("the remote will have…", "it should be…")."""
    words = re.findall(r"[\w-]+", before)[-_SUBJECT_WORDS:]
    if not words:
        return None
    last = words[-1].lower()
    if last in _PRONOUNS:
        if last == "i":
            return (speaker,)
        return (people.addressed(text, speaker),) if last == "you" else (None,)
    for k in range(len(words)):  # the longest name first: "User Interface Designer"
        who = people.resolve(" ".join(words[k:]))
        if who is not None:
            return (who,)
    return None


def _clause_task(
    text: str, speaker: str | None, people: People
) -> tuple[str, str | None, str | None] | None:
    """(task, assignee, due phrase) of a clause with a commitment's shape, else ``None``."""
    due = find_due_phrase(text)
    if m := _LET.search(text):
        who = speaker if m.group("who").lower() == "let me" else None
        return task_text(m.group("rest"), due), who, due
    if m := _REQUEST.search(text):
        return task_text(m.group("rest"), due), people.addressed(text, speaker), due
    for m in _MODAL.finditer(text):
        found = _subject(text[: m.start()], speaker, text, people)
        if found is None:
            continue
        task = task_text(text[m.end() :], due)
        if len(task.split()) >= _MIN_WORDS:
            return task, found[0], due
    return None


def action_tasks(s: Sentence, people: People) -> list[tuple[str, str | None, str | None]]:
    """(task, assignee, due phrase) per commitment of a sentence, by the module docstring's
    rules: one per clause that has a commitment's shape ("the Industrial Designer will work
    on the look and feel, and the Marketing Expert is going to work on product evaluation"
    is two), else the sentence as said."""
    found = [
        task
        for clause in split_clauses(s)
        if (task := _clause_task(clause.text, s.speaker, people)) is not None
    ]
    if found:
        return found
    text = s.clean
    due = find_due_phrase(text)
    return [(as_said(_tidy(text), due), people.addressed(text, s.speaker), due)]


def action_task(s: Sentence, people: People) -> tuple[str, str | None, str | None]:
    """The sentence's first commitment (:func:`action_tasks`)."""
    return action_tasks(s, people)[0]


def decision_text(s: Sentence) -> str:
    """The decision a sentence states: "so we'll go with the rubber buttons" → "Go with the
    rubber buttons"; without a plan's words, the sentence as said."""
    text = s.clean
    if (m := _DECIDED.search(text)) and len(m.group("rest").split()) >= _MIN_WORDS:
        text = m.group("rest")
    words = _tidy(text).split()
    return _capital(" ".join(words[:_MAX_DECISION_WORDS]))


def _attach(sources: list[SourceRef], extra: Sequence[SourceRef]) -> list[SourceRef]:
    seen = {(s.segment, s.quote) for s in sources}
    return [*sources, *(e for e in extra if (e.segment, e.quote) not in seen)]


def _near(groups_segments: set[int], cited: dict[int, int]) -> int | None:
    """The first rule item citing one of these segments or a neighbour of one."""
    hits = [cited[p + d] for p in groups_segments for d in (0, -1, 1) if p + d in cited]
    return min(hits) if hits else None


def _plan(
    transcript: Transcript,
    flags: Sequence[Flagged],
    cited_by: Sequence[Sequence[SourceRef]],
    label: str,
) -> tuple[dict[int, list[SourceRef]], list[tuple[Sentence, list[SourceRef]]]]:
    """Sources to add to rule items (by item), and the new items' (sentence, sources)."""
    sentences = split_sentences(transcript)
    by_segment = _by_segment(sentences)
    position_of = {seg.index: i for i, seg in enumerate(transcript.segments)}
    cited: dict[int, int] = {}
    for k, sources in enumerate(cited_by):
        for src in sources:
            if (pos := position_of.get(src.segment)) is not None:
                cited.setdefault(pos, k)
    extra: dict[int, list[SourceRef]] = {}
    new: list[tuple[Sentence, list[SourceRef]]] = []
    for group in _groups(flags):
        best = {f.position: _best_sentence(by_segment.get(f.position, []), label) for f in group}
        sources = [s.source() for f in group if (s := best[f.position]) is not None]
        if not sources:
            continue
        owner = _near({f.position for f in group}, cited)
        if owner is not None:
            extra.setdefault(owner, []).extend(sources)
            continue
        lead = max((f for f in group if best[f.position] is not None), key=lambda f: f.probability)
        sentence = best[lead.position]
        if sentence is not None and len(sentence.words) >= _MIN_WORDS:
            new.append((sentence, sources))
    return extra, new


def add_detected_actions(
    transcript: Transcript,
    items: list[ActionItem],
    flags: Sequence[Flagged],
    meeting_date: dt.date | None = None,
    timezone: str | None = None,
) -> list[ActionItem]:
    """``items`` (the rules') with the flagged segments' commitments added (module docstring)."""
    if not flags:
        return items
    extra, new = _plan(transcript, flags, [a.sources for a in items], "action")
    out = [
        a.model_copy(update={"sources": _attach(a.sources, extra[k])}) if k in extra else a
        for k, a in enumerate(items)
    ]
    sentences = split_sentences(transcript)
    people = People(transcript.participants, introductions((s.speaker, s.clean) for s in sentences))
    for sentence, sources in new:
        grounded = verify_sources(transcript, sources)
        if not grounded:
            continue
        for task, assignee, due_phrase in action_tasks(sentence, people):
            if len(task.split()) < _MIN_WORDS:
                continue
            due = (
                resolve_due_date(due_phrase, meeting_date, timezone)
                if due_phrase and meeting_date
                else None
            )
            out.append(
                ActionItem(
                    task=task,
                    assignee=assignee,
                    due_date=due,
                    due_text=due_phrase,
                    priority=classify_action_priority(sentence.clean, due, meeting_date),
                    context=sentence.clean,
                    sources=grounded,
                )
            )
    out.sort(key=lambda a: min((s.segment for s in a.sources), default=0))
    return dedupe_action_items(out)


def add_detected_decisions(
    transcript: Transcript, items: list[Decision], flags: Sequence[Flagged]
) -> list[Decision]:
    """``items`` (the rules') with the flagged segments' decisions added (module docstring)."""
    if not flags:
        return items
    extra, new = _plan(transcript, flags, [d.sources for d in items], "decision")
    out = [
        d.model_copy(update={"sources": _attach(d.sources, extra[k])}) if k in extra else d
        for k, d in enumerate(items)
    ]
    for sentence, sources in new:
        text = decision_text(sentence)
        grounded = verify_sources(transcript, sources)
        if len(text.split()) < _MIN_WORDS or not grounded:
            continue
        out.append(
            Decision(
                decision=text,
                decided_by=[sentence.speaker] if sentence.speaker else [],
                sources=grounded,
            )
        )
    out.sort(key=lambda d: min((s.segment for s in d.sources), default=0))
    return dedupe_decisions(out)
