"""The shapes of a commitment or a request in a clause, tried in order.

"I'll send…" (first person), "Dave will…" (third person), "can you…", "please…", "Priya,
send…" (requests), "we need to… by Friday" (the team), "Action item: …" (explicit). Each
shape yields a :class:`Match` with the words after its trigger and the one it names; it
does not judge whether those words are work (:mod:`minutes.extractive.action_filter`) nor
turn them into a task (:mod:`minutes.extractive.action_tasks`): the patterns are long and
are best read on their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from minutes.extractive.action_assignees import AND, Assignees
from minutes.extractive.action_clauses import Clause
from minutes.extractive.lexicon import TASK_VERBS, is_task_verb, lemma
from minutes.extractive.people import People
from minutes.extractive.sentences import Sentence

_ADVERBS = (
    r"(?:(?:just|also|then|probably|definitely|certainly|quickly|actually|maybe|personally|"
    r"gladly|happily|still|now|first|try to|go ahead and|need to|have to|be able to|make sure "
    r"to|be sure to|please|kindly)\s+)*"
)
FIRST_PERSON = re.compile(
    r"\b(?:I(?:'ll| will| shall|'m going to| am going to|'m gonna| am gonna)"
    # "I can" offers work only with these verbs ("I can find my remote" is an ability),
    # and not as a purpose ("…so I can e-mail it to you")
    r"|(?<!\bso )I can (?=take|handle|do|look|send|check|get|own|pick|follow|write|draft"
    r"|prepare|book|set up|update|fix|organi[sz]e|schedule|share|e-?mail|call|review|raise"
    r"|talk|speak|ask|confirm|contact|chase|run|put|add|circulate|forward)"
    r"|I should (?=have\b)|leave it with me,?"
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
# Generic "you": "you have to press the button", "you should find a link", "you'll see".
# Only a request when someone is named or a deadline is said.
_WEAK_REQUEST = r"make sure you|you (?:need|have|should|must|ought|got) to|you should"
_REQUEST = re.compile(
    r"(?:^|[,;:]\s*|\b(?:so|and|but|okay|also|then)\s+)"
    rf"(?:(?P<strong>{_STRONG_REQUEST})|(?P<weak>{_WEAK_REQUEST})|(?P<will>you(?:'ll| will)))"
    r"\s+" + _ADVERBS + r"(?P<rest>.*)",
    re.IGNORECASE,
)
_TEAM = re.compile(
    r"\b(?:we (?:need|have|must|should|'ll need|will need|'ve got|got) to|we'll|we will|let's"
    r"|(?:everyone|everybody) (?:needs|has|should|must) to|(?:everyone|everybody) should)"
    r"\s+" + _ADVERBS + r"(?P<rest>.*)",
    re.IGNORECASE,
)
_EXPLICIT = re.compile(
    r"^(?:action items?|action|todo|to-do|to do|follow-up|follow up|next steps?)\s*"
    r"(?:for (?P<for>[A-Z][\w' ]+?))?\s*[:\-–]\s*(?P<rest>.+)",
    re.IGNORECASE,
)
# A bare imperative: "Sure, send Paul your list by the end of the month."
_IMPERATIVE = re.compile(
    r"^(?:(?:sure|okay|ok|yes|yeah|good|great|fine|alright|then|and|also|so|thanks)\W+)*"
    + _ADVERBS
    + r"(?P<rest>[a-z][\w'-]*\b.*)",
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
_CONDITIONAL = re.compile(
    r"\b(?:if|when|whether|unless|once|whoever|what|how|why|where|which|in case)\b[^,;]*$"
    # a relative clause ("the decisions that we need to make") or reported words ("they
    # think, ah, I'll buy…") are not commitments either
    r"|\b(?:that|who)\s*$"
    r"|\b(?:they|he|she|people|customers|users|someone|one) (?:think|thinks|say|says|said|"
    r"might say|would say|go|goes)\b",
    re.IGNORECASE,
)
# "Who implements the freeze?": a request to whoever says "I can".
_WHO = re.compile(
    r"^who(?:'s| is| will| can| wants to| is going to|'s going to| should| could)?\s+"
    r"(?P<rest>[a-z][\w'-]*\b.*?)\s*\?$",
    re.IGNORECASE,
)
# Words that do not begin an imperative ("Greg, in your email you mentioned…", "Marcus,
# I want…", "Tariq, is that something…").
_NOT_IMPERATIVE = frozenset(
    """i you we he she they it that this there here in on at for with about from to is are
    was were do does did can could would will should shall have has had what when where who
    why how which if thanks thank any anything no not yes yeah ok okay great good sure so
    and but or then now as one all your my our their his her its let's i'm i'll you're
    you'll what's that's it's there's how's where's the a an some every""".split()  # noqa: SIM905
)
# What follows the verb of an imperative: an object or a particle, not another verb.
_OBJECT_START = re.compile(
    r"^(?:the|a|an|our|your|my|their|his|her|its|this|that|these|those|some|it|them|me|us"
    r"|him|up|out|over|back|in|on|off|down|[A-Z][a-z]+)$"
)
_DETERMINER_START = re.compile(r"^(?:the|a|an|our|your|my|this|that)\s+\w", re.IGNORECASE)


@dataclass(frozen=True)
class Match:
    """One shape found in a clause: what kind it is, its words and who it names."""

    kind: str  # explicit | first | third | request | team | recap
    rest: str  # the words after the trigger, starting at the verb
    assignee: str | None
    weak: bool = False  # a generic-"you" request: needs a name or a deadline
    imperative: bool = False  # a bare imperative: needs a deadline or a name
    named: bool = False  # the assignee is named in the sentence


class Finder:
    """The shapes, with the people of this meeting."""

    def __init__(self, people: People, sentences: list[Sentence]) -> None:
        self.people = people
        self.sentences = sentences
        self.assignees = Assignees(people, sentences)
        mention = people.mention_pattern()
        group = rf"{mention}(?:{AND.pattern}{mention})*"
        lead = r"(?:^|[,;:]\s*|\b(?:and|so|then|but|okay|now)\s+)"
        self.third = re.compile(rf"{lead}(?P<who>{group}){_THIRD_AUX}(?P<rest>.*)")
        # one copy of the (long) name pattern: compiling two cost ~80 ms per meeting
        self.delegated = re.compile(
            rf"\bI(?:(?:'d| would) like| want| need| asked| am asking|'m asking) (?P<who>{group})"
            rf" to\s+(?P<rest>.*)"
        )
        self.vocative = re.compile(rf"^(?P<who>{mention}),\s+{_ADVERBS}(?P<rest>\w.*)")

    def matches(self, c: Clause) -> Iterator[Match]:
        """Every shape that clause ``c`` has, in the order they are tried."""
        text = c.text
        if m := _EXPLICIT.match(text):
            inner = next((x for x in self.inner(m.group("rest"), c) if not x.imperative), None)
            who = inner.assignee if inner else self.people.assignee(m.group("for"))
            rest = inner.rest if inner else m.group("rest")
            yield Match("explicit", rest, who)
            return
        yield from self.inner(text, c)

    def inner(self, text: str, c: Clause) -> Iterator[Match]:
        """The shapes other than "Action item:", in order."""
        s = c.sentence
        # Questions ("Will I…?", "Shall we…?") offer or ask; they do not commit.
        for pattern in (FIRST_PERSON, _LET_ME):
            m = pattern.search(text)
            if m and not c.is_question and not self._conditional(text, m.start()):
                yield Match("first", m.group("rest"), s.speaker)
        if (m := self.delegated.search(text)) and not self._conditional(text, m.start()):
            who = self.assignees.names(m.group("who"))
            if who:
                yield Match("request", m.group("rest"), who)
        if (m := self.third.search(text)) and not self._conditional(text, m.start()):
            who = self.assignees.names(m.group("who"))
            known = all(self.people.resolve(p) for p in AND.split(m.group("who")))
            # "Bob, can you…" is a request to Bob, handled below, not Bob's commitment.
            is_request = re.match(r"you\b", m.group("rest"), re.IGNORECASE)
            if who and not is_request and (known or m.group("aux").lower() not in _WEAK_AUX):
                yield Match("third", m.group("rest"), who)
        if c.is_question and (m := _WHO.match(text)):
            who = self.assignees.taker(s)
            if who:
                yield Match("request", _base_form(m.group("rest")), who)
        if (m := _REQUEST.search(text)) and not self._conditional(text, m.start()):
            # only an outright "please…" goes to the one just answered, not a generic "you"
            polite = (m.group("strong") or "").lower() == "please"
            # "you'll…" is a request only to someone named: "Paul, you'll build the report"
            if m.group("will"):
                if named := self.people.addressed(text, s.speaker):
                    yield Match("request", m.group("rest"), named)
            else:
                who = self.assignees.addressee(s, text, reply=polite)
                yield Match("request", m.group("rest"), who, weak=bool(m.group("weak")))
        if m := self.vocative.match(text):
            who = self.people.assignee(m.group("who"))
            rest = m.group("rest")
            first = rest.split(maxsplit=1)[0].lower()
            if who and who != s.speaker and not c.is_question:
                if _DETERMINER_START.match(rest):
                    yield Match("recap", rest, who)  # "Raj, the mobile team follow-up today."
                elif first not in _NOT_IMPERATIVE and not first.endswith("ing"):
                    yield Match("request", rest, who)
        if not c.is_question and (m := _IMPERATIVE.match(text)):
            rest = m.group("rest")
            words = rest.split(maxsplit=2)
            word = words[0].lower()
            # "Send Paul…", "set up…", "book a room…"; not "Test isolation goes into…"
            object_next = len(words) > 1 and bool(_OBJECT_START.match(words[1]))
            tail = " ".join(words[1:])
            if (
                object_next
                and word == lemma(word)
                and word not in _NOT_IMPERATIVE
                and is_task_verb(word, tail)
            ):
                named = self.people.addressed(text, s.speaker)
                who = named or self.assignees.answered(s)
                yield Match("request", rest, who, imperative=True, named=named is not None)
        m = _TEAM.search(text)
        if m and not c.is_question and not self._conditional(text, m.start()):
            yield Match("team", m.group("rest"), None)

    @staticmethod
    def _conditional(text: str, start: int) -> bool:
        """ "if I'll…", "how can you…": the trigger sits in a condition or a wh-question."""
        return bool(_CONDITIONAL.search(text[:start]))


def _base_form(rest: str) -> str:
    """ "implements the freeze" → "implement the freeze"."""
    words = rest.split(maxsplit=1)
    if not words:
        return rest
    verb = words[0].lower()
    for cut in ("es", "s"):
        if verb.endswith(cut) and verb[: -len(cut)] in TASK_VERBS:
            return " ".join([verb[: -len(cut)], *words[1:]])
    return rest
