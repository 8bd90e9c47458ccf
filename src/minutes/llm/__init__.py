"""The LLM gateway: one call interface, every concern a layer around it.

- ``calls``: the interface (``ModelCall -> ModelReply``) and the public request/result types;
- ``registry`` + ``models.toml``: the models as data; ``router``: which models, in what order;
- ``layers/``: caches, budget, structured output, retry, breaker, scheduler, ledger, fallback;
- ``providers/``: LangChain chat models and embeddings, the local GGUF model, error mapping;
- ``batch/``: the providers' Batch APIs and the queue that parks calls for them;
- ``gateway``: builds the stack once and offers the public calls.

The public names load on first use, so that importing one layer does not load them all.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from minutes.llm.calls import ChatMessage, LLMRequest, LLMResult
    from minutes.llm.gateway import Gateway

_LAZY = {
    "ChatMessage": "minutes.llm.calls",
    "LLMRequest": "minutes.llm.calls",
    "LLMResult": "minutes.llm.calls",
    "Gateway": "minutes.llm.gateway",
}

__all__ = ["ChatMessage", "Gateway", "LLMRequest", "LLMResult"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'minutes.llm' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
