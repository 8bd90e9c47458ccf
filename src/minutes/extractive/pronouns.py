"""What "it", "that" or "them" in a short task points to, when the words around say so.

"Can you do it before Thursday?" is no task a reader can act on; the sentences just before
it usually name the work ("I was planning to upgrade staging Redis this week") or the thing
("the landing page copy"). Two kinds of antecedent are looked for, nearest sentence first:

* a **verb phrase**, for "do / handle / take care of / schedule … it": the work itself, said
  after "to", "will", "'ll", "should", "let's"… with a task verb ("to upgrade staging
  Redis" → "Upgrade staging Redis");
* a **noun phrase** for any other verb, in this turn or the one before it: a phrase that
  starts with a determiner ("the", "a", "our", …) and whose head is a thing, not a time or
  a filler ("the landing page copy", "a thirty minute session every two weeks"); "them"
  and "those" want a plural head or a group ("the agency in Lyon", "the customers").

Within a sentence, the object of a task verb is preferred, then a sentence that is nothing
but a noun phrase ("A thirty minute session every two weeks."), then the subject, then the
last phrase. No part of speech tagger is used; what cannot be resolved this way is left
unresolved, and the caller keeps the words as spoken.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from minutes.extractive.lexicon import NEVER_TASKS, is_task_verb, lemma
from minutes.extractive.sentences import Sentence

# "Do it", "Set that up with her", "Send it to Zoe", "Write it up as a proposal".
VAGUE_TASK = re.compile(
    r"^(?P<verb>[\w'-]+)(?P<p1> (?:up|out|down|over|back|through|off|with|to|about|on|for|into"
    r"|at))?"
    r" (?P<pron>it|that|this|them|those)\b(?P<p2> (?:up|out|down|over|back|through|off)\b)?"
    r"(?P<rest>.*)$",
    re.IGNORECASE,
)
# Verbs whose "it" is the work itself: "do it" = upgrade staging Redis.
DO_VERBS: frozenset[str] = frozenset(
    """do handle own tackle action schedule organise organize arrange sort manage finish
    start run""".split()  # noqa: SIM905
)
_DETERMINER = (
    r"(?:(?i:the|a|an|our|your|my|their|his|her|its|this|these|those|that|some|any|every"
    r"|each)|(?!(?:It|That|What|There|Here|Let|He|She|Who|Where|How|This)['’])[A-Z][a-z]+['’]s)"
)
# Words that end a noun phrase: prepositions that start an adjunct, conjunctions, verbs,
# adjectives said after the noun ("a data processing agreement ready").
_NP_STOP = frozenset(
    """and or but so because if when while which who whom whose that than then as is are
    was were be been being has have had do does did will would can could should shall may
    might must 's 're 've 'll 'd to by with at on into onto about after before every each per
    until since during via per without within ready done available there here too also
    just still now today tomorrow tonight yesterday either anyway though right okay yeah
    please instead not n't yet already again anymore""".split()  # noqa: SIM905
)
# These keep a phrase going ("the agency in Lyon", "a copy of production data", "the
# customer from the beta", "a proposal for the query plan check"); the words above end it.
_NP_LINKS = frozenset({"of", "in", "from", "for"})
# A sentence without any of these is a bare phrase: "A thirty minute session every two
# weeks."
_FINITE = re.compile(
    r"\b(?:is|are|was|were|be|been|will|would|can|could|should|shall|must|might|may|has|have"
    r"|had|do|does|did|'s|'re|'ll|'ve|'d|n't)\b|\w+ed\b",
    re.IGNORECASE,
)
_NP_START = re.compile(rf"\b{_DETERMINER}\s+(?=[\w'’-])")
_WORD = re.compile(r"[\w'’-]+")
# The words of a phrase run to the next punctuation.
_PHRASE_WORDS = re.compile(r"[\w'’-]+(?:[ \t]+[\w'’-]+)*")
# Verbs that often follow a subject noun ("the test fails", "the customer said").
_VERBS_AFTER_NOUN = frozenset(
    """said says say told asked thinks think wants want needs need takes took looks seems
    goes went came comes gets got makes made works worked runs ran fails failed started
    starts stopped finished broke breaks found finds feels felt knows knew""".split()  # noqa: SIM905
)
# Heads that name no thing anyone could act on.
_EMPTY_HEADS = frozenset(
    """time times week weeks day days month months year years minute minutes hour hours
    moment second way thing things stuff lot bit one ones part side point idea question
    problem end start beginning meeting call today tomorrow morning afternoon evening night
    first second third last next other same kind sort people everyone anyone someone
    something anything everything reason case fact two three four five six seven eight
    nine ten twenty hundred thousand million percent""".split()  # noqa: SIM905
)
# Singular heads that "them" may point to: groups of people.
_GROUPS = frozenset(
    """team agency customer client vendor supplier partner company firm department legal
    marketing sales finance support management board committee group family office
    provider bank school university""".split()  # noqa: SIM905
)
_ANTECEDENT_WINDOW = 4  # sentences back
_MAX_NP_WORDS = 9
# After the trigger of a commitment or plan: "to upgrade…", "we'll create…".
_VP_TRIGGER = re.compile(
    r"\b(?:to|will|'ll|should|must|shall|let's|let us|gonna|could|can)\s+"
    r"(?:(?:just|also|probably|definitely|quickly|actually|first)\s+)*(?P<vp>[a-z][\w'-]*\b.*)",
    re.IGNORECASE,
)
_CLAUSE_CUT = re.compile(
    r"[.?!;]|,\s*(?:and|but|so|because|which|I think|right|okay)\b"
    r"|\s(?:because|'cause|since|so that|but|anyway|otherwise)\s",
    re.IGNORECASE,
)
_DONE = re.compile(
    r"(?:ready|done|finished|up|out|live|in place|sorted|drafted|fixed|completed|written"
    r"|merged|deployed)\b",
    re.IGNORECASE,
)
_TIME_TAIL = re.compile(
    r"\s+(?:this|next|by|before|on|until|today|tomorrow|tonight|anyway|as well|too)\b.*$",
    re.IGNORECASE,
)


def _np_candidates(text: str) -> list[tuple[int, str]]:
    """(start, phrase) for each determiner-led noun phrase of ``text``, in order."""
    out: list[tuple[int, str]] = []
    for m in _NP_START.finditer(text):
        run = _PHRASE_WORDS.match(text, m.start())
        words = _WORD.findall(run.group(0)) if run else []
        if len(words) < 2:
            continue
        kept: list[str] = [words[0]]
        for w in words[1:]:
            low = w.lower()
            if low in _NP_STOP or (low in _NP_LINKS and len(kept) < 2):
                break
            if low in _VERBS_AFTER_NOUN or (low.endswith("ed") and len(kept) >= 2):
                break
            if low in _NP_LINKS and kept[-1].lower() in _NP_LINKS:
                break
            kept.append(w)
            if len(kept) >= _MAX_NP_WORDS:
                break
        while kept and kept[-1].lower() in _NP_LINKS:
            kept.pop()
        if len(kept) >= 2:
            out.append((m.start(), " ".join(kept)))
    # "the payments suite" inside "the flaky test in the payments suite" is no candidate
    return [
        (start, np)
        for start, np in out
        if not any(o < start < o + len(other) for o, other in out if other != np)
    ]


def _head(phrase: str) -> str:
    """The head noun: the last word before "of"/"in", or the last word."""
    words = phrase.lower().split()
    for i, w in enumerate(words[1:], start=1):
        if w in _NP_LINKS:
            return words[i - 1]
    return words[-1]


def _fits(phrase: str, pronoun: str) -> bool:
    head = _head(phrase)
    if head in _EMPTY_HEADS or phrase.split()[0].lower() in {"this", "that", "these", "those"}:
        return False
    if not re.fullmatch(r"[a-z][a-z'-]+", head):
        return False  # "the 26th", "a 5"
    if pronoun in {"them", "those"}:
        return head.endswith("s") or head in _GROUPS
    return not (head.endswith("s") and not head.endswith("ss") and head not in _GROUPS)


def _best_np(text: str, pronoun: str) -> str | None:
    """The phrase of one sentence that ``pronoun`` most likely points to."""
    for m in re.finditer(rf"\b([\w'-]+) {pronoun}\b", text, re.IGNORECASE):
        if is_task_verb(lemma(m.group(1)), text[m.end(1) :].strip()):
            return None  # "I want to raise it…": the thing is named further back
    candidates = [(start, np) for start, np in _np_candidates(text) if _fits(np, pronoun)]
    if not candidates:
        return None
    stripped = text.strip(" .!?")
    # "A thirty minute session every two weeks.": a sentence that is only a phrase names
    # the topic, all of it.
    if candidates[0][0] == 0 and not _FINITE.search(stripped) and len(stripped.split()) <= 12:
        return stripped
    for start, np in candidates:
        before = _WORD.findall(text[:start])
        if before and is_task_verb(lemma(before[-1]), text[start:]):
            return np  # the object of a task verb: "write the landing page copy"
    first_start, first = candidates[0]
    if len(_WORD.findall(text[:first_start])) <= 1:
        return first  # the subject: "The logistics customer from the beta said…"
    return candidates[-1][1]


def _verb_phrase(text: str) -> str | None:
    """The work a sentence plans or asks for: "to upgrade staging Redis this week" →
    "upgrade staging Redis"; ``None`` when it names none."""
    for m in _VP_TRIGGER.finditer(text):
        vp = m.group("vp")
        words = vp.split(maxsplit=1)
        verb = lemma(words[0].strip(",."))
        tail = words[1] if len(words) > 1 else ""
        if verb in NEVER_TASKS or not is_task_verb(verb, tail):
            continue
        end = _CLAUSE_CUT.search(vp)
        vp = vp[: end.start()] if end else vp
        vp = _TIME_TAIL.sub("", vp).strip(" ,")
        if len(vp.split()) < 2 or re.search(r"\b(?:it|that|this|them|those)$", vp, re.I):
            continue
        return vp
    return None


def resolve(
    task: str, before: Sequence[Sentence], speaker: str | None, said_before: str = ""
) -> str | None:
    """``task`` with its pronoun replaced by what it points to, or ``None``.

    ``before`` are the sentences said just before the task's own sentence, in transcript
    order; the nearest are tried first, and only the last few are looked at.
    ``said_before`` are the words of the task's own sentence before it ("I haven't got an
    agenda yet, I'll put that together"), tried first for a noun phrase.
    """
    m = VAGUE_TASK.match(task)
    if m is None:
        return None
    verb, pronoun = m.group("verb"), m.group("pron").lower()
    particle = (m.group("p1") or m.group("p2") or "").strip()
    rest = m.group("rest")
    window = list(before)[-_ANTECEDENT_WINDOW:]
    # "I'll have it deployed by Thursday": "it" is the work, like "do it"
    have_done = verb.lower() == "have" and _DONE.match(rest.strip())
    if lemma(verb) in DO_VERBS or have_done:
        for s in reversed(window):
            if vp := _verb_phrase(s.clean):
                return _capitalise(vp if have_done else f"{vp}{rest}")
        if have_done:
            return None
    turns = _this_and_previous_turn(window, speaker)
    verb_part = f"{verb} {particle}".strip()
    # "Should we stick to TV buttons?" … "I'll look into that.": the question is the task
    if lemma(verb) in _INVESTIGATE and pronoun in {"that", "it", "this"}:
        for s in reversed(turns):
            if s.is_question and s.speaker != speaker and len(s.content_words) >= 3:
                return _capitalise(f"{verb_part}{rest}: {s.clean}")
    texts = [said_before] if len(said_before.split()) >= 3 else []
    texts += [s.clean for s in reversed(turns) if not (s.is_question and s.speaker == speaker)]
    for text in texts:
        # one's own question is rarely what one then does: those are skipped
        if np := _best_np(text, pronoun):
            return _capitalise(f"{verb_part} {_lower_determiner(np)}{rest}")
    return None


# Verbs whose "that" may be a question someone just asked.
_INVESTIGATE = frozenset(
    "look check find investigate research ask figure confirm verify explore".split()  # noqa: SIM905
)
_DEMONSTRATIVE = re.compile(r"\b(?:that|this|those|these) (?P<head>[a-z][\w-]+)\b")


def resolve_demonstrative(task: str, before: Sequence[Sentence], speaker: str | None) -> str | None:
    """ "Look into that ticket" → "Look into our last critical ticket": the longer phrase
    with the same head said in this turn or the one before; ``None`` if there is none."""
    m = _DEMONSTRATIVE.search(task)
    if m is None or m.start() == 0:
        return None
    head = m.group("head").lower()
    window = _this_and_previous_turn(list(before)[-_ANTECEDENT_WINDOW:], speaker)
    for s in reversed(window):
        for _, np in reversed(_np_candidates(s.clean)):
            words = np.split()
            if (
                _head(np) == head
                and len(words) >= 3
                and words[0].lower()
                not in {
                    "that",
                    "this",
                    "those",
                    "these",
                }
            ):
                return task[: m.start()] + _lower_determiner(np) + task[m.end() :]
    return None


def _this_and_previous_turn(before: list[Sentence], speaker: str | None) -> list[Sentence]:
    """The sentences of ``before`` in the current speaker's turn and the turn before it:
    further back, a pronoun rarely points."""
    turns = 0
    start = len(before)
    current = speaker
    for i in range(len(before) - 1, -1, -1):
        if not before[i].content_words and len(before[i].words) <= 2:
            start = i  # "Mm.", "Um.": a backchannel is no turn of its own
            continue
        if before[i].speaker != current:
            turns += 1
            current = before[i].speaker
            if turns > 1:
                break
        start = i
    return before[start:]


def _lower_determiner(np: str) -> str:
    """ "The agency in Lyon" → "the agency in Lyon", for the middle of a task."""
    return re.sub(
        r"^(?:A|An|The|Our|My|Your|Their|His|Her|Its|Some|Any|Every|Each|This|That|These"
        r"|Those)\b",
        lambda w: w.group(0).lower(),
        np,
    )


def _capitalise(text: str) -> str:
    text = re.sub(r"\s{2,}", " ", text).strip(" ,")
    return text[:1].upper() + text[1:]
