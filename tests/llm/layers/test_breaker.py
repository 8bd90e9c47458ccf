import asyncio
from decimal import Decimal

import pytest

from minutes.errors import (
    AuthenticationFailed,
    BadRequest,
    CircuitOpen,
    OutputInvalid,
    ProviderUnavailable,
)
from minutes.llm.calls import ChatMessage, LLMRequest, ModelCall, ModelReply, Usage
from minutes.llm.layers.breaker import Breaking, CircuitBreaker
from minutes.llm.registry import load_registry


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


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


# --- the half-open probe through the Breaking layer -----------------------------------------


def _call() -> ModelCall:
    entry = load_registry()["gpt-3.5-turbo"]
    request = LLMRequest(task="t", messages=[ChatMessage(role="user", content="hi")])
    return ModelCall(entry=entry, request=request, messages=list(request.messages))


def _half_open() -> tuple[CircuitBreaker, FakeClock]:
    clock = FakeClock()
    b = CircuitBreaker(threshold=1, cooldown_s=10, clock=clock)
    b.record_failure("openai", ProviderUnavailable("down"))
    clock.now += 10
    assert b.state("openai") == "half_open"
    return b, clock


def _raising(exc: BaseException):
    async def inner(call: ModelCall) -> ModelReply:
        raise exc

    return inner


async def _ok(call: ModelCall) -> ModelReply:
    return ModelReply(text="ok", usage=Usage(1, 1), cost_usd=Decimal(0), latency_ms=1.0)


async def test_probe_ok_closes_the_circuit() -> None:
    b, _ = _half_open()
    assert (await Breaking(_ok, b)(_call())).text == "ok"
    assert b.state("openai") == "closed"


async def test_probe_health_failure_reopens_for_a_new_cooldown() -> None:
    b, clock = _half_open()
    with pytest.raises(ProviderUnavailable):
        await Breaking(_raising(ProviderUnavailable("still down")), b)(_call())
    assert b.state("openai") == "open"
    with pytest.raises(CircuitOpen):
        await Breaking(_ok, b)(_call())
    clock.now += 10
    assert (await Breaking(_ok, b)(_call())).text == "ok"


@pytest.mark.parametrize("exc", [BadRequest("400"), OutputInvalid("junk"), ValueError("bug")])
async def test_probe_other_failure_hands_the_probe_back(exc: Exception) -> None:
    b, _ = _half_open()
    with pytest.raises(type(exc)):
        await Breaking(_raising(exc), b)(_call())
    # Not a health failure: the circuit stays half-open and the next call may probe.
    assert b.state("openai") == "half_open"
    assert (await Breaking(_ok, b)(_call())).text == "ok"
    assert b.state("openai") == "closed"


async def test_cancelled_probe_hands_the_probe_back() -> None:
    b, _ = _half_open()
    started = asyncio.Event()

    async def hang(call: ModelCall) -> ModelReply:
        started.set()
        await asyncio.sleep(3600)
        raise AssertionError("not reached")

    task = asyncio.create_task(Breaking(hang, b)(_call()))
    await started.wait()
    # While the probe is in flight, a second call is refused.
    with pytest.raises(CircuitOpen):
        await Breaking(_ok, b)(_call())
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert b.state("openai") == "half_open"
    assert (await Breaking(_ok, b)(_call())).text == "ok"


async def test_a_plain_call_failing_does_not_release_someone_elses_probe() -> None:
    b, _ = _half_open()
    assert b.acquire("openai") == "probe"
    b.record_failure("openai", BadRequest("400"), probe=False)
    assert b.acquire("openai") is None


def test_auth_failures_count_against_health() -> None:
    b = CircuitBreaker(threshold=1, cooldown_s=10, clock=FakeClock())
    b.record_failure("p", AuthenticationFailed("401"))
    assert b.state("p") == "open"
