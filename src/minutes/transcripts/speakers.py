"""Recognising ``Speaker: text`` labels at the start of a line.

A transcript line such as "Note: the deadline moved" must not turn "Note" into a person, so a
label has to look like a name or a role: at most four words, starting with a letter that is not
lower case, no sentence punctuation, and either title-cased words (name particles such as "van"
or "de" allowed) or at most two words ("Marketing expert"). Speaker names in caption files and
chat exports fit these rules; prose before a colon rarely does.
"""

from __future__ import annotations

import re

# Words that head a line followed by a colon in notes and transcripts without being speakers.
_NOT_SPEAKERS = frozenset(
    {
        "action",
        "action item",
        "action items",
        "agenda",
        "attendees",
        "decision",
        "decisions",
        "e.g",
        "example",
        "fyi",
        "i.e",
        "note",
        "notes",
        "nb",
        "ps",
        "re",
        "reminder",
        "summary",
        "todo",
        "to do",
        "update",
        "warning",
    }
)
_PARTICLES = frozenset(
    {"al", "bin", "da", "de", "del", "della", "den", "der", "di", "du", "el", "la", "le", "of"}
    | {"ten", "ter", "van", "von", "y"}
)
_WORD = re.compile(r"[^\W_][\w.'’\-]*")
_ROLE_SUFFIX = re.compile(r"\s*\([^()]{1,40}\)$")
# A label, then a colon followed by whitespace or the end of the line (so "https://" is no label).
_LABELLED = re.compile(r"(?P<label>[^:\n]{1,60}?)\s*:(?:\s+(?P<text>.*)|\s*)$", re.DOTALL)
# Dialogue markers that captions put before a speaker change: "- Alice: ..." or ">> Alice: ...".
_MARKER = re.compile(r"^(?:>>+\s*|[-–—]\s+)")


def is_speaker_label(label: str, *, strict: bool = False) -> bool:
    """Whether ``label`` (the part before a colon) plausibly names a speaker.

    ``strict`` demands title case throughout, for labels that are not followed by a colon
    (``Alice Smith  00:03`` on its own line), where prose is likelier to look like a label.
    """
    label = " ".join(label.split())
    if not label or len(label) > 48:
        return False
    base = _ROLE_SUFFIX.sub("", label)  # "Alice (PM)" is Alice speaking as PM
    words = base.split()
    if not 1 <= len(words) <= 4 or base.lower().rstrip(".") in _NOT_SPEAKERS:
        return False
    if not all(_WORD.fullmatch(word) for word in words):
        return False
    first = words[0][0]
    if not first.isalpha() or first.islower():
        return False
    lower_words = [w for w in words[1:] if w[0].islower() and w.lower() not in _PARTICLES]
    return not lower_words or (not strict and len(words) <= 2)


def split_speaker(line: str) -> tuple[str | None, str]:
    """Split ``"Alice: hello"`` into ``("Alice", "hello")``; ``(None, line)`` without a label.

    A leading dialogue marker (``- `` or ``>> ``) is dropped either way.
    """
    stripped = _MARKER.sub("", line.strip())
    match = _LABELLED.match(stripped)
    if match and is_speaker_label(match.group("label")):
        return " ".join(match.group("label").split()), (match.group("text") or "").strip()
    return None, stripped
