"""Who is meant: participants named in a sentence, by full name, role or first name."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# Capitalised words that begin sentences or name things but are not people.
_NOT_NAMES: frozenset[str] = frozenset(
    """I I'm I'll I've I'd The This That These Those It It's We We'll We're You You'll They
    He She His Her Their Our My Your So And But Or Then Okay OK Ok Yeah Yes No Well Also
    Maybe Please Right Alright Sure Now Just Oh Um Uh Hmm Mm Let Let's If When What Which Who
    Why How Where There Here Everyone Everybody Someone Somebody Anyone Anybody Nobody None
    All Both Each Team Monday Tuesday Wednesday Thursday Friday Saturday Sunday January
    February March April May June July August September October November December Today
    Tomorrow Tonight Next Last First Second Action Item Decision TODO Todo Note Great Good
    Thanks Thank Actually Basically Because Since Once After Before Whoever Somehow Again
    Otherwise Like Cool Fine Perfect Definitely Absolutely Exactly Obviously Hopefully
    Something Nothing Everything Anything Another Other Others Most Some Many Few Any Every
    Such Either Neither Mine Ours Theirs Yours Nobody's Somebody's Anyway Still Even Though
    Although Unless Until While Whether Meanwhile Instead Perhaps Probably Really Sorry
    Agreed Deal Done Noted Correct Indeed Fair True Same Plus Nice Hey Hi Hello Wait
    Congrats Congratulations Understood Alright Never Always Often Sometimes Usually
    Later Soon Only Not Nor Yet""".split()  # noqa: SIM905
)

NAME = r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?"


_MAX_NESTING = 50  # groups; Python's regex parser recurses on each


def literals(words: Iterable[str]) -> str:
    """A regex for any of ``words`` as they are, longer ones tried first (as "Dave Smith"
    before "Dave"), written as a trie: "Dave(?: Smith)?" rather than "Dave Smith|Dave".

    The same matches as the plain alternation in that order, but a search no longer tries
    every name at every position: with hundreds of speakers that made each sentence cost as
    much as the list of names, so a long meeting of many people grew with their product.
    Built without recursion (a name may be long); names nested too deep for the regex
    parser ("a", "aa", "aaa", …) get the plain alternation.
    """
    words = sorted(set(words), key=len, reverse=True)
    trie: dict[str, Any] = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}  # a word ends here
    text: dict[int, str] = {}
    depth: dict[int, int] = {}
    stack: list[tuple[dict[str, Any], bool]] = [(trie, False)]
    while stack:  # children before their parent
        node, ready = stack.pop()
        children = [(ch, child) for ch, child in node.items() if ch]
        if not ready:
            stack.append((node, True))
            stack.extend((child, False) for _, child in children)
            continue
        branches = [re.escape(ch) + text[id(child)] for ch, child in children]
        deepest = max((depth[id(child)] for _, child in children), default=0)
        if not branches:
            text[id(node)], depth[id(node)] = "", 0
        elif "" in node:  # a shorter word ends here: the longer ones first, greedily
            text[id(node)], depth[id(node)] = "(?:" + "|".join(branches) + ")?", deepest + 1
        elif len(branches) == 1:
            text[id(node)], depth[id(node)] = branches[0], deepest
        else:
            text[id(node)], depth[id(node)] = "(?:" + "|".join(branches) + ")", deepest + 1
    if depth[id(trie)] > _MAX_NESTING:
        return "(?:" + "|".join(map(re.escape, words)) + ")"
    return "(?:" + text[id(trie)] + ")"


# (a plain alternation: a fixed list, and a trie of it compiles slower than it searches)
_NOT_A_NAME = "(?:" + "|".join(sorted(map(re.escape, _NOT_NAMES), key=len, reverse=True)) + ")"


@dataclass
class People:
    """The participants of a meeting and the ways a sentence may refer to them."""

    participants: list[str]
    aliases: dict[str, str] = field(default_factory=dict)  # "Alima" → "Industrial Designer"
    _full: dict[str, str] = field(init=False, repr=False)
    _short: dict[str, str] = field(init=False, repr=False)
    _pattern: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._full = {p.lower(): p for p in self.participants if p and p.strip()}
        short: dict[str, list[str]] = {}
        for p in self.participants:
            parts = p.split()
            if len(parts) < 2:
                continue
            # First names only for person-like names ("Dave Smith"); not for roles such as
            # "Project Manager", whose first word is an ordinary word ("the project").
            if all(re.fullmatch(NAME, x) for x in parts) and parts[0] not in _NOT_NAMES:
                short.setdefault(parts[0], []).append(p)
            # Initials: "the ID" for the Industrial Designer, "PM" for the Project Manager.
            if all(x[:1].isupper() for x in parts):
                short.setdefault("".join(x[0] for x in parts), []).append(p)
        for alias, speaker in self.aliases.items():
            short.setdefault(alias, []).append(speaker)
        # An ambiguous short form ("Dave" for two Daves) resolves to nobody.
        self._short = {k: v[0] for k, v in short.items() if len(set(v)) == 1}
        # Full names case-insensitively ("the industrial designer"); first names and
        # initials only as written ("Will", not "will"); other capitalised words as names
        # when they look like one, which ``assignee`` checks.
        alternatives: list[str] = []
        if self._full:
            alternatives.append(rf"(?i:(?:the\s+)?{literals(self._full)})")
        # Unknown names: "Dave", "Dave Smith", "the Marketing Expert"; never a word that
        # only looks like one at the start of a sentence ("Okay", "This").
        word = rf"(?!{_NOT_A_NAME}\b){NAME}"
        if self._short:
            alternatives.append(rf"(?:(?i:the\s+))?{literals(self._short)}\b")
        alternatives += [rf"(?i:the)\s+{word}\s+{word}", rf"{word}(?:\s+{word})?"]
        self._pattern = "(?:" + "|".join(alternatives) + ")"

    def resolve(self, name: str | None) -> str | None:
        """The participant ``name`` refers to, or ``None`` if it refers to none of them."""
        if not name:
            return None
        key = re.sub(r"^the\s+", "", name.strip(), flags=re.IGNORECASE)
        if key.lower() in self._full:
            return self._full[key.lower()]
        return self._short.get(key)

    def assignee(self, name: str | None) -> str | None:
        """A participant if ``name`` is one; else the name as spoken if it looks like one."""
        if not name:
            return None
        found = self.resolve(name)
        if found:
            return found
        name = re.sub(r"^the\s+", "", name.strip(), flags=re.IGNORECASE)
        if re.fullmatch(rf"{NAME}(?:\s+{NAME})?", name) and name.split()[0] not in _NOT_NAMES:
            return name
        return None

    def mention_pattern(self) -> str:
        """A regex alternative that matches a mention of someone (participant or name)."""
        return self._pattern

    def addressed(self, text: str, speaker: str | None = None) -> str | None:
        """The participant addressed in ``text``: "Dave, can you…", "…, Dave?", "For the
        designer, …"."""
        mention = self._pattern
        patterns = (
            rf"(?:^|[,;:]\s*)({mention})\s*(?=[,?!.]|$)",
            rf"\b(?i:for|to)\s+({mention})\s*,",
            rf"({mention})\s*,\s*(?:[\w']+\s+){{0,3}}?(?i:you)\b",  # "Nathan, I'd like you to…"
        )
        for pattern in patterns:
            for m in re.finditer(pattern, text):
                who = self.assignee(m.group(1))
                if who and who != speaker:
                    return who
        return None


_INTRODUCTION = re.compile(
    rf"\b(?:(?i:my name is|my name's|call me)|I am|I'm)\s+(?P<name>{NAME}(?:\s+{NAME})?)"
    r"(?=\s*(?:[,.;!?]|and\b|$))"
)


def introductions(sentences: Iterable[tuple[str | None, str]]) -> dict[str, str]:
    """Names speakers give themselves ("My name is Alima Bucciantini." said by the
    Industrial Designer): full name and first name → speaker label.

    ``sentences`` are (speaker, text) pairs. A name claimed by two speakers is dropped.
    """
    claims: dict[str, set[str]] = {}
    for speaker, text in sentences:
        if not speaker:
            continue
        for m in _INTRODUCTION.finditer(text):
            name = m.group("name")
            if name.split()[0] in _NOT_NAMES or name == speaker:
                continue
            for alias in {name, name.split()[0]}:
                claims.setdefault(alias, set()).add(speaker)
    return {alias: next(iter(who)) for alias, who in claims.items() if len(who) == 1}
