"""What the three wire formats share: server state, outcome resolution, usage, fake embeddings."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import logging
import math
import re
import socket
import struct
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse

from minutes.testing._batch_state import BatchState
from minutes.testing._script import Fault, Outcome, RecordedRequest, Reply, Script, ScriptItem
from minutes.tokens import count_tokens, encoding

log = logging.getLogger("minutes.testing")

# A stall whose `then` is None answers with the default reply; a default reply that stalls again
# would loop for ever, so nesting is capped.
_MAX_NESTED_STALLS = 8


@dataclass
class ServerState:
    """Everything the route handlers share. Lives as long as the FakeLLMServer object."""

    script: Script = field(default_factory=Script)
    embedding_dim: int = 64
    models: list[str] = field(default_factory=list)
    # Set when the server stops, so stalled requests end at once instead of holding shutdown up.
    # Created inside the server's event loop (see FakeLLMServer._serve).
    closing: asyncio.Event | None = None
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    # Load behaviour (see FakeLLMServer.latency / overload): every chat request waits
    # ``latency_s``; above ``max_in_flight`` concurrent chat requests the extra ones get a 429.
    latency_s: float = 0.0
    max_in_flight: int | None = None
    overload_retry_after: float | None = None
    in_flight: int = 0
    # The batch endpoints' files, jobs and failure rules (see _batches.py).
    batches: BatchState = field(default_factory=lambda: _batch_state())
    peak_in_flight: int = 0
    overloaded: int = 0
    # Open connections by the client's (host, port), kept by the server's protocol class, so
    # that Fault.reset() can reach the socket under a request (ASGI does not expose it).
    connections: dict[tuple[str, int], asyncio.Transport] = field(default_factory=dict)

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}"

    def known_models(self) -> list[str]:
        """Configured models, then scripted ones, without repeats (for /v1/models, /api/tags)."""
        return list(dict.fromkeys([*self.models, *self.script.scripted_models()]))

    async def sleep(self, seconds: float) -> None:
        if self.closing is None:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.closing.wait(), timeout=seconds)


def _batch_state() -> BatchState:
    return BatchState()


@contextlib.asynccontextmanager
async def admitted(state: ServerState) -> AsyncIterator[bool]:
    """Count a chat request in flight for as long as its handler runs; False: over
    ``max_in_flight``, answer 429. Admitted requests first wait ``latency_s``."""
    state.in_flight += 1
    state.peak_in_flight = max(state.peak_in_flight, state.in_flight)
    try:
        if state.max_in_flight is not None and state.in_flight > state.max_in_flight:
            state.overloaded += 1
            yield False
            return
        if state.latency_s > 0:
            await state.sleep(state.latency_s)
        yield True
    finally:
        state.in_flight -= 1


class ResponderError(Exception):
    """A scripted callable raised; the handler answers a provider-shaped 500 that says so."""


def _call(item: ScriptItem, request: RecordedRequest) -> Outcome:
    if isinstance(item, str | Reply | Fault):
        return item
    try:
        return item(request)
    except Exception as exc:
        log.exception("fake LLM server: a scripted responder raised")
        raise ResponderError(f"scripted responder raised {type(exc).__name__}: {exc}") from exc


async def resolve_chat(state: ServerState, request: RecordedRequest) -> Reply | Fault:
    """Record a chat request and work out its answer: a Reply, or a non-stall Fault."""
    outcome = await _resolve(state, request, embeddings=False)
    if outcome is None:  # unreachable: chat always falls back to the default reply
        raise ResponderError("no reply")
    return outcome


async def resolve_embeddings(state: ServerState, request: RecordedRequest) -> Reply | Fault | None:
    """Record an embedding request; None (nothing scripted for its model) = answer normally."""
    return await _resolve(state, request, embeddings=True)


async def _resolve(
    state: ServerState, request: RecordedRequest, *, embeddings: bool
) -> Reply | Fault | None:
    """Record the request and work out its answer: a Reply, or a non-stall Fault.

    Stalls are served here (an async sleep, so other requests go on). Embedding requests only
    read their own model's queue and never the default reply: None means "answer normally".
    """
    item = state.script.record(request, any_model=not embeddings)
    if item is None:
        if embeddings:
            return None
        item = state.script.default
    outcome = _call(item, request)
    for _ in range(_MAX_NESTED_STALLS):
        if not (isinstance(outcome, Fault) and outcome.kind == "stall"):
            break
        await state.sleep(outcome.seconds)
        if outcome.then is not None:
            outcome = outcome.then
        elif embeddings:
            return None
        else:
            outcome = _call(state.script.default, request)
    else:
        raise ResponderError("too many nested stalls (a default reply that stalls again?)")
    return Reply(outcome) if isinstance(outcome, str) else outcome


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one reply. ``input_tokens`` includes the cached and cache-write tokens."""

    input_tokens: int
    output_tokens: int
    cached_tokens: int
    cache_creation_tokens: int

    @classmethod
    def of(cls, reply: Reply, request: RecordedRequest) -> Usage:
        input_tokens = (
            reply.input_tokens
            if reply.input_tokens is not None
            else count_tokens(request.prompt_text)
        )
        output_tokens = (
            reply.output_tokens if reply.output_tokens is not None else count_tokens(reply.content)
        )
        return cls(input_tokens, output_tokens, reply.cached_tokens, reply.cache_creation_tokens)

    @property
    def uncached_input_tokens(self) -> int:
        # Clamped: a Reply may give cached_tokens larger than a default (counted) input.
        return max(0, self.input_tokens - self.cached_tokens - self.cache_creation_tokens)


# --- connection reset mid-body (Fault.reset) -----------------------------------------------

# Long enough for the client to have read the headers and the first part of the body, so
# that the reset lands while it reads the body, not before the response started.
_RESET_AFTER_S = 0.05


def reset_midway(
    state: ServerState, request: Request, text: str, media_type: str
) -> StreamingResponse:
    """A 200 whose headers announce all of ``text`` but whose body stops halfway, then a TCP
    reset: SO_LINGER 0 makes the close send RST instead of FIN, as a crashed peer would."""
    client = request.client
    peer = (client.host, client.port) if client is not None else None
    data = text.encode()

    async def body() -> AsyncIterator[bytes]:
        yield data[: max(1, len(data) // 2)]
        await state.sleep(_RESET_AFTER_S)
        transport = state.connections.get(peer) if peer is not None else None
        if transport is None:  # not served by FakeLLMServer's protocol: nothing to reset
            log.warning("fake LLM server: no connection to reset for %s", peer)
            return
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
        # Let the protocol see the connection lost, so the rest of the response is dropped
        # rather than written to a closed transport.
        await asyncio.sleep(0)

    return StreamingResponse(
        body(), media_type=media_type, headers={"content-length": str(len(data))}
    )


# --- request reading ---------------------------------------------------------------------------


async def read_json_object(request: Request) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is not one (the caller answers 400)."""
    try:
        body = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


def header_dict(request: Request) -> dict[str, str]:
    return {k.lower(): v for k, v in request.headers.items()}


def flatten_content(content: Any) -> str:
    """Message content as plain text: a string, or the text of a list of content blocks."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts: list[str] = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, dict):
                if isinstance(block.get("text"), str):
                    parts.append(block["text"])
                elif block.get("type") == "tool_result":
                    parts.append(flatten_content(block.get("content")))
                elif block.get("type") == "tool_use":
                    parts.append(json.dumps(block.get("input"), sort_keys=True))
        return "\n".join(p for p in parts if p)
    return json.dumps(content, sort_keys=True)


def simple_messages(raw: Any) -> list[dict[str, str]]:
    if not isinstance(raw, list):
        return []
    return [
        {"role": str(m.get("role", "")), "content": flatten_content(m.get("content"))}
        for m in raw
        if isinstance(m, dict)
    ]


def embedding_inputs(raw: Any) -> list[str]:
    """OpenAI's ``input``: a string, strings, token ids or lists of token ids (LangChain's
    OpenAIEmbeddings sends token ids by default); ids are decoded back to text so the same text
    gets the same vector however it was sent."""
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list):
        if raw and all(isinstance(t, int) for t in raw):
            return [_decode_ids(raw)]
        out: list[str] = []
        for item in raw:
            if isinstance(item, str):
                out.append(item)
            elif isinstance(item, list):
                out.append(_decode_ids(item))
        return out
    return []


def _decode_ids(ids: list[Any]) -> str:
    try:
        return encoding().decode([int(i) for i in ids])
    except Exception:
        return " ".join(map(str, ids))


# --- rendering helpers -------------------------------------------------------------------------


def split_for_stream(text: str) -> list[str]:
    """Word-sized pieces (whitespace kept) so clients really accumulate several deltas."""
    return re.findall(r"\S+\s*|\s+", text) or [""]


def truncated(text: str) -> str:
    """Cut a JSON text in half: never valid JSON, for Fault.malformed()."""
    return text[: max(1, len(text) // 2)]


def seconds_header(seconds: float) -> str:
    # "1.5" rather than "1.500000"; both SDKs parse float seconds in Retry-After.
    return f"{seconds:g}"


def now_rfc3339() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def forced_json_object(content: str) -> dict[str, Any] | None:
    """The content as a JSON object when it is one (tool-call arguments), else None."""
    try:
        value = json.loads(content)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def fake_embedding(text: str, dim: int = 64) -> list[float]:
    """A deterministic, L2-normalised vector for ``text``.

    Feature hashing of the lower-cased words: the same text always gives the same vector and
    texts that share words point the same way (cosine near 1 for near-duplicates, near 0 for
    unrelated texts), so a semantic cache can be tested without a model. Word order is ignored.
    """
    if dim < 1:
        raise ValueError("embedding dimension must be >= 1")
    features = re.findall(r"\w+", text.lower()) or [text]
    vector = [0.0] * dim
    for feature in features:
        digest = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "big")
        vector[digest % dim] += 1.0 if (digest >> 40) & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector))
    if norm == 0.0:  # words that cancelled out exactly: fall back to one bucket of the text
        digest = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
        vector[digest % dim] = 1.0
        norm = 1.0
    return [v / norm for v in vector]
