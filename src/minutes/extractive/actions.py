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
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from minutes.extractive import pronouns
from minutes.extractive.lexicon import (
    AFFIRMATIONS,
    HIGH_PRIORITY,
    IN_MEETING,
    LOW_PRIORITY,
    NEVER_TASKS,
    TASK_VERBS,
    YES,
    is_task_verb,
    lemma,
)
from minutes.extractive.people import People, introductions
from minutes.extractive.sentences import Sentence, split_sentences
from minutes.items.dates import find_due_phrase, resolve_due_date
from minutes.items.dedupe import content_words, dedupe_action_items
from minutes.notes import ActionItem, Priority
from minutes.transcripts.models import Transcript

_ADVERBS = (
    r"(?:(?:just|also|then|probably|definitely|certainly|quickly|actually|maybe|personally|"
    r"gladly|happily|still|now|first|try to|go ahead and|need to|have to|be able to|make sure "
    r"to|be sure to|please|kindly)\s+)*"
)
_FIRST_PERSON = re.compile(
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
# "I'll have the demo script ready by June the twentieth": "have" names work only so.
_HAVE_DONE = re.compile(
    r"^(?:the|a|an|it|that|this|them|my|our|some|\w+['’]s)\b[^,.;]{0,60}?\b(?:ready|done|"
    r"finished|up|out|live|in place|sorted|drafted|fixed|completed|written|merged|deployed)\b",
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
# "Tell me if…", "let us know if…": asked for only if something happens.
_CONTINGENT = re.compile(
    r"^(?:tell|let|inform|notify|ping|message|e-?mail|call|warn)\s+(?:me|us)\b(?: know)?"
    r"[^.;]*?\b(?:if|whether|in case|should)\b",
    re.IGNORECASE,
)
_LET_KNOW = re.compile(
    r"^(?:him|her|them|you|everyone|everybody|the team|[A-Z][a-z]+) know\b(?![^.;]*\bif\b)"
)
# "Who implements the freeze?": a request to whoever says "I can".
_WHO = re.compile(
    r"^who(?:'s| is| will| can| wants to| is going to|'s going to| should| could)?\s+"
    r"(?P<rest>[a-z][\w'-]*\b.*?)\s*\?$",
    re.IGNORECASE,
)
# A task verb with no object, straight into a condition: "confirm once I know…".
_NO_OBJECT = re.compile(r"^(?:once|when|if|after|as soon as|whether)\b", re.IGNORECASE)
_MAX_TASK_WORDS = 18
_MAX_SAID_WORDS = 25
# "Lukas, go ahead…": the addressee opening a request.
_VOCATIVE_START = re.compile(r"^[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?,\s*")
# "…the doc, Priya?": the addressee is the assignee, not part of the task.
_VOCATIVE_END = re.compile(r",\s*[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\s*[?.!]?\s*$")
# Where one sentence holds two commitments: "…, and Rachel, could you…", "…and I'll…",
# "… and Sam can add…".
_CLAUSE_SPLIT = re.compile(
    r",\s*(?:and|but|so|then)\s+(?:(?:in the meantime|meanwhile|also|after that|then),?\s+)?"
    r"(?=(?:I|I'll|I'm|we|we'll|let's|let me|can|could|would|will|please)\b|[A-Z][a-z]+,)"
    r"|\s+and\s+(?=(?:I(?:'ll| will| can|'m going to)|[A-Z][a-z]+ (?:will|'ll|can|is going to))"
    r"\b)"
    r"|;\s+"
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
_ACK = re.compile(
    r"^(?:thanks|thank you|great|good|perfect|cool|nice|sure|okay|ok|yes|yeah|fine|right)\W*$",
    re.IGNORECASE,
)
# What follows the verb of an imperative: an object or a particle, not another verb.
_OBJECT_START = re.compile(
    r"^(?:the|a|an|our|your|my|their|his|her|its|this|that|these|those|some|it|them|me|us"
    r"|him|up|out|over|back|in|on|off|down|[A-Z][a-z]+)$"
)
_DETERMINER_START = re.compile(r"^(?:the|a|an|our|your|my|this|that)\s+\w", re.IGNORECASE)
# A short reply right after "can you review…?" accepts that request: it is merged into it
# rather than listed as a task of its own.
_ACCEPT_WINDOW = 6  # sentences
_CONTINUE_WINDOW = 3  # sentences, within one turn
_FOLLOW_UP_WINDOW = 4  # sentences


@dataclass(frozen=True)
class _Match:
    kind: str  # explicit | first | third | request | team | recap
    rest: str  # the words after the trigger, starting at the verb
    assignee: str | None
    weak: bool = False  # a generic-"you" request: needs a name or a deadline
    imperative: bool = False  # a bare imperative: needs a deadline or a name
    named: bool = False  # the assignee is named in the sentence


@dataclass(frozen=True)
class _Clause:
    sentence: Sentence
    text: str
    is_question: bool


@dataclass
class _Found:
    """What the loop knows about an item besides the item itself."""

    kind: str
    position: int  # the sentence it was said in
    turn: int
    speaker: str | None
    vague: bool  # the task is still only "verb + pronoun"
    accepted: bool = False
    sentences: list[int] = field(default_factory=list)


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


def _accepts(
    m: _Match, due_phrase: str | None, sentence: Sentence, sentences: Sequence[Sentence] = ()
) -> bool:
    """Whether a matched shape is a real task (see the module docstring)."""
    verb, _, tail = _verb_and_rest(m.rest)
    if not verb or _NEGATED.match(m.rest):
        return False
    if IN_MEETING.search(sentence.clean):
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
    _, verb, tail = _verb_and_rest(rest)
    text = _tidy(f"{verb} {tail}".strip(), due_phrase)
    text = task_clause(text)
    text = _VOCATIVE_END.sub("", re.sub(r"\s+,", ",", text))
    text = _TRAILING.sub("", re.sub(r"\s{2,}", " ", text)).strip(" ,;:-")
    words = text.split()
    if len(words) > _MAX_TASK_WORDS:
        cut = " ".join(words[:_MAX_TASK_WORDS])
        text = cut.rsplit(",", 1)[0] if "," in cut else cut
    return text[:1].upper() + text[1:]


def _as_said(rest: str, due_phrase: str | None) -> str:
    """The request in its own words, for a task whose pronoun could not be resolved."""
    _, verb, tail = _verb_and_rest(rest)
    text = _tidy(f"{verb} {tail}".strip(), due_phrase)
    text = re.sub(r"\s{2,}", " ", re.sub(r"\s+,", ",", text))
    text = _TRAILING.sub("", _VOCATIVE_END.sub("", text.rstrip(" .?!"))).strip(" ,;:-")
    words = text.split()
    if len(words) > _MAX_SAID_WORDS:
        text = " ".join(words[:_MAX_SAID_WORDS])
    return text[:1].upper() + text[1:]


def _clauses(s: Sentence) -> list[_Clause]:
    """The clauses of a sentence that may each hold a commitment; only the last one can
    be the question the sentence ends with."""
    parts: list[str] = []
    last_end = 0
    text = s.clean
    for m in _CLAUSE_SPLIT.finditer(text):
        # "Kate and Dave will…" is one clause: a cut needs a clause before it
        if len(text[last_end : m.start()].split()) >= 3:
            parts.append(text[last_end : m.start()])
            last_end = m.end()
    parts.append(text[last_end:])
    parts = [p for p in parts if p.strip()]
    return [
        _Clause(s, part.strip(), s.is_question and i == len(parts) - 1)
        for i, part in enumerate(parts)
    ]


class _Finder:
    """The shapes, with the people of this meeting."""

    def __init__(self, people: People, sentences: list[Sentence]) -> None:
        self.people = people
        self.sentences = sentences
        mention = people.mention_pattern()
        group = rf"{mention}(?:{_AND.pattern}{mention})*"
        lead = r"(?:^|[,;:]\s*|\b(?:and|so|then|but|okay|now)\s+)"
        self.third = re.compile(rf"{lead}(?P<who>{group}){_THIRD_AUX}(?P<rest>.*)")
        # one copy of the (long) name pattern: compiling two cost ~80 ms per meeting
        self.delegated = re.compile(
            rf"\bI(?:(?:'d| would) like| want| need| asked| am asking|'m asking) (?P<who>{group})"
            rf" to\s+(?P<rest>.*)"
        )
        self.vocative = re.compile(rf"^(?P<who>{mention}),\s+{_ADVERBS}(?P<rest>\w.*)")

    def matches(self, c: _Clause) -> Iterator[_Match]:
        """Every shape that clause ``c`` has, in the order they are tried."""
        text = c.text
        if m := _EXPLICIT.match(text):
            inner = next((x for x in self.inner(m.group("rest"), c) if not x.imperative), None)
            who = inner.assignee if inner else self.people.assignee(m.group("for"))
            rest = inner.rest if inner else m.group("rest")
            yield _Match("explicit", rest, who)
            return
        yield from self.inner(text, c)

    def names(self, group: str) -> str | None:
        """ "Kate and Kendra" → "Kate and Kendra" when each is a person, else ``None``."""
        resolved = [self.people.assignee(part) for part in _AND.split(group)]
        if not resolved or any(r is None for r in resolved):
            return None
        return " and ".join(dict.fromkeys(r for r in resolved if r))

    def inner(self, text: str, c: _Clause) -> Iterator[_Match]:
        """The shapes other than "Action item:", in order."""
        s = c.sentence
        # Questions ("Will I…?", "Shall we…?") offer or ask; they do not commit.
        for pattern in (_FIRST_PERSON, _LET_ME):
            m = pattern.search(text)
            if m and not c.is_question and not self._conditional(text, m.start()):
                yield _Match("first", m.group("rest"), s.speaker)
        if (m := self.delegated.search(text)) and not self._conditional(text, m.start()):
            who = self.names(m.group("who"))
            if who:
                yield _Match("request", m.group("rest"), who)
        if (m := self.third.search(text)) and not self._conditional(text, m.start()):
            who = self.names(m.group("who"))
            known = all(self.people.resolve(p) for p in _AND.split(m.group("who")))
            # "Bob, can you…" is a request to Bob, handled below, not Bob's commitment.
            is_request = re.match(r"you\b", m.group("rest"), re.IGNORECASE)
            if who and not is_request and (known or m.group("aux").lower() not in _WEAK_AUX):
                yield _Match("third", m.group("rest"), who)
        if c.is_question and (m := _WHO.match(text)):
            who = self.taker(s)
            if who:
                yield _Match("request", _base_form(m.group("rest")), who)
        if (m := _REQUEST.search(text)) and not self._conditional(text, m.start()):
            # only an outright "please…" goes to the one just answered, not a generic "you"
            polite = (m.group("strong") or "").lower() == "please"
            # "you'll…" is a request only to someone named: "Paul, you'll build the report"
            if m.group("will"):
                if named := self.people.addressed(text, s.speaker):
                    yield _Match("request", m.group("rest"), named)
            else:
                who = self.addressee(s, text, reply=polite)
                yield _Match("request", m.group("rest"), who, weak=bool(m.group("weak")))
        if m := self.vocative.match(text):
            who = self.people.assignee(m.group("who"))
            rest = m.group("rest")
            first = rest.split(maxsplit=1)[0].lower()
            if who and who != s.speaker and not c.is_question:
                if _DETERMINER_START.match(rest):
                    yield _Match("recap", rest, who)  # "Raj, the mobile team follow-up today."
                elif first not in _NOT_IMPERATIVE and not first.endswith("ing"):
                    yield _Match("request", rest, who)
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
                who = named or self.answered(s)
                yield _Match("request", rest, who, imperative=True, named=named is not None)
        m = _TEAM.search(text)
        if m and not c.is_question and not self._conditional(text, m.start()):
            yield _Match("team", m.group("rest"), None)

    @staticmethod
    def _conditional(text: str, start: int) -> bool:
        """ "if I'll…", "how can you…": the trigger sits in a condition or a wh-question."""
        return bool(_CONDITIONAL.search(text[:start]))

    def taker(self, s: Sentence) -> str | None:
        """Who answers the question ``s`` with a yes ("I can.") in the next turn."""
        for nxt in self.sentences[s.position + 1 : s.position + 5]:
            if nxt.speaker and nxt.speaker != s.speaker:
                return nxt.speaker if AFFIRMATIONS.match(nxt.plain) else None
        return None

    def answered(self, s: Sentence) -> str | None:
        """Who a bare imperative is for: the one who spoke just before."""
        for prev in reversed(self.sentences[max(0, s.position - 3) : s.position]):
            if prev.speaker and prev.speaker != s.speaker:
                return prev.speaker
            if prev.segment != s.segment:
                break
        return None

    def _opens_reply(self, s: Sentence) -> str | None:
        """The previous speaker, when ``s`` opens its turn (after at most a "thanks")."""
        before = self.sentences[max(0, s.position - 3) : s.position]
        for own, prev in enumerate(reversed(before)):
            if prev.speaker != s.speaker:
                return prev.speaker if own == 0 or _ACK.match(before[-1].plain) else None
            if own >= 1:
                return None
        return None

    def addressee(self, s: Sentence, text: str, *, reply: bool = False) -> str | None:
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
        if reply and not s.is_question and (answered := self._opens_reply(s)):
            return answered  # "Thanks. Please send me a draft by Monday."
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


def _turns(sentences: Sequence[Sentence]) -> list[int]:
    """A turn number per sentence: it changes when the speaker does."""
    out: list[int] = []
    for s in sentences:
        same = out and sentences[len(out) - 1].speaker == s.speaker
        out.append(out[-1] if same else (out[-1] + 1 if out else 0))
    return out


def _is_vague(task: str) -> bool:
    return bool(_ANAPHORIC.match(task) or pronouns.VAGUE_TASK.match(task))


def _object_words(task: str) -> frozenset[str]:
    """Content words of a task without its verb: what it is about."""
    return content_words(task.split(maxsplit=1)[1] if " " in task else "")


class _Items:
    """The items found so far, with what the loop needs to merge replies into them."""

    def __init__(
        self, sentences: list[Sentence], meeting_date: dt.date | None, timezone: str | None
    ) -> None:
        self.sentences = sentences
        self.turns = _turns(sentences)
        self.meeting_date = meeting_date
        self.timezone = timezone
        self.items: list[ActionItem] = []
        self.found: list[_Found] = []

    def due(self, phrase: str | None) -> dt.date | None:
        if phrase and self.meeting_date:
            return resolve_due_date(phrase, self.meeting_date, self.timezone)
        return None

    def add(self, item: ActionItem, found: _Found) -> None:
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
        i = s.position
        while i > 0 and self.turns[i - 1] == self.turns[s.position]:
            i -= 1
        return self.sentences[i]

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
            if any(
                g.speaker == s.speaker and f.position < g.position and g.turn != turn
                for g in self.found
            ):
                return None  # they committed to something else since
            return index
        return None

    def accept(self, index: int, s: Sentence, task: str, due_phrase: str | None) -> bool:
        """Merge the commitment ``task`` into request ``index`` if it accepts it."""
        f = self.found[index]
        vague = _is_vague(task) or len(task.split()) <= 3
        shared = bool(_object_words(task) & _object_words(self.items[index].task))
        turn_start = self.turn_start(s)
        first_in_turn = not any(
            g.position >= turn_start.position and g.speaker == s.speaker for g in self.found
        )
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
            if item.assignee == who and words & content_words(item.task):
                return index
        return None


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
    found = _Items(sentences, meeting_date, timezone)
    for s in sentences:
        if len(s.words) < 3:
            continue
        last: int | None = None  # the item of this sentence's previous clause
        for c in _clauses(s):
            m, due_phrase = _first_task(finder, c)
            if m is None and _dated_yes(found, c):
                continue
            if m is None:
                # "Let me talk to Olivier, and I'll have an answer for you by Tuesday."
                spill = find_due_phrase(c.text) if last is not None else None
                if last is not None and spill and not c.is_question:
                    found.set_due(last, spill)
                last = None
                continue
            last = _record(found, finder, s, m, due_phrase, c.text)
    # Merging can make a new near-duplicate ("add the component to the status page" grows
    # into the recap's longer text, which then contains "add the checkout component"):
    # merge until nothing changes.
    items = dedupe_action_items(found.items)
    while len(merged := dedupe_action_items(items)) < len(items):
        items = merged
    return items


def _dated_yes(found: _Items, c: _Clause) -> bool:
    """ "Can you update the designs?" "Yes, I'll have the updated designs in Figma by
    Wednesday.": a yes with a date but no task words of its own dates the request."""
    s = c.sentence
    if c.is_question or not s.speaker or not _FIRST_PERSON.search(c.text):
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


def _first_task(finder: _Finder, c: _Clause) -> tuple[_Match | None, str | None]:
    """The first shape of ``c`` that names work, and its deadline words."""
    for m in finder.matches(c):
        # Only a deadline said after the trigger belongs to the task ("our agenda today is…
        # I'm gonna talk" has none).
        due_phrase = find_due_phrase(task_clause(m.rest))
        if _accepts(m, due_phrase, c.sentence, finder.sentences):
            return m, due_phrase
    return None, None


def _record(
    found: _Items,
    finder: _Finder,
    s: Sentence,
    m: _Match,
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
        if _is_vague(task) and (index := found.continued(s)) is not None:
            item = found.items[index]
            found.update(index, s, task=f"{item.task} and {task[:1].lower()}{task[1:]}")
            if due_phrase:
                found.set_due(index, due_phrase)
            found.found[index].sentences.append(s.position)
            return index
    context = finder.context(s, task)
    vague = _is_vague(task)
    before = found.sentences[max(0, s.position - 4) : s.position]
    if named := pronouns.resolve_demonstrative(task, before, s.speaker):
        task, vague = named, _is_vague(named)
    if vague:
        said_before = clause[: clause.find(m.rest)] if m.rest and m.rest in clause else ""
        resolved = pronouns.resolve(task, before, s.speaker, said_before)
        if resolved is not None:
            task, vague = resolved, False
        elif (bare := pronouns.VAGUE_TASK.fullmatch(task)) and not bare.group("rest").strip():
            # nothing reliable to point to: the request as said, not two words
            said = _as_said(m.rest, due_phrase)
            if len(said.split()) <= len(task.split()) + 1 and m.kind != "first":
                said = _as_said(_VOCATIVE_START.sub("", clause), due_phrase)
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
        _Found(
            kind="request" if m.kind in {"request", "recap"} else m.kind,
            position=s.position,
            turn=found.turns[s.position],
            speaker=s.speaker,
            vague=vague,
        ),
    )
    return len(found.items) - 1


def _with_next(s: Sentence, sentences: list[Sentence]) -> str:
    """The sentence and, when the same turn goes on, the next one ("…? It's blocking QA.")."""
    nxt = sentences[s.position + 1] if s.position + 1 < len(sentences) else None
    if nxt is not None and nxt.segment == s.segment:
        return f"{s.clean} {nxt.clean}"
    return s.clean
