"""The items found so far, and merging what is said after them into them.

A request and its reply are one item: "Can you review the PR?" … "Sure, I'll do it
tomorrow." gives the reviewer and the date to the request rather than a second, vaguer
item. The same goes for "I'll send it to Zoe" continuing the speaker's last commitment, a
recap line restating an earlier item, and a deadline said after the item's clause. These
rules look back over the items and turns of the meeting, not at one clause, so they keep
the state of the loop here, apart from the finding of shapes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from minutes.extractive.action_clauses import Clause
from minutes.extractive.action_shapes import FIRST_PERSON
from minutes.extractive.action_tasks import is_vague
from minutes.extractive.lexicon import YES
from minutes.extractive.sentences import Sentence
from minutes.items.dates import find_due_phrase, resolve_due_date
from minutes.items.dedupe import content_words, item_word
from minutes.items.grounding import normalise_words
from minutes.notes import ActionItem

# A short reply right after "can you review…?" accepts that request: it is merged into it
# rather than listed as a task of its own.
_ACCEPT_WINDOW = 6  # sentences
_CONTINUE_WINDOW = 3  # sentences, within one turn


@dataclass
class Found:
    """What the loop knows about an item besides the item itself."""

    kind: str
    position: int  # the sentence it was said in
    turn: int
    speaker: str | None
    vague: bool  # the task is still only "verb + pronoun"
    accepted: bool = False
    sentences: list[int] = field(default_factory=list)


def _turns(sentences: Sequence[Sentence]) -> list[int]:
    """A turn number per sentence: it changes when the speaker does."""
    out: list[int] = []
    for s in sentences:
        same = out and sentences[len(out) - 1].speaker == s.speaker
        out.append(out[-1] if same else (out[-1] + 1 if out else 0))
    return out


def _object_words(task: str) -> frozenset[str]:
    """Content words of a task without its verb: what it is about."""
    return content_words(task.split(maxsplit=1)[1] if " " in task else "")


def _tokens(task: str) -> list[str | None]:
    """The task's words as items are compared on them, ``None`` for a stop word."""
    return [item_word(w) for w, _, _ in normalise_words(task)]


def _other_work(task: str, other: str) -> bool:
    """Whether two tasks that share a word name different things by it: another word
    before it ("review the pricing PR" / "review the billing PR", "the iOS release notes" /
    "the Android release notes") or another figure after it ("bug 17" / "bug 18"). A reply
    or a follow-up that does is no reply to the other; "get the quote before the deadline"
    after "get a quote for the larger tier" is one ("the quote" only points back)."""
    mine, theirs = _tokens(task), _tokens(other)
    words_mine, words_theirs = {w for w in mine if w}, {w for w in theirs if w}
    for i, w in enumerate(mine):
        if w is None or w not in words_theirs:
            continue
        for j, v in enumerate(theirs):
            if v != w:
                continue
            a, b = (mine[i - 1] if i else None), (theirs[j - 1] if j else None)
            # (a word the other also has is the same thing said in another order)
            if a and b and a != b and a not in words_theirs and b not in words_mine:
                return True
            after = (
                mine[i + 1] if i + 1 < len(mine) else None,
                theirs[j + 1] if j + 1 < len(theirs) else None,
            )
            if all(x and x.isdigit() for x in after) and after[0] != after[1]:
                return True
    return False


class Items:
    """The items found so far, with what the loop needs to merge replies into them."""

    def __init__(
        self, sentences: list[Sentence], meeting_date: dt.date | None, timezone: str | None
    ) -> None:
        self.sentences = sentences
        self.turns = _turns(sentences)
        # Where each sentence's turn starts, once: walking back to it per question costs the
        # square of a long turn (a transcript without speakers is one turn).
        self._turn_starts: list[int] = []
        for i, turn in enumerate(self.turns):
            same = i > 0 and self.turns[i - 1] == turn
            self._turn_starts.append(self._turn_starts[-1] if same else i)
        self.meeting_date = meeting_date
        self.timezone = timezone
        self.items: list[ActionItem] = []
        self.found: list[Found] = []
        # Each speaker's items in the order found (so by position): what the replies look
        # back at, without a pass over every item of the meeting per sentence.
        self._by_speaker: dict[str | None, list[int]] = {}

    def due(self, phrase: str | None) -> dt.date | None:
        if phrase and self.meeting_date:
            return resolve_due_date(phrase, self.meeting_date, self.timezone)
        return None

    def add(self, item: ActionItem, found: Found) -> None:
        self._by_speaker.setdefault(found.speaker, []).append(len(self.items))
        self.items.append(item)
        self.found.append(found)

    def update(self, index: int, s: Sentence, **changes: object) -> None:
        item = self.items[index]
        sources = item.sources if s.source() in item.sources else [*item.sources, s.source()]
        context = item.context or ""
        if s.clean not in context:
            context = f"{context} / {s.speaker}: {s.clean}" if s.speaker else context
        self.items[index] = item.model_copy(
            update={"sources": sources, "context": context, **changes}
        )

    def set_due(self, index: int, phrase: str, *, override: bool = False) -> None:
        item = self.items[index]
        if item.due_text and not override:
            return
        due = self.due(phrase)
        if item.due_text and due is None:
            return  # a date we can resolve is not replaced by one we cannot
        priority = item.priority
        if due is not None and self.meeting_date is not None and due <= self.meeting_date:
            priority = "high"
        self.items[index] = item.model_copy(
            update={"due_text": phrase, "due_date": due, "priority": priority}
        )

    def turn_start(self, s: Sentence) -> Sentence:
        """The first sentence of the turn ``s`` is in."""
        return self.sentences[self._turn_starts[s.position]]

    def pending_request(self, s: Sentence) -> int | None:
        """The request that a commitment in ``s`` may be the reply to: the latest one in
        the last few sentences, for this speaker (or nobody yet), not yet accepted, and
        this is the speaker's first turn since."""
        turn = self.turns[s.position]
        for index in range(len(self.items) - 1, -1, -1):
            f = self.found[index]
            if s.position - f.position > _ACCEPT_WINDOW:
                break
            if f.kind != "request" or f.accepted or f.speaker == s.speaker:
                continue
            if self.items[index].assignee not in (None, s.speaker):
                continue
            for later in reversed(self._by_speaker.get(s.speaker, [])):
                g = self.found[later]
                if g.position <= f.position:
                    break
                if g.turn != turn:
                    return None  # they committed to something else since
            return index
        return None

    def accept(self, index: int, s: Sentence, task: str, due_phrase: str | None) -> bool:
        """Merge the commitment ``task`` into request ``index`` if it accepts it."""
        f = self.found[index]
        if _other_work(task, self.items[index].task):
            return False  # "Can you review the pricing PR?" "I'll review the billing PR."
        vague = is_vague(task) or len(task.split()) <= 3
        shared = bool(_object_words(task) & _object_words(self.items[index].task))
        turn_start = self.turn_start(s)
        own = self._by_speaker.get(s.speaker)
        first_in_turn = not (own and self.found[own[-1]].position >= turn_start.position)
        says_yes = first_in_turn and bool(YES.match(turn_start.plain))
        if not (vague or shared or says_yes):
            return False
        changes: dict[str, object] = {"assignee": self.items[index].assignee or s.speaker}
        if f.vague and not vague:
            changes["task"] = task  # "Can you do it?" … "I'll upgrade the Redis cluster"
            f.vague = False
        self.update(index, s, **changes)
        if due_phrase:
            # the assignee's own date for the same work is the one they will keep to
            self.set_due(index, due_phrase, override=shared or f.vague or "task" in changes)
        f.accepted = True
        f.sentences.append(s.position)
        return True

    def continued(self, s: Sentence) -> int | None:
        """The item this speaker committed to just before, in this turn: what "I'll send
        it to Zoe" continues."""
        turn = self.turns[s.position]
        for index in range(len(self.items) - 1, -1, -1):
            f = self.found[index]
            last = max([f.position, *f.sentences])
            if s.position - last > _CONTINUE_WINDOW or self.turns[last] != turn:
                return None
            if self.items[index].assignee == s.speaker and not f.vague:
                return index
        return None

    def recap_of(self, who: str | None, task: str, position: int, window: int | None) -> int | None:
        """An earlier item of ``who`` on the subject of ``task``: what a recap line
        ("Raj, the mobile team follow-up today") or a follow-up request ("Please send me a
        draft by Monday" after "I can draft it") is about. ``window``: how many sentences
        back, ``None`` for any."""
        words = content_words(task) if window is None else _object_words(task)
        for index in range(len(self.items) - 1, -1, -1):
            item, f = self.items[index], self.found[index]
            if window is not None and position - max([f.position, *f.sentences]) > window:
                break
            if item.assignee != who or not words & content_words(item.task):
                continue
            # about the same work, not another thing of the same kind ("Raj, the billing PR
            # by Friday" does not recap "review the pricing PR")
            if not _other_work(task, item.task):
                return index
        return None


def dated_yes(found: Items, c: Clause) -> bool:
    """ "Can you update the designs?" "Yes, I'll have the updated designs in Figma by
    Wednesday.": a yes with a date but no task words of its own dates the request."""
    s = c.sentence
    if c.is_question or not s.speaker or not FIRST_PERSON.search(c.text):
        return False
    index = found.pending_request(s)
    if index is None or found.items[index].due_text:
        return False
    if not YES.match(found.turn_start(s).plain) or not (due_phrase := find_due_phrase(c.text)):
        return False
    found.update(index, s)
    found.set_due(index, due_phrase)
    found.found[index].accepted = True
    found.found[index].sentences.append(s.position)
    return True
