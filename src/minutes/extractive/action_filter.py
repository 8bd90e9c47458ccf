"""Which shapes found in a clause are work, and the first of them that is.

A shape is only a candidate: "I'll be honest", "I will say", "let me think", "you have to
press the button", a question that asks for information or words about the meeting itself
("let me do that right now") have the shape of a commitment or a request and are none. A
match becomes an item only if its verb names work (``lexicon.TASK_VERBS``) or a deadline is
said; "have" counts only as "have X ready", "let" only as "let her know", and the team's
"we need to…" needs both a task verb and a deadline. The judgement needs the task's verb
and deadline but not the patterns of the shapes, so it is kept out of
:mod:`minutes.extractive.action_shapes`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from minutes.extractive.action_clauses import Clause
from minutes.extractive.action_shapes import Finder, Match
from minutes.extractive.action_tasks import task_clause, verb_and_rest
from minutes.extractive.lexicon import IN_MEETING, NEVER_TASKS, is_task_verb
from minutes.extractive.sentences import Sentence
from minutes.items.dates import find_due_phrase

# "I'll have the demo script ready by June the twentieth": "have" names work only so.
_HAVE_DONE = re.compile(
    r"^(?:the|a|an|it|that|this|them|my|our|some|\w+['’]s)\b[^,.;]{0,60}?\b(?:ready|done|"
    r"finished|up|out|live|in place|sorted|drafted|fixed|completed|written|merged|deployed)\b",
    re.IGNORECASE,
)
_NEGATED = re.compile(r"^(?:not|never|no longer|n't)\b", re.IGNORECASE)
# "Tell me if…", "let us know if…": asked for only if something happens.
_CONTINGENT = re.compile(
    r"^(?:tell|let|inform|notify|ping|message|e-?mail|call|warn)\s+(?:me|us)\b(?: know)?"
    r"[^.;]*?\b(?:if|whether|in case|should)\b",
    re.IGNORECASE,
)
_LET_KNOW = re.compile(
    r"^(?:him|her|them|you|everyone|everybody|the team|[A-Z][a-z]+) know\b(?![^.;]*\bif\b)"
)
# A task verb with no object, straight into a condition: "confirm once I know…".
_NO_OBJECT = re.compile(r"^(?:once|when|if|after|as soon as|whether)\b", re.IGNORECASE)


def first_task(finder: Finder, c: Clause) -> tuple[Match | None, str | None]:
    """The first shape of ``c`` that names work, and its deadline words."""
    for m in finder.matches(c):
        # Only a deadline said after the trigger belongs to the task ("our agenda today is…
        # I'm gonna talk" has none).
        due_phrase = find_due_phrase(task_clause(m.rest))
        if _accepts(m, due_phrase, c.sentence, finder.sentences):
            return m, due_phrase
    return None, None


def _accepts(
    m: Match, due_phrase: str | None, sentence: Sentence, sentences: Sequence[Sentence] = ()
) -> bool:
    """Whether a matched shape is a real task (see the module docstring)."""
    verb, _, tail = verb_and_rest(m.rest)
    if not verb or _NEGATED.match(m.rest):
        return False
    # Words about the room are about now, unless a deadline puts the work after it ("I'll
    # email the notes on this slide to the team by Friday").
    if due_phrase is None and IN_MEETING.search(sentence.clean):
        return False
    if m.kind == "recap":
        return due_phrase is not None
    if verb == "have" and m.kind in {"first", "third", "request"}:
        return bool(_HAVE_DONE.match(tail))
    if _CONTINGENT.match(f"{verb} {tail}"):
        return False  # "please tell me if the fix doesn't work": only if something happens
    if verb == "let" and m.kind in {"first", "third"}:
        return bool(_LET_KNOW.match(tail))  # "I'll let her know which ones are pending"
    if verb in NEVER_TASKS:
        return False
    if m.kind == "explicit":
        return True
    if m.kind == "team":
        # "we need to think about colours" is discussion; "we need to ship the fix by
        # Friday" is work with a deadline.
        return due_phrase is not None and is_task_verb(verb, tail)
    if _NO_OBJECT.match(tail) and due_phrase is None:
        return False  # "I'll confirm once I know which modules you need"
    if verb == "ask" and m.kind == "first" and _asks_next(sentence, sentences):
        return False  # "Let me ask about cost. How is this priced?"
    if m.imperative:
        return is_task_verb(verb, tail) and (due_phrase is not None or m.named)
    if m.weak and m.assignee is None and due_phrase is None:
        return False
    return is_task_verb(verb, tail) or due_phrase is not None


def _asks_next(s: Sentence, sentences: Sequence[Sentence]) -> bool:
    """Whether the same turn goes on with a question: the asking happens right here."""
    nxt = sentences[s.position + 1] if s.position + 1 < len(sentences) else None
    return nxt is not None and nxt.segment == s.segment and nxt.is_question
