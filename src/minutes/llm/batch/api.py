"""The providers' Batch APIs, through their SDKs: OpenAI's (a JSONL file of requests uploaded,
a batch created on it, polled, its output and error files downloaded) and Anthropic's Message
Batches (requests sent inline, polled, results streamed as JSON Lines).

Each request is built from a ``ModelCall`` in the provider's own request format, with the
same model id, messages, output ceiling, temperature and JSON mode as the live call would
send, so that a batch answer can stand in for a live one. Results come back by ``custom_id``.
Which meeting, stage and chunk a request serves is the caller's bookkeeping
(``minutes.llm.batch.queue`` and the store), not the provider's.

``find`` looks a batch up again when a process died after the provider accepted it but before
its id was recorded. OpenAI batches carry the metadata sent with them (the run and job ids), so
the listing names ours. Anthropic's Message Batches carry no metadata and their listing shows
no custom ids, only counts: a batch of the same size created since the job is a candidate, and
it is ours only when its results hold exactly the job's custom ids (digests of the run and the
request content, so no other batch can hold them all). Results exist only once a batch has
ended, so while such a candidate is still running the answer is "undecided": the caller waits
rather than sending the requests a second time.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from minutes.errors import (
    AuthenticationFailed,
    BadRequest,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
)
from minutes.llm.calls import ModelCall, Usage
from minutes.llm.providers.chat import CACHE_CONTROL
from minutes.llm.providers.endpoints import base_url, key_or_placeholder
from minutes.llm.providers.errors import classify_error
from minutes.llm.providers.tls import tls_context
from minutes.llm.registry import ModelEntry

BatchState = Literal["in_progress", "ended", "failed", "cancelled", "expired"]


class BatchItem(BaseModel):
    """One request of a batch: its id within the batch and the provider's request body."""

    custom_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    params: dict[str, Any]


class BatchStatus(BaseModel):
    state: BatchState
    done: int = 0
    failed: int = 0
    total: int = 0
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.state != "in_progress"


class ItemResult(BaseModel):
    """The outcome of one request: the reply text and usage, or an error the gateway knows."""

    custom_id: str
    ok: bool
    text: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    error_type: str | None = None
    error: str | None = None

    @property
    def usage(self) -> Usage:
        """The counts as ``minutes.llm.cost.price`` takes them (the live path's too)."""
        return Usage(
            self.input_tokens, self.output_tokens, self.cached_tokens, self.cache_write_tokens
        )


class Lookup(BaseModel):
    """What identifies a batch that may have been accepted without its id being recorded."""

    metadata: dict[str, str]  # as sent with it
    custom_ids: frozenset[str]
    sent_after: dt.datetime  # UTC; listings are newest first and stop at older batches


class Found(BaseModel):
    batch_id: str | None = None  # None: the provider holds no such batch
    input_file_id: str | None = None
    # A batch that may be it has not ended, so its requests cannot be read yet (Anthropic):
    # ask again later.
    undecided: bool = False


class BatchAPI(Protocol):
    async def submit(self, items: Sequence[BatchItem], metadata: dict[str, str]) -> Submitted: ...
    async def status(self, batch_id: str) -> BatchStatus: ...
    async def results(self, batch_id: str) -> list[ItemResult]: ...
    async def cancel(self, batch_id: str) -> None: ...
    async def find(self, lookup: Lookup) -> Found: ...


class Submitted(BaseModel):
    batch_id: str
    input_file_id: str | None = None


def has_batch_api(entry: ModelEntry) -> bool:
    """OpenAI's and Anthropic's own endpoints have one; keyless OpenAI-compatible servers
    (llama.cpp, vLLM) and the other providers do not."""
    return entry.kind == "chat" and entry.provider in ("openai", "anthropic") and entry.requires_key


def _max_tokens(call: ModelCall) -> int:
    e = call.entry
    return min(call.request.max_tokens or e.max_output_tokens, e.max_output_tokens)


def request_params(call: ModelCall) -> dict[str, Any]:
    """The provider's request body for ``call``, as the live path would send it."""
    entry, req = call.entry, call.request
    if entry.provider == "openai":
        params: dict[str, Any] = {
            "model": entry.model_id,
            "messages": [m.model_dump() for m in call.messages],
            "max_completion_tokens": _max_tokens(call),
            "temperature": req.temperature,
        }
        if call.json_schema is not None:
            params["response_format"] = {"type": "json_object"}
        return params
    if entry.provider == "anthropic":
        system = "\n\n".join(m.content for m in call.messages if m.role == "system")
        params = {
            "model": entry.model_id,
            "max_tokens": _max_tokens(call),
            "temperature": req.temperature,
            "messages": [m.model_dump() for m in call.messages if m.role != "system"],
        }
        if system:
            # Marked as the live path marks it (providers.chat.to_langchain_messages): the
            # shared instructions are read from Anthropic's prompt cache, batch or not.
            params["system"] = [{"type": "text", "text": system, "cache_control": CACHE_CONTROL}]
        return params
    raise ValueError(f"{entry.name}: provider {entry.provider!r} has no Batch API")


def error_for(status_code: int | None, message: str, entry: ModelEntry) -> ProviderError:
    """A per-request failure as the error a live call with that status would raise."""
    p, m = entry.provider, entry.name
    if status_code == 429:
        return RateLimited(message, provider=p, model=m)
    if status_code in (401, 403):
        return AuthenticationFailed(message, provider=p, model=m)
    if status_code is not None and 400 <= status_code < 500 and status_code not in (408, 409):
        return BadRequest(message, provider=p, model=m)
    return ProviderUnavailable(message, provider=p, model=m)


ERRORS: dict[str, type[ProviderError]] = {
    cls.__name__: cls
    for cls in (RateLimited, AuthenticationFailed, BadRequest, ProviderUnavailable, ProviderError)
}


def rebuild_error(error_type: str | None, message: str, entry: ModelEntry) -> ProviderError:
    """The stored failure of a request as the exception the gateway layers expect."""
    cls = ERRORS.get(error_type or "", ProviderUnavailable)
    return cls(message, provider=entry.provider, model=entry.name)


class OpenAIBatches:
    """OpenAI's Batch API: upload, create, retrieve, download output and error files, cancel."""

    def __init__(self, entry: ModelEntry, *, timeout: float) -> None:
        self.entry = entry
        self.timeout = timeout

    def _client(self) -> Any:
        import openai

        # A client per operation: each is closed before its event loop ends. The SDK's own
        # retries are on here (2): these control-plane requests are not billed.
        return openai.AsyncOpenAI(
            api_key=key_or_placeholder(self.entry),
            base_url=base_url(self.entry),
            timeout=self.timeout,
            max_retries=2,
            http_client=openai.DefaultAsyncHttpxClient(verify=tls_context()),
        )

    async def submit(self, items: Sequence[BatchItem], metadata: dict[str, str]) -> Submitted:
        lines = [
            json.dumps(
                {
                    "custom_id": i.custom_id,
                    "method": "POST",
                    "url": "/v1/chat/completions",
                    "body": i.params,
                },
                separators=(",", ":"),
            )
            for i in items
        ]
        payload = ("\n".join(lines) + "\n").encode("utf-8")
        async with self._client() as client:
            try:
                uploaded = await client.files.create(
                    file=("minutes-batch.jsonl", payload), purpose="batch"
                )
                batch = await client.batches.create(
                    input_file_id=uploaded.id,
                    endpoint="/v1/chat/completions",
                    completion_window="24h",
                    metadata=metadata,
                )
            except Exception as exc:
                raise classify_error(exc, self.entry) from exc
        return Submitted(batch_id=batch.id, input_file_id=uploaded.id)

    async def status(self, batch_id: str) -> BatchStatus:
        async with self._client() as client:
            try:
                batch = await client.batches.retrieve(batch_id)
            except Exception as exc:
                raise classify_error(exc, self.entry) from exc
        counts = batch.request_counts
        state: BatchState
        match batch.status:
            case "completed":
                state = "ended"
            case "failed":
                state = "failed"
            case "expired":
                state = "expired"
            case "cancelled":
                state = "cancelled"
            case _:  # validating, in_progress, finalizing, cancelling
                state = "in_progress"
        errors = batch.errors.data if batch.errors and batch.errors.data else []
        return BatchStatus(
            state=state,
            done=counts.completed if counts else 0,
            failed=counts.failed if counts else 0,
            total=counts.total if counts else 0,
            error="; ".join(e.message or "" for e in errors) or None,
        )

    async def results(self, batch_id: str) -> list[ItemResult]:
        async with self._client() as client:
            try:
                batch = await client.batches.retrieve(batch_id)
                texts = [
                    (await client.files.content(fid)).text
                    for fid in (batch.output_file_id, batch.error_file_id)
                    if fid
                ]
            except Exception as exc:
                raise classify_error(exc, self.entry) from exc
        out: list[ItemResult] = []
        for text in texts:
            for raw in text.splitlines():
                if raw.strip():
                    out.append(self._item(json.loads(raw)))
        return out

    def _item(self, line: dict[str, Any]) -> ItemResult:
        custom_id = str(line.get("custom_id"))
        response = line.get("response") or {}
        status = response.get("status_code")
        body = response.get("body") or {}
        if line.get("error") or status != 200:
            err = line.get("error") or body.get("error") or {}
            message = str(err.get("message") or f"batch request failed ({status})")
            exc = error_for(status, message, self.entry)
            return ItemResult(
                custom_id=custom_id, ok=False, error_type=type(exc).__name__, error=message
            )
        usage = body.get("usage") or {}
        details = usage.get("prompt_tokens_details") or {}
        message_body = (body.get("choices") or [{}])[0].get("message") or {}
        return ItemResult(
            custom_id=custom_id,
            ok=True,
            text=message_body.get("content") or "",
            input_tokens=int(usage.get("prompt_tokens") or 0),
            output_tokens=int(usage.get("completion_tokens") or 0),
            cached_tokens=int(details.get("cached_tokens") or 0),
            cache_write_tokens=int(details.get("cache_write_tokens") or 0),
        )

    async def cancel(self, batch_id: str) -> None:
        async with self._client() as client:
            try:
                await client.batches.cancel(batch_id)
            except Exception as exc:
                raise classify_error(exc, self.entry) from exc

    async def find(self, lookup: Lookup) -> Found:
        after = lookup.sent_after.replace(tzinfo=dt.UTC).timestamp()
        async with self._client() as client:
            try:
                async for batch in client.batches.list(limit=100):
                    if batch.created_at < after:
                        break  # newest first: the rest are older still
                    sent = batch.metadata or {}
                    if all(sent.get(k) == v for k, v in lookup.metadata.items()):
                        return Found(batch_id=batch.id, input_file_id=batch.input_file_id)
            except Exception as exc:
                raise classify_error(exc, self.entry) from exc
        return Found()


class AnthropicBatches:
    """Anthropic's Message Batches API: create, retrieve, results (JSON Lines), cancel."""

    def __init__(self, entry: ModelEntry, *, timeout: float) -> None:
        self.entry = entry
        self.timeout = timeout

    def _client(self) -> Any:
        import anthropic

        return anthropic.AsyncAnthropic(
            api_key=key_or_placeholder(self.entry),
            base_url=base_url(self.entry),
            timeout=self.timeout,
            max_retries=2,
            http_client=anthropic.DefaultAsyncHttpxClient(verify=tls_context()),
        )

    async def submit(self, items: Sequence[BatchItem], metadata: dict[str, str]) -> Submitted:
        # Message batches take no metadata: the store keeps what the requests belong to.
        async with self._client() as client:
            try:
                batch = await client.messages.batches.create(
                    requests=[{"custom_id": i.custom_id, "params": i.params} for i in items]
                )
            except Exception as exc:
                raise classify_error(exc, self.entry) from exc
        return Submitted(batch_id=batch.id)

    async def status(self, batch_id: str) -> BatchStatus:
        async with self._client() as client:
            try:
                batch = await client.messages.batches.retrieve(batch_id)
            except Exception as exc:
                raise classify_error(exc, self.entry) from exc
        c = batch.request_counts
        total = c.processing + c.succeeded + c.errored + c.canceled + c.expired
        return BatchStatus(
            state="ended" if batch.processing_status == "ended" else "in_progress",
            done=c.succeeded,
            failed=c.errored + c.canceled + c.expired,
            total=total,
        )

    async def results(self, batch_id: str) -> list[ItemResult]:
        out: list[ItemResult] = []
        async with self._client() as client:
            try:
                stream = await client.messages.batches.results(batch_id)
                async for item in stream:
                    out.append(self._item(item))
            except Exception as exc:
                raise classify_error(exc, self.entry) from exc
        return out

    def _item(self, item: Any) -> ItemResult:
        result = item.result
        if result.type == "succeeded":
            message = result.message
            usage = message.usage
            cached = usage.cache_read_input_tokens or 0
            written = usage.cache_creation_input_tokens or 0
            text = "".join(getattr(b, "text", "") for b in message.content)
            return ItemResult(
                custom_id=item.custom_id,
                ok=True,
                text=text,
                # Anthropic's input_tokens leaves out cache reads and writes; ours is the
                # whole prompt, as the live path (LangChain) reports it.
                input_tokens=usage.input_tokens + cached + written,
                output_tokens=usage.output_tokens,
                cached_tokens=cached,
                cache_write_tokens=written,
            )
        if result.type == "errored":
            err = result.error.error
            status = {
                "invalid_request_error": 400,
                "authentication_error": 401,
                "permission_error": 403,
                "not_found_error": 404,
                "rate_limit_error": 429,
            }.get(err.type)
            exc = error_for(status, err.message, self.entry)
            return ItemResult(
                custom_id=item.custom_id, ok=False, error_type=type(exc).__name__, error=err.message
            )
        # canceled / expired: nothing was billed; a retry may be sent again.
        return ItemResult(
            custom_id=item.custom_id,
            ok=False,
            error_type="ProviderUnavailable",
            error=f"batch request {result.type}",
        )

    async def cancel(self, batch_id: str) -> None:
        async with self._client() as client:
            try:
                await client.messages.batches.cancel(batch_id)
            except Exception as exc:
                raise classify_error(exc, self.entry) from exc

    async def find(self, lookup: Lookup) -> Found:
        after = lookup.sent_after.replace(tzinfo=dt.UTC)
        undecided = False
        async with self._client() as client:
            try:
                async for batch in client.messages.batches.list(limit=100):
                    if batch.created_at < after:
                        break  # newest first: the rest are older still
                    c = batch.request_counts
                    size = c.processing + c.succeeded + c.errored + c.canceled + c.expired
                    if size != len(lookup.custom_ids):
                        continue
                    if batch.processing_status != "ended":
                        undecided = True  # same size, still running: cannot tell yet
                        continue
                    stream = await client.messages.batches.results(batch.id)
                    ids = {item.custom_id async for item in stream}
                    if ids == lookup.custom_ids:
                        return Found(batch_id=batch.id)
            except Exception as exc:
                raise classify_error(exc, self.entry) from exc
        return Found(undecided=undecided)


def batch_api(entry: ModelEntry, *, timeout: float) -> BatchAPI:
    if entry.provider == "openai":
        return OpenAIBatches(entry, timeout=timeout)
    if entry.provider == "anthropic":
        return AnthropicBatches(entry, timeout=timeout)
    raise ValueError(f"{entry.name}: provider {entry.provider!r} has no Batch API")
