"""Recognising ``Speaker: text`` labels at the start of a line.

A transcript line such as "Note: the deadline moved" must not turn "Note" into a person, so a
label has to look like a name or a role: at most four words, starting with a letter that is not
lower case, no sentence punctuation, and either title-cased words (name particles such as "van"
or "de" allowed) or at most two words ("Marketing expert"). Speaker names in caption files and
chat exports fit these rules; prose before a colon rarely does.

Names in any script count (``田中：``, ``Renée:``); CJK writing has no spaces, so a label of
CJK characters longer than :data:`MAX_CJK_LABEL` is taken for a sentence. The full-width colon
``：`` ends a label like ``:`` does, without the space that CJK text does not put after it.
Emoji and other symbols in a name (``Bob 🚀:``, as chat tools show them) are kept in the name
but not judged as words.
"""

from __future__ import annotations

import re
import unicodedata

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
# "・" joins the parts of a foreign name written in katakana (ジョン・スミス).
_WORD = re.compile(r"[^\W_][\w.'’\-・]*")
_ROLE_SUFFIX = re.compile(r"\s*\([^()]{1,40}\)$")
# A label, then a colon followed by whitespace or the end of the line (so "https://" is no label),
# or a full-width colon followed by anything.
_LABELLED = re.compile(
    r"(?P<label>[^:：\n]{1,60}?)\s*(?::(?:\s+(?P<text>.*)|\s*)|：\s*(?P<wide>.*))$",
    re.DOTALL,
)
MAX_CJK_LABEL = 10
"""Longest label without spaces in CJK characters: names with an honorific ("田中太郎部長") and
katakana names ("マクシミリアン") are shorter; "これは重要な点なのですが" is a sentence."""
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
# Zero-width joiner and variation selectors: the glue of emoji sequences (👩‍💻, ❤️).
_EMOJI_GLUE = frozenset("\u200d\ufe0e\ufe0f")
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
    words = _without_symbols(base).split()
    if len(words) == 1 and len(words[0]) > MAX_CJK_LABEL and _CJK.search(words[0]):
        return False
    if not 1 <= len(words) <= 4 or base.lower().rstrip(".") in _NOT_SPEAKERS:
        return False
    if not all(_WORD.fullmatch(word) for word in words):
        return False
    first = words[0][0]
    if not first.isalpha() or first.islower():
        return False
    lower_words = [w for w in words[1:] if w[0].islower() and w.lower() not in _PARTICLES]
    return not lower_words or (not strict and len(words) <= 2)


def _is_symbol(ch: str) -> bool:
    """Emoji and other pictographs (and what glues them), not letters of a name.

    ASCII symbols ("^", "`", "|") are not decoration: a label holding them is rather not a name.
    """
    if ch.isascii():
        return False
    return ch in _EMOJI_GLUE or unicodedata.category(ch) in ("So", "Sk", "Me")


def _without_symbols(label: str) -> str:
    """``label`` with emoji and symbols removed: "Bob 🚀" is judged as "Bob"."""
    if label.isascii():  # the common case: nothing to remove
        return label
    return "".join(" " if _is_symbol(ch) else ch for ch in label)


def split_speaker(line: str) -> tuple[str | None, str]:
    """Split ``"Alice: hello"`` into ``("Alice", "hello")``; ``(None, line)`` without a label.

    A leading dialogue marker (``- `` or ``>> ``) is dropped either way.
    """
    stripped = _MARKER.sub("", line.strip())
    match = _LABELLED.match(stripped)
    if match and is_speaker_label(match.group("label")):
        text = match.group("text") or match.group("wide") or ""
        return " ".join(match.group("label").split()), text.strip()
    return None, stripped
