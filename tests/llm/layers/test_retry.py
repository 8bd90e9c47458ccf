import pytest

from minutes.config import ResilienceSettings
from minutes.errors import (
    AuthenticationFailed,
    BadRequest,
    OutputInvalid,
    ProviderUnavailable,
    RateLimited,
)
from minutes.llm.layers.retry import call_with_retry


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def flaky(*errors: Exception):
    calls = {"n": 0}

    async def fn() -> str:
        i = calls["n"]
        calls["n"] += 1
        if i < len(errors):
            raise errors[i]
        return "ok"

    return fn, calls


SETTINGS = ResilienceSettings(max_attempts=4, backoff_initial_s=0.5, backoff_max_s=8)


async def test_retries_transient_errors_with_growing_backoff() -> None:
    sleeps = Sleeps()
    fn, calls = flaky(
        ProviderUnavailable("500"), ProviderUnavailable("503"), ProviderUnavailable("x")
    )
    assert await call_with_retry(fn, settings=SETTINGS, sleep=sleeps) == "ok"
    assert calls["n"] == 4
    assert len(sleeps.waits) == 3
    # exponential with jitter of at most initial/2: 0.5, 1, 2 (+ jitter)
    for wait, base in zip(sleeps.waits, (0.5, 1.0, 2.0), strict=True):
        assert base <= wait <= base + 0.25


async def test_retry_after_is_honoured_exactly() -> None:
    sleeps = Sleeps()
    fn, _ = flaky(RateLimited("429", retry_after=3.5))
    await call_with_retry(fn, settings=SETTINGS, sleep=sleeps)
    assert sleeps.waits == [3.5]


async def test_retry_after_longer_than_we_wait_gives_up_at_once() -> None:
    sleeps = Sleeps()
    fn, calls = flaky(RateLimited("429", retry_after=600))
    with pytest.raises(RateLimited):
        await call_with_retry(fn, settings=SETTINGS, sleep=sleeps)
    assert calls["n"] == 1 and sleeps.waits == []


@pytest.mark.parametrize(
    "error", [AuthenticationFailed("401"), BadRequest("400"), OutputInvalid("x")]
)
async def test_no_retry_on_auth_bad_request_or_invalid_output(error: Exception) -> None:
    sleeps = Sleeps()
    fn, calls = flaky(error)
    with pytest.raises(type(error)):
        await call_with_retry(fn, settings=SETTINGS, sleep=sleeps)
    assert calls["n"] == 1


async def test_attempts_are_bounded_and_the_last_error_surfaces() -> None:
    sleeps = Sleeps()
    fn, calls = flaky(*[ProviderUnavailable(f"fail {i}") for i in range(10)])
    with pytest.raises(ProviderUnavailable, match="fail 3"):
        await call_with_retry(fn, settings=SETTINGS, sleep=sleeps)
    assert calls["n"] == 4
