"""The task of an item in its own words: "Send the deck to Bob", from "I'll just send the deck
to Bob by Friday, okay?".

Every shape hands over the words after its trigger; turning them into a task (the verb in
its base form, the deadline, urgency, fillers and a trailing vocative cut off, the clause
ended where the sentence moves on) is the same for all of them, and is kept apart from the
finding so that each can be changed without reading the other.
"""

from __future__ import annotations

import re

from minutes.extractive import pronouns
from minutes.extractive.lexicon import LOW_PRIORITY, lemma

ANAPHORIC = re.compile(r"^\w+(?: \w+)? (?:that|it|this|those|them)\b", re.IGNORECASE)
_CLAUSE_END = re.compile(
    r"[.?!;]|\s(?:because|'cause|since|so that|so we|so you|so people|so everyone|so they"
    r"|and then we|but|or else|unless)\s"
    r"|,\s*(?:and|but|so|because|which|I think|I guess|right|okay|yeah)\b"
    # a new sentence after a comma: "draft it, I know the feature well"
    r"|,\s*(?:I|we|it|that|this|there)(?:'\w+)?\s+(?!and\b|or\b)\w",
    re.IGNORECASE,
)
_TRAILING = re.compile(
    r"(?:[\s,]+(?:as well|too|please|for me|then|okay|ok|right|alright|if possible|if you can|"
    r"if I can|I think|I guess|probably|and|so|or|also|again|though|anyway|yeah|at|by|on"
    r"|before|until|for))+\s*$",
    re.IGNORECASE,
)
_URGENT_WORDS = re.compile(
    r"\b(?:urgently|asap|as soon as possible|immediately|right away)\b", re.IGNORECASE
)
_MAX_TASK_WORDS = 18
_MAX_SAID_WORDS = 25
# "Lukas, go ahead…": the addressee opening a request.
VOCATIVE_START = re.compile(r"^[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?,\s*")
# "…the doc, Priya?": the addressee is the assignee, not part of the task.
_VOCATIVE_END = re.compile(r",\s*[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\s*[?.!]?\s*$")


def verb_and_rest(rest: str) -> tuple[str, str, str]:
    """(lemma for the rules, the verb as it should be shown, the words after it)."""
    words = rest.split(maxsplit=1)
    if not words:
        return "", "", ""
    verb = words[0].strip(",.;:!?")
    tail = words[1] if len(words) > 1 else ""
    if verb.lower() == "be" and tail:  # "I'll be sending…" → "send…"
        nxt = tail.split(maxsplit=1)
        if nxt[0].lower().endswith("ing"):
            base = lemma(nxt[0])
            return base, base, nxt[1] if len(nxt) > 1 else ""
    base = lemma(verb)
    return base, (base if verb.lower().endswith("ing") else verb), tail


def task_clause(rest: str) -> str:
    """The words after the trigger up to the end of their clause."""
    end = _CLAUSE_END.search(rest)
    first_word = len(rest.split(maxsplit=1)[0]) if rest.strip() else 0
    return rest[: end.start()] if end and end.start() > first_word else rest


def _tidy(text: str, due_phrase: str | None) -> str:
    if due_phrase:
        text = re.sub(re.escape(due_phrase), " ", text, count=1, flags=re.IGNORECASE)
    # Urgency belongs to the priority, not to the task's words.
    text = LOW_PRIORITY.sub(" ", text)
    return _URGENT_WORDS.sub(" ", text)


def task_text(rest: str, due_phrase: str | None) -> str:
    """An imperative-ish task from the words after the trigger: "Send the deck to Bob"."""
    _, verb, tail = verb_and_rest(rest)
    text = _tidy(f"{verb} {tail}".strip(), due_phrase)
    text = task_clause(text)
    text = _VOCATIVE_END.sub("", re.sub(r"\s+,", ",", text))
    text = _TRAILING.sub("", re.sub(r"\s{2,}", " ", text)).strip(" ,;:-")
    words = text.split()
    if len(words) > _MAX_TASK_WORDS:
        cut = " ".join(words[:_MAX_TASK_WORDS])
        text = cut.rsplit(",", 1)[0] if "," in cut else cut
    return text[:1].upper() + text[1:]


def as_said(rest: str, due_phrase: str | None) -> str:
    """The request in its own words, for a task whose pronoun could not be resolved."""
    _, verb, tail = verb_and_rest(rest)
    text = _tidy(f"{verb} {tail}".strip(), due_phrase)
    text = re.sub(r"\s{2,}", " ", re.sub(r"\s+,", ",", text))
    text = _TRAILING.sub("", _VOCATIVE_END.sub("", text.rstrip(" .?!"))).strip(" ,;:-")
    words = text.split()
    if len(words) > _MAX_SAID_WORDS:
        text = " ".join(words[:_MAX_SAID_WORDS])
    return text[:1].upper() + text[1:]


def is_vague(task: str) -> bool:
    """Whether the task is still only "verb + pronoun" ("Do it", "Send that over")."""
    return bool(ANAPHORIC.match(task) or pronouns.VAGUE_TASK.match(task))
