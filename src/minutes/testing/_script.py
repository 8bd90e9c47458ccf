"""What the fake server answers: replies, faults, recorded requests and the thread-safe script.

The script is edited from the test's thread while the server's event loop thread reads it, so every
access to the queues and the request log goes through one lock.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

Api: TypeAlias = Literal[
    "openai",
    "openai-embeddings",
    "anthropic",
    "anthropic-count-tokens",
    "ollama",
    "ollama-embeddings",
    "openai-batch",
    "anthropic-batch",
]


@dataclass(frozen=True, slots=True)
class Reply:
    """A successful completion.

    ``input_tokens`` is the *whole* prompt, cached tokens included (OpenAI's ``prompt_tokens``
    meaning). The Anthropic wire format reports ``input_tokens`` without the cached and
    cache-creation tokens, so the server subtracts them there; LangChain adds them back, so
    ``usage_metadata["input_tokens"]`` equals this number for every provider.
    ``None`` counts the request's message text (input) or the reply content (output) with
    ``minutes.tokens.count_tokens``.
    """

    content: str
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int = 0
    # Anthropic only (cache_creation_input_tokens); priced differently from plain input there.
    cache_creation_tokens: int = 0
    # OpenAI vocabulary ("stop", "length", "tool_calls", "content_filter"); each provider's
    # renderer maps it to its own ("end_turn"/"max_tokens" for Anthropic, done_reason for Ollama).
    finish_reason: str = "stop"

    def __post_init__(self) -> None:
        for name in ("input_tokens", "output_tokens", "cached_tokens", "cache_creation_tokens"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"Reply.{name} must be >= 0, got {value}")


_EXTRA_PHRASES = {529: "Overloaded"}

FaultKind: TypeAlias = Literal["status", "stall", "malformed", "reset"]


@dataclass(frozen=True, slots=True)
class Fault:
    """A failure to inject. Build with the class methods rather than the constructor."""

    kind: FaultKind
    code: int = 0
    message: str | None = None
    retry_after: float | None = None
    seconds: float = 0.0
    # For a stall: what the request answers once the stall is over (None: the default reply).
    then: str | Reply | Fault | None = None

    @classmethod
    def rate_limit(cls, retry_after: float | None = None, message: str | None = None) -> Fault:
        """429 with ``Retry-After`` (and ``retry-after-ms`` on the OpenAI API) when given."""
        return cls.status(429, message, retry_after=retry_after)

    @classmethod
    def status(
        cls, code: int, message: str | None = None, *, retry_after: float | None = None
    ) -> Fault:
        """An HTTP error with the provider's own error body, so its SDK raises its own class."""
        if not 400 <= code <= 599:
            raise ValueError(f"Fault.status needs a 4xx or 5xx code, got {code}")
        if retry_after is not None and retry_after < 0:
            raise ValueError("retry_after must be >= 0")
        return cls("status", code=code, message=message, retry_after=retry_after)

    @classmethod
    def stall(cls, seconds: float, then: str | Reply | Fault | None = None) -> Fault:
        """Wait ``seconds`` (without blocking other requests) before answering ``then``."""
        if seconds < 0:
            raise ValueError("stall seconds must be >= 0")
        return cls("stall", seconds=seconds, then=then)

    @classmethod
    def malformed(cls) -> Fault:
        """200 with a truncated body (or stream) that is not valid JSON."""
        return cls("malformed")

    @classmethod
    def reset(cls) -> Fault:
        """200 with the headers and part of the body, then the connection is reset (TCP RST):
        a provider or proxy that dies mid-response. The client sees a broken read, not JSON."""
        return cls("reset")

    @property
    def error_message(self) -> str:
        if self.message:
            return self.message
        try:
            phrase = HTTPStatus(self.code).phrase
        except ValueError:  # not in http.HTTPStatus, e.g. Anthropic's 529
            phrase = _EXTRA_PHRASES.get(self.code, "Error")
        return f"Fake server: {phrase} ({self.code})"


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the server received it; every attempt is recorded, failed ones included."""

    api: Api
    path: str
    model: str | None
    # {"role", "content"} with content flattened to text. Anthropic's top-level ``system`` comes
    # first as a "system" message so tests read system prompts the same way for every provider.
    messages: list[dict[str, str]]
    body: dict[str, Any]
    headers: dict[str, str]
    received_at: float = field(default_factory=time.monotonic)
    # The texts to embed (embedding APIs only; token-id inputs are decoded back to text).
    inputs: list[str] = field(default_factory=list)
    stream: bool = False

    @property
    def prompt_text(self) -> str:
        """All message contents, one per line; what the default input token count is taken of."""
        return "\n".join(m["content"] for m in self.messages)


Outcome: TypeAlias = str | Reply | Fault
Responder: TypeAlias = Callable[[RecordedRequest], Outcome]
ScriptItem: TypeAlias = str | Reply | Fault | Responder


def default_responder(_request: RecordedRequest) -> Outcome:
    return "ok"


class Script:
    """Per-model reply queues, the any-model queue, the default reply and the request log."""

    def __init__(self) -> None:
        # RLock: a Responder may call back into the server (e.g. srv.calls()) while we hold it.
        self._lock = threading.RLock()
        self._queues: dict[str | None, deque[ScriptItem]] = {}
        self._requests: list[RecordedRequest] = []
        self._default: Responder = default_responder

    def add(self, model: str | None, items: tuple[ScriptItem, ...]) -> None:
        for item in items:
            if not isinstance(item, str | Reply | Fault) and not callable(item):
                raise TypeError(f"script items are str, Reply, Fault or a callable, got {item!r}")
        with self._lock:
            self._queues.setdefault(model, deque()).extend(items)

    @property
    def default(self) -> Responder:
        with self._lock:
            return self._default

    @default.setter
    def default(self, responder: Responder | str | Reply | Fault | None) -> None:
        if responder is None:
            fn: Responder = default_responder
        elif isinstance(responder, str | Reply | Fault):
            fixed: Outcome = responder

            def fn(_request: RecordedRequest) -> Outcome:
                return fixed

        else:
            fn = responder
        with self._lock:
            self._default = fn

    def record(self, request: RecordedRequest, *, any_model: bool = True) -> ScriptItem | None:
        """Log the request and pop what answers it: its model's queue, then the any-model queue.

        Returns None when none has an item (the caller then asks the default responder, outside
        the lock). Embedding requests pass ``any_model=False``: the any-model queue holds chat
        replies, and an embedding call in between must not eat them.
        """
        with self._lock:
            self._requests.append(request)
            for key in (request.model, None) if any_model else (request.model,):
                queue = self._queues.get(key)
                if queue:
                    return queue.popleft()
            return None

    def log(self, request: RecordedRequest) -> None:
        """Log a request that no script item answers (e.g. Anthropic's count_tokens)."""
        with self._lock:
            self._requests.append(request)

    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def calls(self, model: str | None = None, api: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for r in self._requests
                if (model is None or r.model == model) and (api is None or r.api == api)
            )

    def pending(self) -> int:
        with self._lock:
            return sum(len(q) for q in self._queues.values())

    def scripted_models(self) -> list[str]:
        with self._lock:
            return [m for m in self._queues if m is not None]

    def reset(self) -> None:
        with self._lock:
            self._queues.clear()
            self._requests.clear()
            self._default = default_responder


# --- the JSON script file of `python -m minutes.testing --script FILE.json` -------------------


class _ReplySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str
    input_tokens: int | None = Field(default=None, ge=0)
    output_tokens: int | None = Field(default=None, ge=0)
    cached_tokens: int = Field(default=0, ge=0)
    cache_creation_tokens: int = Field(default=0, ge=0)
    finish_reason: str = "stop"


class _FaultSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fault: Literal["rate_limit", "status", "stall", "malformed", "reset"]
    code: int | None = None
    message: str | None = None
    retry_after: float | None = None
    seconds: float | None = None


_ITEMS = TypeAdapter(dict[str, list[str | _FaultSpec | _ReplySpec]])


def _to_item(spec: str | _FaultSpec | _ReplySpec) -> str | Reply | Fault:
    if isinstance(spec, str):
        return spec
    if isinstance(spec, _ReplySpec):
        return Reply(**spec.model_dump())
    match spec.fault:
        case "rate_limit":
            return Fault.rate_limit(retry_after=spec.retry_after, message=spec.message)
        case "status":
            if spec.code is None:
                raise ValueError('a {"fault": "status"} item needs a "code"')
            return Fault.status(spec.code, spec.message, retry_after=spec.retry_after)
        case "stall":
            if spec.seconds is None:
                raise ValueError('a {"fault": "stall"} item needs "seconds"')
            return Fault.stall(spec.seconds)
        case "malformed":
            return Fault.malformed()
        case "reset":
            return Fault.reset()


def parse_script(data: Mapping[str, Any]) -> dict[str | None, list[str | Reply | Fault]]:
    """Validate a JSON script (model -> items; the key ``"*"`` is the any-model queue)."""
    validated = _ITEMS.validate_python(data)
    return {
        (None if model == "*" else model): [_to_item(s) for s in specs]
        for model, specs in validated.items()
    }


def load_script(path: str | Path) -> dict[str | None, list[str | Reply | Fault]]:
    """Read and validate a JSON script file; see :func:`parse_script`."""
    return parse_script(json.loads(Path(path).read_text(encoding="utf-8")))
