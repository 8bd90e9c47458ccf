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
    ├── StoreError             the database cannot be opened, migrated or queried
    │   └── NotesNotSaved      the notes were made but could not be stored (they ride along)
    └── NotFound               no stored meeting, action item or batch run matches the id given

The CLI turns any of these into one line on stderr and the class's ``exit_code``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self


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
    """One model tried by the fallback chain, and how it ended (a summary of one error)."""

    model: str
    provider: str
    error_type: str
    message: str

    def __str__(self) -> str:
        return f"{self.model} ({self.provider}): {self.error_type}: {self.message}"


class AllModelsFailed(MinutesError, ExceptionGroup):
    """Every model of the fallback chain failed. An exception group: ``exceptions`` are the
    real errors in the order the models were tried (``except*`` can pick them out), and
    ``attempts`` summarises them (model, provider, error type, message)."""

    exit_code = 7

    def __new__(cls, errors: Sequence[Exception]) -> Self:
        if not errors:
            raise ValueError("AllModelsFailed needs the errors of the models that were tried")
        return super().__new__(cls, _summary(errors), list(errors))

    def __init__(self, errors: Sequence[Exception]) -> None:
        super().__init__(_summary(errors), list(errors))

    def derive(self, excs: Sequence[Exception]) -> AllModelsFailed:  # type: ignore[override]
        return AllModelsFailed(excs)

    @property
    def attempts(self) -> list[Attempt]:
        return [_attempt(e) for e in self.exceptions]

    def __str__(self) -> str:
        return self.message


def _attempt(exc: BaseException) -> Attempt:
    return Attempt(
        str(getattr(exc, "model", "") or "?"),
        str(getattr(exc, "provider", "") or "?"),
        type(exc).__name__,
        str(exc),
    )


def _summary(errors: Sequence[BaseException]) -> str:
    lines = "; ".join(str(_attempt(e)) for e in errors)
    return f"all {len(errors)} model(s) failed: {lines}"


class BudgetExceeded(MinutesError):
    """``fatal``: the user asked to stop rather than degrade (``budget.on_exceed = "fail"``),
    so a stage must not fall back to the extractive engine on it."""

    exit_code = 8

    def __init__(self, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.fatal = fatal


class StoreError(MinutesError):
    exit_code = 9


class NotesNotSaved(StoreError):
    """The notes were made but could not be stored. ``notes`` carries them, so that the
    caller can still hand them to the user rather than lose the work (and what it cost)."""

    def __init__(self, message: str, *, notes: Any) -> None:
        super().__init__(message)
        self.notes = notes


class NotFound(MinutesError):
    """What the user named (a meeting, an action item, a batch run, by id or prefix) matches
    no stored record, or a prefix matches several. Its own code, so that a script can tell
    "no such meeting" from a database that cannot be opened (``StoreError``)."""

    exit_code = 10
