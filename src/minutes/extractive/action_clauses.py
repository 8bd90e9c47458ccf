"""Cutting a sentence into the clauses that may each hold a commitment or a request.

"I'll do the battlecard, and Rachel, could you write the demo script?" is two items, one per
clause. The cut comes before any shape is tried, and only on the boundaries of a second
commitment, so it lives apart from the shapes that are then looked for in each clause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from minutes.extractive.sentences import Sentence

# Where one sentence holds two commitments: "…, and Rachel, could you…", "…and I'll…",
# "… and Sam can add…".
_CLAUSE_SPLIT = re.compile(
    r",\s*(?:and|but|so|then)\s+(?:(?:in the meantime|meanwhile|also|after that|then),?\s+)?"
    r"(?=(?:I|I'll|I'm|we|we'll|let's|let me|can|could|would|will|please)\b|[A-Z][a-z]+,)"
    r"|\s+and\s+(?=(?:I(?:'ll| will| can|'m going to)|[A-Z][a-z]+ (?:will|'ll|can|is going to))"
    r"\b)"
    # "…, the User Interface Designer will…", "… and the Marketing Expert is going to…": a
    # second subject named by its role or name, then its modal.
    r"|(?:,\s*(?:and\s+)?|\s+and\s+)(?=(?:the\s+)?(?:[A-Z][a-z]+\s+){0,2}[A-Z][a-z]+\s+"
    r"(?:will|'ll|is going to|is gonna|are going to|are gonna|needs to|has to)\b)"
    r"|;\s+"
)


@dataclass(frozen=True)
class Clause:
    sentence: Sentence
    text: str
    is_question: bool


def split_clauses(s: Sentence) -> list[Clause]:
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
        Clause(s, part.strip(), s.is_question and i == len(parts) - 1)
        for i, part in enumerate(parts)
    ]
