"""Action items from commitments ("I'll send…") and requests ("Dave, can you…").

A sentence is cut into clauses ("I'll do the battlecard, and Rachel, could you write the
demo script?" is two), and each clause is tried against these shapes, in order; the first
that names work becomes an item:

1. explicit: "Action item: Dave to send the deck", "TODO: …";
2. first person: "I'll / I will / I'm going to / I can take / let me … / I'll have X
   ready by …" — the speaker;
3. third person: "<name> will / is going to / to …" — the named person;
4. request: "can/could/would you …", "please …", "<name>, you'll …", "<name>, <verb> …",
   "you need to …" — the one addressed by name, else the one who says yes in the next
   turns, else (two people in the meeting) the other one; a bare imperative with a
   deadline ("Sure, send Paul your list by the end of the month") — the one answered;
5. team: "we need to / we have to / let's … by <deadline>" — nobody in particular.

A match becomes an item only if its verb names work ("send", "look into", "set up"; see
``lexicon.TASK_VERBS``) or a deadline is said; never for "I'll be honest", "I will say",
"let me think", questions that ask for information, or words about the meeting itself
("let me do that right now"). Due dates come from :mod:`minutes.items.dates`; a deadline said in
the next clause of the same sentence ("let me talk to Olivier, and I'll have an answer by
Tuesday") belongs to the item.

Replies and pronouns:

* the assignee's first commitment after a request, in their next turn, accepts it when it
  is vague ("I'll do it tomorrow"), shares its words, or opens with a yes: it is merged
  into the request (its deadline with it) rather than listed again;
* "I'll send it to Zoe" right after the same speaker's "I can write the landing page copy"
  continues that item: "Write the landing page copy and send it to Zoe";
* any other "do it" / "send it to Zoe" gets what the pronoun points to from the sentences
  before (:mod:`minutes.extractive.pronouns`); when nothing reliable is found, the task is
  the request as said ("Chase them, and if there's nothing by Friday, we drop that quote"),
  not two words;
* a recap line ("Raj, the mobile team follow-up today.") merges into that person's item on
  the same subject, and is an item of its own only when there is none.

The parts: :mod:`~minutes.extractive.action_clauses` cuts a sentence into clauses,
:mod:`~minutes.extractive.action_shapes` finds the shapes in a clause (and
:mod:`~minutes.extractive.action_assignees` who a request is for),
:mod:`~minutes.extractive.action_filter` keeps those that are work,
:mod:`~minutes.extractive.action_tasks` words the task, and
:mod:`~minutes.extractive.action_replies` merges replies, continuations and recaps into the
items found before. This module runs them over a transcript.
"""

from __future__ import annotations

import datetime as dt

from minutes.extractive import pronouns
from minutes.extractive.action_clauses import split_clauses
from minutes.extractive.action_filter import first_task
from minutes.extractive.action_replies import Found, Items, dated_yes
from minutes.extractive.action_shapes import Finder, Match
from minutes.extractive.action_tasks import (
    ANAPHORIC,
    VOCATIVE_START,
    as_said,
    is_vague,
    task_text,
)
from minutes.extractive.lexicon import HIGH_PRIORITY, LOW_PRIORITY
from minutes.extractive.people import People, introductions
from minutes.extractive.sentences import Sentence, split_sentences
from minutes.items.dates import find_due_phrase
from minutes.items.dedupe import dedupe_action_items
from minutes.notes import ActionItem, Priority
from minutes.transcripts.models import Transcript

_FOLLOW_UP_WINDOW = 4  # sentences


def classify_action_priority(
    text: str, due: dt.date | None, meeting_date: dt.date | None
) -> Priority:
    """high for urgent words or a deadline on the meeting day; low for "when you get a
    chance", "nice to have"; else normal."""
    if HIGH_PRIORITY.search(text):
        return "high"
    if due is not None and meeting_date is not None and due <= meeting_date:
        return "high"
    if LOW_PRIORITY.search(text):
        return "low"
    return "normal"


def extract_action_items(
    transcript: Transcript,
    meeting_date: dt.date | None = None,
    timezone: str | None = None,
) -> list[ActionItem]:
    """Action items said in the meeting, in transcript order, deduplicated.

    ``meeting_date`` (default: the transcript's date) anchors relative deadlines; without
    one, ``due_text`` is kept and ``due_date`` stays ``None``.
    """
    meeting_date = meeting_date or transcript.date
    timezone = timezone or transcript.timezone
    sentences = split_sentences(transcript)
    aliases = introductions((s.speaker, s.clean) for s in sentences)
    finder = Finder(People(transcript.participants, aliases), sentences)
    found = Items(sentences, meeting_date, timezone)
    for s in sentences:
        if len(s.words) < 3:
            continue
        last: int | None = None  # the item of this sentence's previous clause
        for c in split_clauses(s):
            m, due_phrase = first_task(finder, c)
            if m is None and dated_yes(found, c):
                continue
            if m is None:
                # "Let me talk to Olivier, and I'll have an answer for you by Tuesday."
                spill = find_due_phrase(c.text) if last is not None else None
                if last is not None and spill and not c.is_question:
                    found.set_due(last, spill)
                last = None
                continue
            last = _record(found, s, m, due_phrase, c.text)
    # Merging can make a new near-duplicate ("add the component to the status page" grows
    # into the recap's longer text, which then contains "add the checkout component"):
    # merge until nothing changes.
    items = dedupe_action_items(found.items)
    while len(merged := dedupe_action_items(items)) < len(items):
        items = merged
    return items


def _record(
    found: Items,
    s: Sentence,
    m: Match,
    due_phrase: str | None,
    clause: str = "",
) -> int | None:
    """Add the item of match ``m``, or merge it into the one it replies to, continues or
    recaps; the index of the item it went to, if any."""
    if m.kind in {"recap", "request"} and m.assignee:
        task = task_text(m.rest, due_phrase)
        window = None if m.kind == "recap" else _FOLLOW_UP_WINDOW
        index = found.recap_of(m.assignee, task, s.position, window)
        if index is not None:
            found.update(index, s)
            if due_phrase:
                found.set_due(index, due_phrase)
            return index
    task = task_text(m.rest, due_phrase)
    if len(task.split()) < 2:
        return None
    if m.kind == "first" and s.speaker:
        index = found.pending_request(s)
        if index is not None and found.accept(index, s, task, due_phrase):
            return index
        if is_vague(task) and (index := found.continued(s)) is not None:
            item = found.items[index]
            found.update(index, s, task=f"{item.task} and {task[:1].lower()}{task[1:]}")
            if due_phrase:
                found.set_due(index, due_phrase)
            found.found[index].sentences.append(s.position)
            return index
    context = _context(s, task, found.sentences)
    vague = is_vague(task)
    before = found.sentences[max(0, s.position - 4) : s.position]
    if named := pronouns.resolve_demonstrative(task, before, s.speaker):
        task, vague = named, is_vague(named)
    if vague:
        said_before = clause[: clause.find(m.rest)] if m.rest and m.rest in clause else ""
        resolved = pronouns.resolve(task, before, s.speaker, said_before)
        if resolved is not None:
            task, vague = resolved, False
        elif (bare := pronouns.VAGUE_TASK.fullmatch(task)) and not bare.group("rest").strip():
            # nothing reliable to point to: the request as said, not two words
            said = as_said(m.rest, due_phrase)
            if len(said.split()) <= len(task.split()) + 1 and m.kind != "first":
                said = as_said(VOCATIVE_START.sub("", clause), due_phrase)
            task = said if len(said.split()) > len(task.split()) else task
    due = found.due(due_phrase)
    found.add(
        ActionItem(
            task=task,
            assignee=m.assignee,
            due_date=due,
            due_text=due_phrase,
            priority=classify_action_priority(
                _with_next(s, found.sentences), due, found.meeting_date
            ),
            context=context,
            sources=[s.source()],
        ),
        Found(
            kind="request" if m.kind in {"request", "recap"} else m.kind,
            position=s.position,
            turn=found.turns[s.position],
            speaker=s.speaker,
            vague=vague,
        ),
    )
    return len(found.items) - 1


def _context(s: Sentence, task: str, sentences: list[Sentence]) -> str:
    """The sentence; with what "that"/"it" points to when the task is only a pronoun."""
    if not ANAPHORIC.match(task):
        return s.clean
    earlier = sentences[max(0, s.position - 6) : s.position]
    pointed = next(
        (p for p in reversed(earlier) if p.is_question and p.speaker != s.speaker), None
    ) or next((p for p in reversed(earlier) if len(p.content_words) >= 3), None)
    if pointed is None:
        return s.clean
    who = f"{pointed.speaker}: " if pointed.speaker else ""
    me = f"{s.speaker}: " if s.speaker else ""
    return f"{who}{pointed.clean} / {me}{s.clean}"


def _with_next(s: Sentence, sentences: list[Sentence]) -> str:
    """The sentence and, when the same turn goes on, the next one ("…? It's blocking QA.")."""
    nxt = sentences[s.position + 1] if s.position + 1 < len(sentences) else None
    if nxt is not None and nxt.segment == s.segment:
        return f"{s.clean} {nxt.clean}"
    return s.clean
