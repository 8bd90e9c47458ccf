"""Decisions from decision language: "we decided…", "let's go with…", "agreed on…".

Not decisions: questions ("should we go with…?"), negations and open items ("we haven't
decided", "we need to decide"), conditions ("if we decide…"), bare agreement ("I agree",
"yeah") — which instead counts as someone agreeing with a decision just before it.

``decided_by`` is the speaker; for team phrasing ("we…", "let's…", "agreed") also those
who agree within the next few sentences. ``rationale`` is a "because / since / so that"
clause of the sentence or of the same speaker's next sentence; ``alternatives`` are what
follows "instead of", "rather than" or "over".
"""

from __future__ import annotations

import re

from minutes.dedupe import content_words, dedupe_decisions
from minutes.extractive.lexicon import AFFIRMATIONS, DISSENT
from minutes.extractive.sentences import Sentence, split_sentences
from minutes.notes import Decision
from minutes.transcripts.models import Transcript

_TRIGGERS = re.compile(
    r"\b(?:we(?:'ve| have)? (?:all )?(?:decided|agreed|settled|chosen|opted)"
    r"|(?:I|they)(?:'ve| have)? decided|(?:it's|it is|it was|it has been|that's|that is) "
    r"(?:been )?(?:decided|agreed|settled)|(?:we're|we are) (?:all )?agreed"
    r"|we (?:all )?agree (?:on|that|to)|(?:everyone|everybody) agree[sd]?"
    r"|(?:let's|let us|we'll|we will|we're going to|we are going to|we're gonna) (?:go|stick)"
    r" (?:with|for)|(?:we're|we are) (?:going|sticking) with|(?:so )?we go with"
    r"|the decision (?:is|was)|decision:|final answer|settled on|agreed (?:on|upon|that|to)"
    r"|decided (?:on|upon|that|to|against))\b",
    re.IGNORECASE,
)
_TEAM = re.compile(r"^(?:we|we've|we're|let's|let us|everyone|everybody|agreed|the)\b|\bwe\b", re.I)
_NOT_DECIDED = re.compile(
    r"\b(?:not|n't|never|yet to|undecided|haven't|hasn't|need to decide|have to decide|should "
    r"decide|must decide|to be decided|tbd|if|whether|unless|maybe|might|could|once|when|what|"
    r"which|until|after|before|why|how)\b",
    re.IGNORECASE,
)
# What a decision is about, when it only says "that": "let's go with that".
_ANAPHORIC = re.compile(
    r"^(?:(?:with |for |on |upon |to do )?(?:that|it|this|those|them)|not to|against it)\W*$",
    re.IGNORECASE,
)
# "let's go for lunch" is no decision about the work.
_SMALL_TALK = re.compile(
    r"\b(?:go|going) for (?:a |the )?(?:lunch|coffee|break|walk|drink|dinner|lunch break)\b", re.I
)
_RATIONALE = re.compile(
    r"(?:,\s*|\s)(?:because|'cause|since|so that|given that|as it|due to)\b\s*(?P<why>.+)$",
    re.IGNORECASE,
)
_NEXT_RATIONALE = re.compile(
    r"^(?:because|'cause|since|that's because|the reason is|it's because|so that|given that)"
    r"\b[\s,]*(?P<why>.+)$",
    re.IGNORECASE,
)
_ALTERNATIVE = re.compile(
    r"\b(?:instead of|rather than|in place of|over)\s+(?P<alt>[^,.;!?]+?)"
    r"(?=\s+(?:because|since|so that|as)\b|[,.;!?]|$)",
    re.IGNORECASE,
)
# Words that leave a decision empty: "let's go for, let's say…".
_EMPTY = frozenset({"say", "something", "thing", "stuff", "kind", "sort"})
_AGREE_WINDOW = 4
_MIN_WORDS = 4


def _rationale(s: Sentence, nxt: Sentence | None, after: int) -> str | None:
    """A reason given after the decision words (position ``after``) or in the next sentence."""
    m = _RATIONALE.search(s.clean, after)
    if m is None and nxt is not None and nxt.speaker == s.speaker:
        m = _NEXT_RATIONALE.match(nxt.clean)
    if m is None:
        return None
    why = m.group("why").strip(" .,")
    return why if len(why.split()) >= 3 else None


def _subject_start(text: str, trigger: int) -> int:
    """Where the decision's words begin: the trigger, or its subject a few words before
    ("we've more or less agreed that…" rather than "agreed that…")."""
    if re.match(r"(?:we|I|they|let|everyone|everybody|it|that|the|so)\b", text[trigger:], re.I):
        return trigger  # the trigger brings its own subject
    before = text[:trigger]
    subjects = list(re.finditer(r"\b(?:we|I|they|everyone|everybody)\b", before, re.IGNORECASE))
    if subjects and len(before[subjects[-1].start() :].split()) <= 5:
        return subjects[-1].start()
    return trigger


def _alternatives(text: str) -> list[str]:
    """What was chosen against: "instead of X", "rather than X", "Y over X"."""
    out: list[str] = []
    for m in _ALTERNATIVE.finditer(text):
        alt = re.sub(r"^(?:the|a|an|using|going with)\s+", "", m.group("alt").strip(), flags=re.I)
        # "over" is often a particle ("go over the budget"): only after a choice verb.
        if m.group(0).lower().startswith("over") and not re.search(
            r"\b(?:with|chose|choose|pick|picked|prefer|preferred|use|using)\b[^,;]*$",
            text[: m.start()],
            re.IGNORECASE,
        ):
            continue
        if alt and len(alt.split()) <= 8:
            out.append(alt)
    return out


def _decision_text(text: str) -> str:
    """The decision clause without its rationale, alternatives and a trailing "but…"."""
    text = _RATIONALE.sub("", text)
    text = re.sub(r",?\s*\b(?:or|right|yeah|okay|ok|so)\W*$", "", text, flags=re.IGNORECASE)
    text = re.split(r",?\s+but\b", text, maxsplit=1, flags=re.IGNORECASE)[0]
    text = re.sub(
        r",?\s*\b(?:instead of|rather than|in place of)\s+[^,.;!?]+", "", text, flags=re.I
    )
    text = text.strip(" ,;:-")
    if text and text[-1] not in ".!?":
        text += "."
    return text[:1].upper() + text[1:]


def _agreeing(sentences: list[Sentence], s: Sentence) -> list[str]:
    """Speakers who say yes to ``s`` in the next few sentences, without a "but"."""
    who: list[str] = []
    for nxt in sentences[s.position + 1 : s.position + 1 + _AGREE_WINDOW]:
        agrees = AFFIRMATIONS.match(nxt.plain) and not DISSENT.search(nxt.plain)
        if not agrees:
            if len(nxt.content_words) >= 3:
                break  # the talk has moved on; a later "OK" is not about this
            continue
        if nxt.speaker and nxt.speaker != s.speaker and nxt.speaker not in who:
            who.append(nxt.speaker)
    return who


def _previous_point(sentences: list[Sentence], s: Sentence) -> Sentence | None:
    """The last substantive sentence before ``s``: what "let's go with that" points to."""
    for prev in reversed(sentences[max(0, s.position - _AGREE_WINDOW) : s.position]):
        if len(prev.content_words) >= 3 and not _TRIGGERS.search(prev.clean):
            return prev
    return None


def extract_decisions(transcript: Transcript) -> list[Decision]:
    """Decisions stated in the meeting, in transcript order, deduplicated."""
    sentences = split_sentences(transcript)
    out: list[Decision] = []
    for s in sentences:
        text = s.clean
        if len(s.words) < _MIN_WORDS or s.is_question:
            continue
        m = _TRIGGERS.search(text)
        if m is None or _SMALL_TALK.search(text):
            continue
        # A negation, hedge or wh-word before the trigger ("we haven't decided", "once
        # we've decided", "what we decided") makes it no decision; "decided not to" is one.
        if _NOT_DECIDED.search(text[: m.start()]) or re.match(
            r"\s*(?:on |upon |about )?(?:yet|whether|if|what|how)\b", text[m.end() :], re.I
        ):
            continue
        # The decision starts at its own words: "Sorry, I dunno, so we'll go with X" → "We'll
        # go with X".
        start = _subject_start(text, m.start())
        clause = _decision_text(text[start:])
        after = clause[m.end() - start :]
        sources = [s.source()]
        if _ANAPHORIC.match(after.strip()):
            prev = _previous_point(sentences, s)
            if prev is None:
                continue
            who = f"{prev.speaker}: " if prev.speaker else ""
            clause = f"{clause.rstrip('.')} ({who}“{prev.clean.rstrip('.')}”)."
            sources.insert(0, prev.source())
        elif not content_words(after) - _EMPTY:
            continue  # "We decided." / "That we've decided on our." / "Let's go for let's say"
        nxt = sentences[s.position + 1] if s.position + 1 < len(sentences) else None
        decided_by = [s.speaker] if s.speaker else []
        if _TEAM.search(text):
            decided_by += [p for p in _agreeing(sentences, s) if p not in decided_by]
        out.append(
            Decision(
                decision=clause,
                rationale=_rationale(s, nxt, m.end()),
                alternatives=_alternatives(text[m.start() :]),
                decided_by=decided_by,
                sources=sources,
            )
        )
    return dedupe_decisions(out)
