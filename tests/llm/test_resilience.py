import pytest

from minutes.config import ResilienceSettings
from minutes.errors import (
    AuthenticationFailed,
    BadRequest,
    OutputInvalid,
    ProviderUnavailable,
    RateLimited,
)
from minutes.llm.resilience import CircuitBreaker, call_with_retry


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


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


def test_breaker_opens_after_threshold_then_half_opens_after_cooldown() -> None:
    clock = FakeClock()
    b = CircuitBreaker(threshold=3, cooldown_s=30, clock=clock)
    for _ in range(2):
        b.record_failure("openai", ProviderUnavailable("x"))
    assert b.allow("openai")
    b.record_failure("openai", ProviderUnavailable("x"))
    assert b.state("openai") == "open" and not b.allow("openai")
    assert b.allow("anthropic")  # per provider
    clock.now += 29.9
    assert not b.allow("openai")
    clock.now += 0.2
    assert b.state("openai") == "half_open"
    assert b.allow("openai")  # one probe
    assert not b.allow("openai")  # a second concurrent probe is refused
    b.record_success("openai")
    assert b.state("openai") == "closed" and b.allow("openai")


def test_failed_probe_reopens_for_a_new_cooldown() -> None:
    clock = FakeClock()
    b = CircuitBreaker(threshold=1, cooldown_s=10, clock=clock)
    b.record_failure("p", ProviderUnavailable("x"))
    clock.now += 10
    assert b.allow("p")
    b.record_failure("p", ProviderUnavailable("x"))
    assert b.state("p") == "open"
    clock.now += 9
    assert not b.allow("p")


def test_success_resets_the_count_and_bad_requests_do_not_count() -> None:
    b = CircuitBreaker(threshold=2, cooldown_s=10, clock=FakeClock())
    b.record_failure("p", ProviderUnavailable("x"))
    b.record_success("p")
    b.record_failure("p", ProviderUnavailable("x"))
    assert b.state("p") == "closed"
    b.record_failure("p", BadRequest("400"))
    b.record_failure("p", OutputInvalid("junk"))
    assert b.state("p") == "closed"
