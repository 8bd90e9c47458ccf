"""The typed error hierarchy: every error a user can see is one of these.

    MinutesError
    ├── ConfigError            bad settings or registry file
    ├── TranscriptError        a transcript that cannot be read
    ├── NoModelAvailable       the router found nothing it may call
    ├── ProviderError          one provider call failed
    │   ├── RateLimited        429 (carries Retry-After when the provider sent one)
    │   ├── ProviderUnavailable  5xx, connection errors, timeouts
    │   │   └── ProviderTimeout
    │   ├── AuthenticationFailed  401/403: never retried
    │   ├── BadRequest         400/404/422: never retried
    │   └── CircuitOpen        the provider's breaker is open; skipped without a call
    ├── OutputInvalid          structured output still invalid after repair and re-ask
    ├── ContextTooLong         no candidate model's window fits the prompt
    ├── AllModelsFailed        every model of the fallback chain failed
    ├── BudgetExceeded         a call would cross the configured budget
    └── StoreError             the database cannot be opened, migrated or queried

The CLI turns any of these into one line on stderr and the class's ``exit_code``.
"""

from __future__ import annotations

from dataclasses import dataclass


class MinutesError(Exception):
    """Base of every error minutes raises on purpose."""

    exit_code: int = 1


class ConfigError(MinutesError):
    exit_code = 2


class TranscriptError(MinutesError):
    exit_code = 3


class NoModelAvailable(MinutesError):
    exit_code = 4


class ProviderError(MinutesError):
    """One provider call failed; ``retryable`` says whether the same model may be tried again."""

    exit_code = 5
    retryable: bool = False

    def __init__(self, message: str, *, provider: str = "", model: str = "") -> None:
        super().__init__(message)
        self.provider = provider
        self.model = model


class RateLimited(ProviderError):
    retryable = True

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        model: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, provider=provider, model=model)
        self.retry_after = retry_after


class ProviderUnavailable(ProviderError):
    retryable = True


class ProviderTimeout(ProviderUnavailable):
    pass


class AuthenticationFailed(ProviderError):
    retryable = False


class BadRequest(ProviderError):
    retryable = False


class CircuitOpen(ProviderError):
    retryable = False


class OutputInvalid(MinutesError):
    exit_code = 6

    def __init__(self, message: str, *, raw: str = "", model: str = "", provider: str = "") -> None:
        super().__init__(message)
        self.raw = raw
        self.model = model
        self.provider = provider


class ContextTooLong(MinutesError):
    exit_code = 4


@dataclass(frozen=True)
class Attempt:
    """One model tried by the fallback chain, and how it ended."""

    model: str
    provider: str
    error_type: str
    message: str

    def __str__(self) -> str:
        return f"{self.model} ({self.provider}): {self.error_type}: {self.message}"


class AllModelsFailed(MinutesError):
    exit_code = 7

    def __init__(self, attempts: list[Attempt]) -> None:
        self.attempts = list(attempts)
        lines = "; ".join(str(a) for a in self.attempts) or "no model was tried"
        super().__init__(f"all {len(self.attempts)} model(s) failed: {lines}")


class BudgetExceeded(MinutesError):
    """``fatal``: the user asked to stop rather than degrade (``budget.on_exceed = "fail"``),
    so a stage must not fall back to the extractive engine on it."""

    exit_code = 8

    def __init__(self, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.fatal = fatal


class StoreError(MinutesError):
    exit_code = 9
