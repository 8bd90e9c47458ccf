"""What a provider's failure means: SDK, LangChain and transport exceptions mapped onto the
project's error hierarchy (retryable or not, Retry-After, authentication, bad request)."""

from __future__ import annotations

import asyncio
import email.utils
import time

import httpx
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

from minutes.errors import (
    AuthenticationFailed,
    BadRequest,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from minutes.llm.registry import ModelEntry


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
