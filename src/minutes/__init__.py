"""minutes: meeting intelligence. Transcripts in, grounded structured notes out.

import minutes
notes = minutes.summarize("meeting.vtt")
print(notes.tldr)

The names below load on first use (PEP 562), so ``import minutes`` and ``minutes --help`` do
not pull in LangChain, SQLAlchemy or a provider SDK. The error hierarchy is light and
imported at once.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from minutes.errors import (
    AllModelsFailed,
    AuthenticationFailed,
    BadRequest,
    BudgetExceeded,
    CircuitOpen,
    ConfigError,
    ContextTooLong,
    MinutesError,
    NoModelAvailable,
    NotesNotSaved,
    NotFound,
    OutputInvalid,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    StoreError,
    TranscriptError,
)

if TYPE_CHECKING:
    from minutes.llm.gateway import Gateway
    from minutes.notes import ActionItem, Decision, KeyPoint, MeetingNotes
    from minutes.render import to_markdown
    from minutes.runs.direct import asummarize, summarize

_LAZY = {
    "asummarize": "minutes.runs.direct",
    "summarize": "minutes.runs.direct",
    "Gateway": "minutes.llm.gateway",
    "ActionItem": "minutes.notes",
    "Decision": "minutes.notes",
    "KeyPoint": "minutes.notes",
    "MeetingNotes": "minutes.notes",
    "to_markdown": "minutes.render",
}

__all__ = [
    "ActionItem",
    "AllModelsFailed",
    "AuthenticationFailed",
    "BadRequest",
    "BudgetExceeded",
    "CircuitOpen",
    "ConfigError",
    "ContextTooLong",
    "Decision",
    "Gateway",
    "KeyPoint",
    "MeetingNotes",
    "MinutesError",
    "NoModelAvailable",
    "NotFound",
    "NotesNotSaved",
    "OutputInvalid",
    "ProviderError",
    "ProviderTimeout",
    "ProviderUnavailable",
    "RateLimited",
    "StoreError",
    "TranscriptError",
    "asummarize",
    "summarize",
    "to_markdown",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'minutes' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once loaded, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
