"""Word lists the rules share: task verbs, urgency words, agreement words.

Kept as data in one place so they can be read and extended without touching the rules.
"""

from __future__ import annotations

import re

# Verbs that name work done after the meeting. A commitment or request whose verb is not
# here counts only when it also has a deadline ("I'll do it by Friday").
TASK_VERBS: frozenset[str] = frozenset(
    """send email mail forward share circulate distribute post upload publish attach
    check verify confirm investigate research find follow contact call ring phone ping
    message text reach ask write type draft prepare create make build design fix update
    review test schedule book organise organize arrange handle sort work clean finalise
    finalize complete deploy merge file submit order buy print coordinate document plan
    calculate estimate figure prototype sketch bring compile collect gather run install
    implement migrate read learn study talk speak look take put set get come do
    summarise summarize present produce deliver provide sign approve escalate invite
    reserve renew cancel rewrite refactor benchmark measure analyse analyze evaluate
    compare choose pick source price quote hire interview train onboard backup restore
    monitor track chase remind notify inform tell brief demo record add upgrade raise
    restructure shorten own announce pull quarantine pilot enable disable remove rename
    restart finish open fill reply respond assign""".split()  # noqa: SIM905
)

# Verbs that are tasks only with the right particle or object; checked on what follows.
PARTICLES: dict[str, re.Pattern[str]] = {
    verb: re.compile(pattern, re.IGNORECASE)
    for verb, pattern in {
        "look": r"^(?:into|up|for|over)\b",
        "talk": r"^(?:to|with)\b",
        "speak": r"^(?:to|with)\b",
        "come": r"^up with\b",
        "take": r"^(?:care|a look|on|over|the lead|ownership|charge"
        r"|the (?!minutes|notes|take|next|floor)\w+)\b",
        "put": r"^(?:(?:it|that|this|them|something|\w+ \w+) )?(?:together|up|out)\b"
        r"|^(?:\S+ ){1,4}(?:in|on|into) (?:the|our|your) (?:\w+ )?(?:calendar|board|agenda|doc"
        r"|document|tracker|backlog|wiki|channel|ticket|sprint|invite|plan)\b",
        "set": r"^up\b",
        "follow": r"^up\b",
        "work": r"^(?:on|out)\b",
        "sort": r"^(?:out|it|that|this|the)\b",
        "figure": r"^out\b",
        "reach": r"^out\b",
        "read": r"^(?:up|through the)\b",
        "type": r"^up\b",
        "clean": r"^up\b",
        "get": r"^(?:back|in touch|hold|(?:it|that|this|them|the \w+) (?:done|down|out|live"
        r"|ready|sorted|to|\w+ed)|(?:a|an|the) (?:\w+ )?(?:quote|quotes|estimate|copy|sign-off"
        r"|approval|list|numbers|figures|data))\b",
        "do": r"^(?:the|a|an|some|my|our|your|his|her|their) (?!(?:bit|little|quick|next|notes|"
        r"minutes|presentation|first one|same)\b)",
        "write": r"^(?:up|a|an|the|some|it up|that up|them up|to)\b",
        "run": r"^(?:it by|that by|this by|the \w+ by)\b|^(?:a|an|the|some) (?:\w+ )?(?:session"
        r"|workshop|training|tests?|checks?|survey|demo|review|report|query|job|pilot|migration"
        r"|script|experiment|analysis|retro|walkthrough)\b",
        "make": r"^(?:sure|a|an|the|some|copies|changes|minutes|notes)\b",
        "present": r"^(?:it|that|this|the|our|my)\b.*\b(?:next (?:meeting|time|week)|tomorrow)\b",
        "tell": r"^(?:the|everyone|everybody|them|him|her)\b",
        "ask": r"^(?:the|everyone|everybody|them|him|her|about|around)\b",
        "bring": r"^(?:it|that|this|them|the|a|some)\b.*\b(?:next|tomorrow|to the)\b",
        "call": r"^(?:the|them|him|her|back|a)\b",
        "record": r"^(?:the|a)\b",
        # "open the file" / "open it up" narrate a screen; a ticket or an account is work
        "open": r"^(?:a|an|the|another|one)\s+(?:\w+\s+)?(?:ticket|issue|bug|pull request|pr"
        r"|merge request|account|case|incident|request|thread|discussion|position|role)\b",
        "raise": r"^(?:it|that|the|a|an|our)\b(?!.*\b(?:hand|question|point|concern)s?\b)",
        "pull": r"^(?!up\b|out\b)(?:the|a|an|our|last|this|[\w]+['’]s)\b",
        "own": r"^(?:the|a|an|this|that|it)\b",
        "add": r"^(?:the|a|an|it|that|this|them|some|another|our|\w+ to the)\b"
        r"(?!.*\bslides?\b)",
        "fill": r"^(?:in|out)\b",
        "finish": r"^(?:it|that|this|the|a|an|my|our|off)\b",
    }.items()
}

# Verbs after which a first-person "I'll …" is never a task, deadline or not.
NEVER_TASKS: frozenset[str] = frozenset(
    """be say admit bet guess think see assume agree suppose hope wonder imagine mean
    believe like love want know stop shut pass hand give start begin move go continue
    skip repeat explain show draw introduce sum wrap answer wait leave try keep
    let turn switch close click scroll press use have""".split()  # noqa: SIM905
)

# Phrases that place the words inside the meeting ("let me do that right now", "I'll ask
# her to walk us through the timeline"). Words with a second sense count only in their
# sense in the room: the whiteboard one writes *on* ("on the board", not "send the deck to
# the board" or "the board meeting"), the screen one shares or looks at ("share your
# screen", "on the screen", not "screen the candidates" or "a screen recording"), the slide
# being shown ("next slide", not "the slide deck").
IN_MEETING = re.compile(
    r"\b(?:right now|in this meeting|for a second|for a moment|for a sec"
    r"|walk (?:us|you all|everyone) through"
    r"|(?:on|onto|up on|at) (?:the|this|that) (?:white ?)?board"
    r"(?!\s+(?:in|on) (?:jira|trello|asana|github|gitlab|linear|notion)\b)"
    r"|this (?:white ?)?board(?!\s+(?:meeting|members?|deck|pack|papers?|report|call)s?\b)"
    r"|on (?:the|this|that|my|your|our|his|her|their) screen|on screen"
    r"|share (?:my|your|the|his|her|their|our) screen(?!\s*(?:recording|shot|cast|capture)s?\b)"
    r"|screen ?shar(?:e|ing)"
    r"|(?:next|this|previous) slide(?!\s*deck)"
    r")\b",
    re.IGNORECASE,
)

HIGH_PRIORITY = re.compile(
    r"\b(?:urgent(?:ly)?|asap|a\.s\.a\.p|as soon as possible|blocker|blocking|block(?:s|ed)? "
    r"(?:us|the release|release)|critical|today|tonight|eod|immediately|right away|top "
    r"priority|high priority|highest priority|p0|p1|sev ?[12]|showstopper|must have)\b",
    re.IGNORECASE,
)
LOW_PRIORITY = re.compile(
    r"\b(?:when you get a chance|when you have (?:a )?(?:chance|time|a minute)|nice to have|"
    r"eventually|no rush|low priority|lower priority|at some point|if you have time|"
    r"whenever|someday|some day|not urgent|no hurry|down the line|if possible)\b",
    re.IGNORECASE,
)

# Replies that accept a request or agree with a proposal.
AFFIRMATIONS = re.compile(
    r"^(?:yes|yeah|yep|yup|sure|ok|okay|'kay|kay|will do|no problem|of course|absolutely|"
    r"definitely|certainly|agreed|i agree|fine|right|sounds good|sounds great|good idea|"
    r"great|perfect|exactly|i can|i will|i'll|i could|can do|consider it done|on it|"
    r"that works|works for me|mm-hmm|uh-huh|alright|all right)\b",
    re.IGNORECASE,
)
# A plain yes, without a commitment of its own ("Sure.", "Yes, that works.").
YES = re.compile(
    r"^(?:yes|yeah|yep|yup|sure|ok|okay|'kay|will do|no problem|of course|absolutely|"
    r"definitely|certainly|fine|can do|on it|alright|all right|happy to|deal)\b",
    re.IGNORECASE,
)
DISSENT = re.compile(r"\b(?:but|no|not|don't|disagree|however|although)\b", re.IGNORECASE)

INCIDENT = re.compile(
    r"\b(?:outage|incident|down for (?:all )?(?:customers|users)|production is down|"
    r"(?:site|service|system|server|database|prod) (?:is|was|went) down|sev ?[0-2]|p0|"
    r"security breach|breach|data loss|postmortem|post-mortem|rollback|roll back|hotfix|"
    r"escalat(?:e|ed|ion)|customers? (?:are|is) (?:affected|impacted)|blocker|critical bug)\b",
    re.IGNORECASE,
)


def lemma(word: str) -> str:
    """The base form of a verb as spoken ("e-mailing" → "email", "taking" → "take")."""
    w = word.lower().replace("-", "").replace("’", "'")
    if w.endswith("ing") and len(w) > 4:
        stem = w[:-3]
        for candidate in (stem, stem + "e", stem[:-1]):
            if candidate in TASK_VERBS or candidate in NEVER_TASKS:
                return candidate
        return stem
    return w


def is_task_verb(verb: str, rest: str) -> bool:
    """Whether ``verb`` followed by ``rest`` names work to be done."""
    if verb not in TASK_VERBS:
        return False
    rule = PARTICLES.get(verb)
    return rule is None or bool(rule.search(rest.strip()))
