"""Decisions from decision language: "we decided…", "let's go with…", "agreed on…".

Most decisions are not said with a decision word, so four more shapes count:

* a plan with a choice verb: "let's approve twenty-five now", "we'll cut the seats down to
  thirty", "let's not expand the scope", "let's say the migration runs on Thursday" (not
  "let's see", "let's have a look", "we'll have the presentation": the meeting itself);
* a settlement: "that's settled", "then that's agreed", "decided: …", "the eighth it is" —
  about the proposal before it, or the bare phrase the speaker says next ("Great, that's
  decided then. Two roles for the beta.");
* "Agreed, read-only for the pilot.": what follows the agreement;
* an agreed proposal: a turn that proposes ("let's…", "we'll…", "I'd like…", "what
  about…?", "so twenty thousand on LinkedIn…") answered by another speaker with an explicit
  yes ("agreed", "that works for me", "makes sense", "I can live with that"; a bare "yeah"
  or "okay" is not enough).

Not decisions: questions ("should we go with…?"), negations and open items ("we haven't
decided", "we need to decide"), conditions ("if we decide…"), suggestions ("I'd suggest we
agree on next steps at the end"), decisions of an earlier meeting ("we decided last month
that…", "as we already decided"), bare agreement ("I agree", "yeah") — which instead
counts as someone agreeing with a decision just before it.

``decided_by`` is the speaker; for team phrasing ("we…", "let's…", "agreed") also those
who agree within the next few sentences. ``rationale`` is a "because / since / so that"
clause of the sentence or of the same speaker's next sentence; ``alternatives`` are what
follows "instead of", "rather than" or "over".
"""

from __future__ import annotations

import re

from minutes.extractive.lexicon import AFFIRMATIONS, DISSENT
from minutes.extractive.sentences import Sentence, split_sentences
from minutes.items.dedupe import content_words, dedupe_decisions
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
    r"|decided (?:on|upon|that|to|against)|let's agree (?:on|that|to))\b"
    r"|(?:^|\bso,?\s+)decided:",
    re.IGNORECASE,
)
# "that's settled", "then that's agreed": the words are about what was said before
_SETTLED = re.compile(
    r"\b(?:(?:it's|it is|that's|that is) (?:been )?(?:decided|agreed|settled)|decided:)",
    re.IGNORECASE,
)
# "The eighth it is." / "Blue it is, then."
_IT_IS = re.compile(r"^(?P<what>(?:[\w'-]+\s+){1,4})it is\b(?:,?\s*then)?\W*$", re.IGNORECASE)
# A plan with a choice verb: "let's approve…", "we'll cut…", "let's not expand…".
_CHOICE_VERBS = (
    r"approve|use|adopt|provide|keep|leave|drop|cut|ship|hold|treat|formali[sz]e|include|add"
    r"|remove|pick|choose|prioriti[sz]e|postpone|push|limit|spend|offer|pilot|launch|release"
    r"|buy|hire|switch|replace|target|freeze|standardi[sz]e|require|allocate|reserve|budget"
    r"|make it official|make it|delay|split|merge|stop|cancel|raise|lower|increase|reduce"
    r"|extend|skip"
)
_PLAN = re.compile(
    r"\b(?:let's|let us|we'll|we will|we're going to|we are going to|we're gonna)\s+"
    r"(?:(?:just|also|then|definitely|probably|all)\s+)?"
    rf"(?:not\s+(?P<neg>\w+)|(?P<verb>{_CHOICE_VERBS})\b|say,?\s+(?:that\s+)?(?P<say>.+))",
    re.IGNORECASE,
)
# What a plan about the meeting itself is about: not a decision.
_PROCEDURE_WORDS = re.compile(
    r"\b(?:a look|lunch|break|agenda|minutes|round|introductions?|questions?|discussion"
    r"|this point|moving|on to|go on|move on|speed|quick|at that"
    r"|the next (?:one|part|item|point|topic))\b",
    re.IGNORECASE,
)
# Things of the meeting that are also things of the work: "the slides", "the meeting",
# "the notes" are this meeting's; "the pricing slide", "the board meeting", "the release
# notes" are what a decision is about. The word before tells them apart.
_MEETING_THINGS = re.compile(
    r"(?:\b(?P<before>[\w'’-]+)\s+)?\b(?:presentations?|slides?|meeting|notes)\b", re.IGNORECASE
)
_OF_THE_MEETING = frozenset(
    """the this that these those a an our my your their his her some any all more few next
    first last today's short quick whole rest of to with in on for and at into through
    about take taking took share sharing show showing see""".split()  # noqa: SIM905
)


def _procedure(text: str) -> bool:
    """Whether a plan's words are about the meeting itself (see ``_PROCEDURE_WORDS``)."""
    if _PROCEDURE_WORDS.search(text):
        return True
    return any(
        m.group("before") is None or m.group("before").lower() in _OF_THE_MEETING
        for m in _MEETING_THINGS.finditer(text)
    )


# "We'll use that later", "we'll combine everything later": put off, not decided
_DEFERRED = re.compile(r"\blater\b", re.IGNORECASE)
_OBJECT_WORDS = 5  # how far after a plan's verb its object is looked at
# Verbs a "let's not…" may not negate: "let's not worry", "let's not waste time".
_NOT_PROCEDURE = frozenset(
    """worry waste spend forget go get talk discuss rush panic argue look focus dwell
    think""".split()  # noqa: SIM905
)
# "let's use it", "let's make it official": "it" is the proposal; "leave it", "cut it"
# point at a thing of the talk, which the words do not name.
_ANAPHORIC_PLANS = frozenset(
    {"use", "adopt", "approve", "make it official", "make it", "formalise", "formalize", "keep"}
)
# "let's adopt it as written", "let's use it then": nothing but the pronoun
_BARE_PRONOUN = re.compile(
    r"(?:it|that|this)?(?:\s+(?:as (?:written|is|proposed)|then|official|instead))?\W*",
    re.IGNORECASE,
)
# The plan's "we" must open its clause: not "the tool we are going to use".
_CLAUSE_OPEN = re.compile(
    r"(?:^|[,;:.!?]|\b(?:so|and|but|then|okay|ok|yeah|yes|well|think|guess|now|alright|right"
    r"|fine|good|great))\W*$",
    re.IGNORECASE,
)
# A finite verb: "let's say the migration runs on Thursday" says something; "let's say an
# average size" only hedges.
_FINITE = re.compile(
    r"\b(?:is|are|was|were|will|'ll|would|can|could|should|must|has|have|goes|runs|comes|gets"
    r"|stays|ships|starts|happens|takes|moves|lives|works|does)\b|\w+s\s+(?:on|in|at|to|by)\b",
    re.IGNORECASE,
)
# An explicit yes to a proposal: not "yeah" or "okay", which only keep the talk going.
_EXPLICIT_YES = re.compile(
    r"^(?:agreed|i agree|(?:that|it|this) works(?: for me)?|works for me|(?:that's |that is )?"
    r"fine (?:by|with) me|(?:that )?sounds good|makes sense|(?:that )?makes sense|i can live with"
    r" that|i can work with that|i'm comfortable with that|i am comfortable with that|deal"
    r"|(?:that's |that is )?fine with me|no objections?|let's do (?:it|that))\b",
    re.IGNORECASE,
)
# What makes a turn a proposal.
_PROPOSAL = re.compile(
    r"\b(?:let's|let us|we'll|we will|we should|we could|we can|I'd (?:like|propose|suggest|go"
    r" for|say|keep|put|rather)|I (?:propose|suggest)|what about|how about|why don't we"
    r"|should|must)\b",
    re.IGNORECASE,
)
# "Agreed, that's cheap and helpful." agrees with something before; "Agreed, read-only for
# the pilot." says what.
_ACK = re.compile(r"^(?:okay|ok|yes|yeah|good|great|right|fine|sure|alright)\W*$", re.I)
_SO_THEN = re.compile(r"^\W*(?:so|then)\b", re.IGNORECASE)
# A concluding word said first: "Okay, …", "Then …", "So …".
_CONCLUDING = re.compile(r"^\W*(?:okay|ok|then|so|fine|good|right|alright)\b", re.IGNORECASE)
# "the two remaining roles stay in…", "test isolation goes into…": a thing and where it goes
_ALLOCATION = re.compile(
    r"^(?:the |our |all |both )?(?:(?!(?:i|we|you|it|they|he|she|this|that|there|can|could|have"
    r"|has|to|got|let's|i'm|i'll|we're|it's|think|going)\b)[\w-]+ ){1,5}"
    r"(?P<verb>stays?|goes|remains?)\s+(?:in|into|on|out|ahead|with)\b",
    re.IGNORECASE,
)
_AGREED_CONTENT = re.compile(r"^agreed,\s+(?P<what>.+)$", re.IGNORECASE)
_EVALUATION = re.compile(r"^(?:that|it|this)(?:'s| is| was| sounds| looks)\b", re.IGNORECASE)
# A decision of an earlier meeting, told again.
_EARLIER = re.compile(
    r"\b(?:last|previous|earlier|past) (?:week|month|year|quarter|meeting|time|sprint)\b"
    r"|\b(?:already|previously)\b|\bin the last\b",
    re.IGNORECASE,
)
_TEAM = re.compile(r"^(?:we|we've|we're|let's|let us|everyone|everybody|agreed|the)\b|\bwe\b", re.I)
_NOT_DECIDED = re.compile(
    r"\b(?:not|n't|never|yet to|undecided|haven't|hasn't|need to decide|have to decide|should "
    r"decide|must decide|to be decided|tbd|if|whether|unless|maybe|might|could|once|when|what|"
    r"which|until|after|before|why|how|suggest|propose|would)\b|'d\b",
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
# "I think it is." / "Let's assume it is.": no choice named before "it is"
_NOT_A_CHOICE = re.compile(
    r"\b(?:i|we|you|he|she|they|it|that|this|think|guess|assume|suppose|say|let's|is|was"
    r"|not)\b",
    re.IGNORECASE,
)
_PARTICLE = r"(?:for|in|up|to|on|at|with|as|out|off|down|back|into|about|from|by)\b"
_AGREE_WINDOW = 4
_PROPOSAL_WINDOW = 5  # sentences before an explicit yes that may hold the proposal
_MIN_WORDS = 3  # "Then that's agreed."
_COMMITMENT = re.compile(r"^(?:I|I'll|I'm|I will|I can|let me)\b", re.IGNORECASE)
_WHAT_ABOUT = re.compile(r"^(?:what|how) about\s+", re.IGNORECASE)
# A proposal about the meeting itself ("let's take a break") agreed to is no decision.
_PROCEDURE_ONLY = re.compile(
    r"^(?:let's|we'll) (?:take a break|move on|start|stop|wrap up|meet again|continue)\b",
    re.IGNORECASE,
)


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


def _referent(sentences: list[Sentence], s: Sentence) -> Sentence | None:
    """What "let's use it" or "that's settled" is about: the same speaker's next sentence
    when it goes on to say it ("Then let's use it. The banner goes on for all accounts…"),
    else the last substantive sentence before."""
    nxt = sentences[s.position + 1] if s.position + 1 < len(sentences) else None
    if (
        nxt is not None
        and nxt.speaker == s.speaker
        and not nxt.is_question
        and len(nxt.content_words) >= 2
        and not _COMMITMENT.match(nxt.clean)
        and not _TRIGGERS.search(nxt.clean)
    ):
        return nxt
    return _previous_point(sentences, s)


def _with_referent(
    clause: str, sentences: list[Sentence], s: Sentence
) -> tuple[str, list[Sentence]] | None:
    """The decision's text and sentences, with what its "it"/"that" points to."""
    ref = _referent(sentences, s)
    if ref is None:
        return None
    who = f"{ref.speaker}: " if ref.speaker else ""
    text = f"{clause.rstrip('.')} ({who}“{ref.clean.rstrip('.')}”)."
    return text, sorted([s, ref], key=lambda x: x.position)


def _stated(sentences: list[Sentence], s: Sentence) -> tuple[str, list[Sentence], int] | None:
    """A decision said with a decision word: (text, sentences, where its words end)."""
    text = s.clean
    if m := _IT_IS.match(text):
        what = m.group("what")
        if not content_words(what) or _EARLIER.search(text) or _NOT_A_CHOICE.search(what):
            return None
        found = _with_referent(_decision_text(text), sentences, s)
        return (*found, len(text)) if found else None
    m = _TRIGGERS.search(text)
    if m is None or _SMALL_TALK.search(text):
        return None
    # A negation, hedge or wh-word before the trigger ("we haven't decided", "once
    # we've decided", "what we decided") makes it no decision; "decided not to" is one.
    if _NOT_DECIDED.search(text[: m.start()]) or re.match(
        r"\s*(?:on |upon |about )?(?:yet|whether|if|what|how)\b", text[m.end() :], re.I
    ):
        return None
    start = _subject_start(text, m.start())
    # "We decided last month that…", "as we already agreed": an earlier meeting's
    if _EARLIER.search(" ".join(text[start:].split()[:8])):
        return None
    # The decision starts at its own words: "Sorry, I dunno, so we'll go with X" → "We'll
    # go with X".
    clause = _decision_text(text[start:])
    after = clause[m.end() - start :]
    if _ANAPHORIC.match(after.strip()) or (
        _SETTLED.search(m.group(0)) and not content_words(after) - _EMPTY
    ):
        prev = _previous_point(sentences, s)
        if _SETTLED.search(m.group(0)):
            prev = _referent(sentences, s)
        if prev is None:
            return None
        who = f"{prev.speaker}: " if prev.speaker else ""
        clause = f"{clause.rstrip('.')} ({who}“{prev.clean.rstrip('.')}”)."
        return clause, sorted([s, prev], key=lambda x: x.position), m.end()
    if not content_words(after) - _EMPTY:
        return None  # "We decided." / "That we've decided on our." / "Let's go for let's say"
    return clause, [s], m.end()


def _planned(sentences: list[Sentence], s: Sentence) -> tuple[str, list[Sentence], int] | None:
    """A plan with a choice verb: "let's approve…", "we'll cut…", "let's not…"."""
    text = s.clean
    m = _PLAN.search(text)
    if m is None or _NOT_DECIDED.search(text[: m.start()]) or _SMALL_TALK.search(text):
        return None
    if not _CLAUSE_OPEN.search(text[: m.start()]) or _DEFERRED.search(text[m.end() :]):
        return None
    rest = text[m.end() :]
    if m.group("neg"):
        if m.group("neg").lower() in _NOT_PROCEDURE or _procedure(text[m.start() :]):
            return None
    elif m.group("say"):
        said = re.split(r",\s", m.group("say"), maxsplit=1)[0]
        # "let's say Thursday at two, I'll send the invite" only picks a time
        if not _FINITE.search(said) or len(content_words(said)) < 3:
            return None
    elif _procedure(" ".join(rest.split()[:_OBJECT_WORDS])):
        return None
    clause = _decision_text(text[_subject_start(text, m.start()) :])
    after = rest.strip(" .!,")
    verb = (m.group("verb") or "").lower()
    pronoun_only = _BARE_PRONOUN.fullmatch(after) and (" it" in verb or after)
    if verb and (_ANAPHORIC.match(after) or pronoun_only):
        if verb not in _ANAPHORIC_PLANS:
            return None
        found = _with_referent(clause, sentences, s)
        return (*found, m.end()) if found else None
    if verb and re.match(r"(?:it|that|this|them|those)\s+" + _PARTICLE, after, re.IGNORECASE):
        # "we'll use it for the business case": what "it" is goes unsaid; "let's keep it
        # central" says how it will be
        return None
    # words of its own after the plan's verb: "let's say." or "let's cut." say nothing
    own = m.group("say") or clause[m.end() - _subject_start(text, m.start()) :]
    if not content_words(own) - _EMPTY - {"say", "let"}:
        return None
    return clause, [s], m.end()


def _concluded(sentences: list[Sentence], s: Sentence) -> tuple[str, list[Sentence], int] | None:
    """ "Okay, the two remaining roles stay in the budget.", "Then test isolation goes into
    sprint fifteen.": a concluding word, then where something goes or stays."""
    if not _CONCLUDING.match(s.text):
        return None
    m = _ALLOCATION.match(s.clean)
    if m is None or _NOT_DECIDED.search(s.clean[: m.start("verb")]):
        return None
    return _decision_text(s.clean), [s], m.end()


def _agreed_content(
    sentences: list[Sentence], s: Sentence
) -> tuple[str, list[Sentence], int] | None:
    """ "Agreed, read-only for the pilot.": the words after the agreement."""
    m = _AGREED_CONTENT.match(s.clean)
    if m is None or _EVALUATION.match(m.group("what")) or s.is_question:
        return None
    what = m.group("what").strip(" .")
    if len(content_words(what)) < 2:
        return None
    return _decision_text(what), [s], len(s.clean)


def _turn_start(sentences: list[Sentence], s: Sentence) -> int:
    i = s.position
    while i > 0 and sentences[i - 1].speaker == s.speaker:
        i -= 1
    return i


def _agreed_proposal(
    sentences: list[Sentence], s: Sentence
) -> tuple[str, list[Sentence], int] | None:
    """A proposal that another speaker answers with an explicit yes, said at the start of
    their turn: the proposer's last proposing sentence (and the one after it)."""
    if not s.speaker or not _EXPLICIT_YES.match(s.clean):
        return None
    start = _turn_start(sentences, s)
    opens = start == s.position or (
        start == s.position - 1 and _ACK.match(sentences[start].plain)  # "Okay. Let's do it."
    )
    if not opens or not s.speaker or not _EXPLICIT_YES.match(s.clean):
        return None
    # "I can live with that. Let's go with a freeze…": the agreer states it; that is found
    own_turn = sentences[start : start + 4]
    if any(
        x.speaker == s.speaker and (_TRIGGERS.search(x.clean) or _PLAN.search(x.clean))
        for x in own_turn
    ):
        return None
    proposer = sentences[start - 1].speaker if start > 0 else None
    if proposer is None or proposer == s.speaker:
        return None
    turn: list[Sentence] = []
    for x in reversed(sentences[max(0, start - _PROPOSAL_WINDOW) : start]):
        if x.speaker != proposer:
            break
        turn.insert(0, x)
    candidates = [
        x
        for x in turn
        if len(x.content_words) >= 3 and (not x.is_question or _WHAT_ABOUT.match(x.clean))
    ]
    proposing = [
        x
        for x in candidates
        if _PROPOSAL.search(x.clean)
        # "So twenty thousand on LinkedIn, and five thousand in reserve.": a summary
        or (_SO_THEN.match(x.text) and not _FINITE.search(x.clean))
    ]
    if not proposing:
        return None
    first = proposing[-1]
    chosen = [first, *[x for x in candidates if x.position == first.position + 1][:1]]
    text = " ".join(_WHAT_ABOUT.sub("", x.clean).rstrip("?").strip() for x in chosen)
    if _PROCEDURE_ONLY.search(text) or _EARLIER.search(text):
        return None
    return _decision_text(text[:1].upper() + text[1:]), [*chosen, s], -1


def extract_decisions(transcript: Transcript) -> list[Decision]:
    """Decisions stated in the meeting, in transcript order, deduplicated."""
    sentences = split_sentences(transcript)
    out: list[Decision] = []
    for s in sentences:
        found = None
        if not s.is_question:
            found = (
                # "That's agreed." is short and still says it
                (
                    _stated(sentences, s)
                    if len(s.words) >= _MIN_WORDS or _SETTLED.search(s.clean)
                    else None
                )
                or (_planned(sentences, s) if len(s.words) >= _MIN_WORDS else None)
                or _agreed_content(sentences, s)
                or (_concluded(sentences, s) if len(s.words) >= _MIN_WORDS else None)
            )
        if found is None and not s.is_question:
            found = _agreed_proposal(sentences, s)
        if found is None:
            continue
        clause, said, end = found
        # an agreed proposal (end -1): the proposer and the one who agreed decided it
        main = said[0] if end < 0 else s
        decided_by = [x.speaker for x in said if x.speaker] if end < 0 else []
        if not decided_by and s.speaker:
            decided_by = [s.speaker]
        decided_by = list(dict.fromkeys(decided_by))
        if _TEAM.search(s.clean) or end < 0:
            decided_by += [p for p in _agreeing(sentences, s) if p not in decided_by]
        nxt = sentences[main.position + 1] if main.position + 1 < len(sentences) else None
        out.append(
            Decision(
                decision=clause,
                rationale=_rationale(main, nxt, max(0, min(end, len(main.clean)))),
                alternatives=_alternatives(main.clean),
                decided_by=decided_by,
                sources=[x.source() for x in said],
            )
        )
    return dedupe_decisions(out)
