"""Who an item is for, when the shape that found it does not say it outright.

A commitment names its owner ("I'll…" is the speaker, "Dave will…" is Dave); a request
often does not: "can you send it?" is for the one addressed by name, else the one who says
yes in the next turns, else, in a meeting of two, the other one. Finding that person means
looking at the sentences around the request and at who speaks them, which is a concern of
its own next to reading the shape of a single clause.
"""

from __future__ import annotations

import re

from minutes.extractive.lexicon import AFFIRMATIONS
from minutes.extractive.people import People
from minutes.extractive.sentences import Sentence

# How several names are joined: "Kate and Kendra", "Kate, Dave & Sam".
AND = re.compile(r"\s*(?:,\s*and|,|and|&)\s+", re.IGNORECASE)
_ACK = re.compile(
    r"^(?:thanks|thank you|great|good|perfect|cool|nice|sure|okay|ok|yes|yeah|fine|right)\W*$",
    re.IGNORECASE,
)


class Assignees:
    """Who a request is for, from the people of this meeting and what they say."""

    def __init__(self, people: People, sentences: list[Sentence]) -> None:
        self.people = people
        self.sentences = sentences

    def names(self, group: str) -> str | None:
        """ "Kate and Kendra" → "Kate and Kendra" when each is a person, else ``None``."""
        resolved = [self.people.assignee(part) for part in AND.split(group)]
        if not resolved or any(r is None for r in resolved):
            return None
        return " and ".join(dict.fromkeys(r for r in resolved if r))

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

    def opens_reply(self, s: Sentence) -> str | None:
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
        if reply and not s.is_question and (answered := self.opens_reply(s)):
            return answered  # "Thanks. Please send me a draft by Monday."
        if s.is_question:
            for nxt in self.sentences[s.position + 1 : s.position + 5]:
                if nxt.speaker and nxt.speaker != s.speaker:
                    if AFFIRMATIONS.match(nxt.plain):
                        return nxt.speaker
                    break
        participants = self.people.participants
        if len(participants) > 2 or not s.speaker:
            return None  # (no pass over a long list of people per request)
        others = [p for p in participants if p != s.speaker]
        return others[0] if len(others) == 1 else None
