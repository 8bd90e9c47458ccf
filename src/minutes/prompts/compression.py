"""Shrink a prompt's variable text (a transcript chunk, mostly) until the rendered prompt fits
a token target, measured with the real tokenizer (:func:`minutes.tokens.count_tokens`).

Steps, cheapest loss first; each runs only while the prompt is still over the target:

1. whitespace: runs of blanks squeezed, blank lines dropped;
2. disfluencies: fillers ("um", "uh", …, the list grounding ignores) and immediate word
   repetitions ("I I I think" → "I think") removed. Quotes a model copies from the result
   still ground, since grounding skips fillers and a few repeated words;
3. low-content lines: whole lines with the fewest words ("[12] Bob: Okay.") dropped, the
   shortest first, the rest kept in order. Lines go whole so that segment numbers stay true;
4. truncation: the text cut to what fits, at a line boundary where one is close.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from minutes.items.grounding import FILLERS
from minutes.tokens import count_tokens, truncate_tokens

# A segment line as chunks render it: "[12] Speaker: text" (speaker optional).
_PREFIX = re.compile(r"^\s*(\[\d+\]\s*)?([^:\n]{1,60}:\s)?")
_FILLER = re.compile(
    r"(?<![\w'])(?:" + "|".join(sorted(FILLERS, key=len, reverse=True)) + r")(?![\w'])[,.]?\s*",
    re.IGNORECASE,
)
_REPEAT = re.compile(r"\b(\w+)(?:[\s,]+\1\b)+", re.IGNORECASE)

Fits = Callable[[str], bool]


def squeeze_whitespace(text: str) -> str:
    lines = (re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def drop_disfluencies(text: str) -> str:
    out = []
    for line in text.splitlines():
        prefix = _PREFIX.match(line)
        head = prefix.group(0) if prefix else ""
        body = _REPEAT.sub(r"\1", _FILLER.sub("", line[len(head) :]))
        body = re.sub(r"\s+([,.?!])", r"\1", re.sub(r" {2,}", " ", body)).strip()
        out.append(head + body if body else "")
    return "\n".join(line for line in out if line.strip())


def _content_words(line: str) -> int:
    prefix = _PREFIX.match(line)
    return len(line[prefix.end() if prefix else 0 :].split())


def drop_short_lines(text: str, fits: Fits) -> str:
    """Drop the lines with the fewest words, one by one, until ``fits``; order is kept."""
    lines = text.splitlines()
    order = sorted(range(len(lines)), key=lambda i: (_content_words(lines[i]), -i))
    dropped: set[int] = set()
    # Only lines shorter than the median go: past that, dropping loses real content and a
    # truncation is the more honest loss (it keeps the order of what was said).
    median = sorted(_content_words(line) for line in lines)[len(lines) // 2] if lines else 0
    for i in order:
        if _content_words(lines[i]) >= median:
            break
        dropped.add(i)
        candidate = "\n".join(line for j, line in enumerate(lines) if j not in dropped)
        if fits(candidate):
            return candidate
    return "\n".join(line for j, line in enumerate(lines) if j not in dropped)


def truncate_to_fit(text: str, fits: Fits) -> str:
    """The longest prefix of ``text`` that fits (binary search on tokens), cut back to the
    last full line when that loses little."""
    total = count_tokens(text)
    lo, hi = 0, total
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(truncate_tokens(text, mid)):
            lo = mid
        else:
            hi = mid - 1
    cut = truncate_tokens(text, lo)
    newline = cut.rfind("\n")
    if newline > len(cut) * 0.8:
        cut = cut[:newline]
    return cut


def compress(text: str, fits: Fits, *, lossy: bool = True) -> str:
    """``text`` after as many of the module's steps as it takes to fit (possibly all);
    without ``lossy``, only the first two (nothing said is lost)."""
    if fits(text):
        return text
    for step in (squeeze_whitespace, drop_disfluencies):
        text = step(text)
        if fits(text):
            return text
    if not lossy:
        return text
    text = drop_short_lines(text, fits)
    if fits(text):
        return text
    return truncate_to_fit(text, fits)
