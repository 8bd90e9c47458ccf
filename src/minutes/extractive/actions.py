"""Action items from commitments ("I'll send…") and requests ("Dave, can you…").

Each sentence is tried against five shapes, first match wins:

1. explicit: "Action item: Dave to send the deck", "TODO: …";
2. first person: "I'll / I will / I'm going to / I can take / let me …" — the speaker;
3. third person: "<name> will / is going to / to …" — the named person;
4. request: "can/could/would you …", "please …", "<name>, …", "you need to …" — the one
   addressed by name, else the one who says yes in the next turns, else (two people in
   the meeting) the other one;
5. team: "we need to / we have to / let's … by <deadline>" — nobody in particular.

A match becomes an item only if its verb names work ("send", "look into", "set up"; see
``lexicon.TASK_VERBS``) or a deadline is said; never for "I'll be honest", "I will say",
"let me think", questions that ask for information, or words about the meeting itself
("let me do that right now"). Due dates come from :mod:`minutes.dates`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from minutes.dates import find_due_phrase, resolve_due_date
from minutes.dedupe import dedupe_action_items
from minutes.extractive.lexicon import (
    AFFIRMATIONS,
    HIGH_PRIORITY,
    IN_MEETING,
    LOW_PRIORITY,
    NEVER_TASKS,
    is_task_verb,
    lemma,
)
from minutes.extractive.people import People, introductions
from minutes.extractive.sentences import Sentence, split_sentences
from minutes.notes import ActionItem, Priority
from minutes.transcripts.models import Transcript

_ADVERBS = (
    r"(?:(?:just|also|then|probably|definitely|certainly|quickly|actually|maybe|personally|"
    r"gladly|happily|still|now|first|try to|go ahead and|need to|have to|be able to|make sure "
    r"to|be sure to|please|kindly)\s+)*"
)
_FIRST_PERSON = re.compile(
    r"\b(?:I(?:'ll| will| shall|'m going to| am going to|'m gonna| am gonna)"
    r"|I can (?=take|handle|do|look|send|check|get|own|pick|follow)|leave it with me,?"
    r"|I(?:'ll| will) take care of(?= ))\s*" + _ADVERBS + r"(?P<rest>.*)",
    re.IGNORECASE,
)
# "let me" mostly steers the meeting ("let me see", "let me just go back"); only these
# verbs make it a commitment.
_LET_ME = re.compile(
    r"\blet me\s+" + _ADVERBS + r"(?P<rest>(?:check|send|e-?mail|forward|share|follow up|find out"
    r"|ask|confirm|verify|draft|write up|schedule|book|set up|circulate|investigate|research"
    r"|contact|call|ping|reach out|sort out|take care|handle|get back to (?:you|him|her|them)"
    r"|look into|dig into|chase|talk to|speak to)\b.*)",
    re.IGNORECASE,
)
_STRONG_REQUEST = (
    r"(?:can|could|would|will) you|would you mind|(?:could|can) I ask you to"
    r"|I(?:'d| would) like you to|I need you to|I want you to|please"
    r"|you(?:'ll| will) (?:need|have) to|you(?:'re| are) going to|you(?:'re| are) gonna"
)
# Generic "you": "you have to press the button", "you should find a link". Only a
# request when someone is named or a deadline is said.
_WEAK_REQUEST = r"make sure you|you (?:need|have|should|must|ought|got) to|you should"
_REQUEST = re.compile(
    r"(?:^|[,;:]\s*|\b(?:so|and|but|okay|also|then)\s+)"
    rf"(?:(?P<strong>{_STRONG_REQUEST})|(?P<weak>{_WEAK_REQUEST}))"
    r"\s+" + _ADVERBS + r"(?P<rest>.*)",
    re.IGNORECASE,
)
_TEAM = re.compile(
    r"\b(?:we (?:need|have|must|should|'ll need|will need|'ve got|got) to|we'll|we will|let's)"
    r"\s+" + _ADVERBS + r"(?P<rest>.*)",
    re.IGNORECASE,
)
_EXPLICIT = re.compile(
    r"^(?:action items?|action|todo|to-do|to do|follow-up|follow up|next steps?)\s*"
    r"(?:for (?P<for>[A-Z][\w' ]+?))?\s*[:\-–]\s*(?P<rest>.+)",
    re.IGNORECASE,
)
_THIRD_AUX = (
    r"\s*,?\s+(?P<aux>will|'ll|is going to|'s going to|are going to|is gonna|'s gonna"
    r"|are gonna|is to|are to|to|needs to|need to|has to|have to|should|can|is supposed to"
    r"|is on|'s on)\s+(?:be\s+)?" + _ADVERBS
)
# Auxiliaries that only make a third-person commitment after a known participant's name:
# "Talk to Dave" must not read as "Talk" (to) "Dave…".
_WEAK_AUX = frozenset({"to", "can", "should", "is to", "are to", "is on", "'s on"})
_AND = re.compile(r"\s*(?:,\s*and|,|and|&)\s+", re.IGNORECASE)
_NEGATED = re.compile(r"^(?:not|never|no longer|n't)\b", re.IGNORECASE)
_CONDITIONAL = re.compile(
    r"\b(?:if|when|whether|unless|once|whoever|what|how|why|where|which|in case)\b[^,;]*$"
    # a relative clause ("the decisions that we need to make") or reported words ("they
    # think, ah, I'll buy…") are not commitments either
    r"|\b(?:that|who)\s*$"
    r"|\b(?:they|he|she|people|customers|users|someone|one) (?:think|thinks|say|says|said|"
    r"might say|would say|go|goes)\b",
    re.IGNORECASE,
)
_ANAPHORIC = re.compile(r"^\w+(?: \w+)? (?:that|it|this|those|them)\b", re.IGNORECASE)
_CLAUSE_END = re.compile(
    r"[.?!;]|\s(?:because|'cause|since|so that|so we|and then we|but|or else|unless)\s"
    r"|,\s*(?:and|but|so|because|which|I think|I guess|right|okay|yeah)\b",
    re.IGNORECASE,
)
_TRAILING = re.compile(
    r"(?:[\s,]+(?:as well|too|please|for me|then|okay|ok|right|alright|if possible|if you can|"
    r"if I can|I think|I guess|probably|and|so|or|also|again|though|anyway|yeah))+\s*$",
    re.IGNORECASE,
)
_URGENT_WORDS = re.compile(
    r"\b(?:urgently|asap|as soon as possible|immediately|right away)\b", re.IGNORECASE
)
_MAX_TASK_WORDS = 18
# "…the doc, Priya?": the addressee is the assignee, not part of the task.
_VOCATIVE_END = re.compile(r",\s*[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\s*[?.!]?\s*$")
# A short "I'll take a look" right after "can you review…?" accepts that request: it is
# merged into it rather than listed as a task of its own.
_ACCEPT_WINDOW = 6  # sentences


@dataclass(frozen=True)
class _Match:
    kind: str  # explicit | first | third | request | team
    rest: str  # the words after the trigger, starting at the verb
    assignee: str | None
    weak: bool = False  # a generic-"you" request: needs a name or a deadline


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


def _verb_and_rest(rest: str) -> tuple[str, str, str]:
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


def _accepts(m: _Match, due_phrase: str | None, sentence: Sentence) -> bool:
    """Whether a matched shape is a real task (see the module docstring)."""
    verb, _, tail = _verb_and_rest(m.rest)
    if not verb or _NEGATED.match(m.rest) or verb in NEVER_TASKS:
        return False
    if IN_MEETING.search(sentence.clean):
        return False
    if m.kind == "explicit":
        return True
    if m.kind == "team":
        # "we need to think about colours" is discussion; "we need to ship the fix by
        # Friday" is work with a deadline.
        return due_phrase is not None and is_task_verb(verb, tail)
    if m.weak and m.assignee is None and due_phrase is None:
        return False
    return is_task_verb(verb, tail) or due_phrase is not None


def task_clause(rest: str) -> str:
    """The words after the trigger up to the end of their clause."""
    end = _CLAUSE_END.search(rest)
    first_word = len(rest.split(maxsplit=1)[0]) if rest.strip() else 0
    return rest[: end.start()] if end and end.start() > first_word else rest


def task_text(rest: str, due_phrase: str | None) -> str:
    """An imperative-ish task from the words after the trigger: "Send the deck to Bob"."""
    _, verb, tail = _verb_and_rest(rest)
    text = f"{verb} {tail}".strip()
    if due_phrase:
        text = re.sub(re.escape(due_phrase), " ", text, count=1, flags=re.IGNORECASE)
    # Urgency belongs to the priority, not to the task's words.
    text = LOW_PRIORITY.sub(" ", text)
    text = _URGENT_WORDS.sub(" ", text)
    text = task_clause(text)
    text = _VOCATIVE_END.sub("", re.sub(r"\s+,", ",", text))
    text = _TRAILING.sub("", re.sub(r"\s{2,}", " ", text)).strip(" ,;:-")
    words = text.split()
    if len(words) > _MAX_TASK_WORDS:
        cut = " ".join(words[:_MAX_TASK_WORDS])
        text = cut.rsplit(",", 1)[0] if "," in cut else cut
    return text[:1].upper() + text[1:]


class _Finder:
    """The five shapes, with the people of this meeting."""

    def __init__(self, people: People, sentences: list[Sentence]) -> None:
        self.people = people
        self.sentences = sentences
        mention = people.mention_pattern()
        group = rf"{mention}(?:{_AND.pattern}{mention})*"
        lead = r"(?:^|[,;:]\s*|\b(?:and|so|then|but|okay|now)\s+)"
        self.third = re.compile(rf"{lead}(?P<who>{group}){_THIRD_AUX}(?P<rest>.*)")
        self.delegated = re.compile(
            rf"\bI(?:'d| would) like (?P<who>{group}) to\s+(?P<rest>.*)"
            rf"|\bI (?:want|need|asked|am asking|'m asking) (?P<who2>{group}) to\s+(?P<rest2>.*)"
        )
        self.vocative_imperative = re.compile(rf"^(?P<who>{mention}),\s+(?P<rest>\w+.*)")

    def match(self, s: Sentence) -> _Match | None:
        """The first of the five shapes that ``s`` has, if any."""
        text = s.clean
        if m := _EXPLICIT.match(text):
            inner = self.match_inner(m.group("rest"), s)
            who = inner.assignee if inner else self.people.assignee(m.group("for"))
            rest = inner.rest if inner else m.group("rest")
            return _Match("explicit", rest, who)
        return self.match_inner(text, s)

    def names(self, group: str) -> str | None:
        """ "Kate and Kendra" → "Kate and Kendra" when each is a person, else ``None``."""
        resolved = [self.people.assignee(part) for part in _AND.split(group)]
        if not resolved or any(r is None for r in resolved):
            return None
        return " and ".join(dict.fromkeys(r for r in resolved if r))

    def match_inner(self, text: str, s: Sentence) -> _Match | None:
        """The shapes other than "Action item:", in order."""
        # Questions ("Will I…?", "Shall we…?") offer or ask; they do not commit.
        for pattern in (_FIRST_PERSON, _LET_ME):
            m = pattern.search(text)
            if m and not s.is_question and not self._conditional(text, m.start()):
                return _Match("first", m.group("rest"), s.speaker)
        if (m := self.delegated.search(text)) and not self._conditional(text, m.start()):
            who = self.names(m.group("who") or m.group("who2"))
            if who:
                return _Match("request", m.group("rest") or m.group("rest2"), who)
        if (m := self.third.search(text)) and not self._conditional(text, m.start()):
            who = self.names(m.group("who"))
            known = all(self.people.resolve(p) for p in _AND.split(m.group("who")))
            # "Bob, can you…" is a request to Bob, handled below, not Bob's commitment.
            is_request = re.match(r"you\b", m.group("rest"), re.IGNORECASE)
            if who and not is_request and (known or m.group("aux").lower() not in _WEAK_AUX):
                return _Match("third", m.group("rest"), who)
        if (m := _REQUEST.search(text)) and not self._conditional(text, m.start()):
            who = self.addressee(s, text)
            return _Match("request", m.group("rest"), who, weak=bool(m.group("weak")))
        if m := self.vocative_imperative.match(text):
            who = self.people.assignee(m.group("who"))
            if who and who != s.speaker:
                return _Match("request", m.group("rest"), who)
        m = _TEAM.search(text)
        if m and not s.is_question and not self._conditional(text, m.start()):
            return _Match("team", m.group("rest"), None)
        return None

    @staticmethod
    def _conditional(text: str, start: int) -> bool:
        """ "if I'll…", "how can you…": the trigger sits in a condition or a wh-question."""
        return bool(_CONDITIONAL.search(text[:start]))

    def addressee(self, s: Sentence, text: str) -> str | None:
        """Who a request is for: named, or the one who says yes, or the only other one."""
        named = self.people.addressed(text, s.speaker)
        if named:
            return named
        # "For the designer, which is Hamed," … "you are going to work on…": the name may
        # sit in the same speaker's previous sentence.
        for prev in reversed(self.sentences[max(0, s.position - 2) : s.position]):
            if prev.speaker == s.speaker and (
                named := self.people.addressed(prev.clean, s.speaker)
            ):
                return named
        if s.is_question:
            for nxt in self.sentences[s.position + 1 : s.position + 5]:
                if nxt.speaker and nxt.speaker != s.speaker:
                    if AFFIRMATIONS.match(nxt.plain):
                        return nxt.speaker
                    break
        others = [p for p in self.people.participants if p != s.speaker]
        return others[0] if len(others) == 1 and s.speaker else None

    def context(self, s: Sentence, task: str) -> str:
        """The sentence; with what "that"/"it" points to when the task is only a pronoun."""
        if not _ANAPHORIC.match(task):
            return s.clean
        earlier = self.sentences[max(0, s.position - 6) : s.position]
        pointed = next(
            (p for p in reversed(earlier) if p.is_question and p.speaker != s.speaker), None
        ) or next((p for p in reversed(earlier) if len(p.content_words) >= 3), None)
        if pointed is None:
            return s.clean
        who = f"{pointed.speaker}: " if pointed.speaker else ""
        me = f"{s.speaker}: " if s.speaker else ""
        return f"{who}{pointed.clean} / {me}{s.clean}"


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
    finder = _Finder(People(transcript.participants, aliases), sentences)
    items: list[ActionItem] = []
    requests: list[tuple[int, int]] = []  # (sentence position, index in items)
    for s in sentences:
        if len(s.words) < 3:
            continue
        m = finder.match(s)
        if m is None:
            continue
        # Only a deadline said after the trigger belongs to the task ("our agenda today is…
        # I'm gonna talk" has none).
        due_phrase = find_due_phrase(task_clause(m.rest))
        if not _accepts(m, due_phrase, s):
            continue
        task = task_text(m.rest, due_phrase)
        if len(task.split()) < 2:
            continue
        accepted = _accepted_request(items, requests, s, m, task)
        if accepted is not None:
            items[accepted] = _with_acceptance(items[accepted], s)
            continue
        due = None
        if due_phrase and meeting_date:
            due = resolve_due_date(due_phrase, meeting_date, timezone)
        if m.kind == "request":
            requests.append((s.position, len(items)))
        items.append(
            ActionItem(
                task=task,
                assignee=m.assignee,
                due_date=due,
                due_text=due_phrase,
                priority=classify_action_priority(_with_next(s, sentences), due, meeting_date),
                context=finder.context(s, task),
                sources=[s.source()],
            )
        )
    return dedupe_action_items(items)


def _with_next(s: Sentence, sentences: list[Sentence]) -> str:
    """The sentence and, when the same turn goes on, the next one ("…? It's blocking QA.")."""
    nxt = sentences[s.position + 1] if s.position + 1 < len(sentences) else None
    if nxt is not None and nxt.segment == s.segment:
        return f"{s.clean} {nxt.clean}"
    return s.clean


def _accepted_request(
    items: list[ActionItem], requests: list[tuple[int, int]], s: Sentence, m: _Match, task: str
) -> int | None:
    """The request that this short first-person reply accepts, if it is one."""
    if m.kind != "first" or not s.speaker:
        return None
    vague = _ANAPHORIC.match(task) or len(task.split()) <= 3
    if not vague:
        return None
    for position, index in reversed(requests):
        if s.position - position > _ACCEPT_WINDOW:
            break
        if items[index].assignee in (None, s.speaker):
            return index
    return None


def _with_acceptance(item: ActionItem, s: Sentence) -> ActionItem:
    return item.model_copy(
        update={
            "assignee": item.assignee or s.speaker,
            "context": f"{item.context} / {s.speaker}: {s.clean}",
            "sources": [*item.sources, s.source()],
        }
    )
