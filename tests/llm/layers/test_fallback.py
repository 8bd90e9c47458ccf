from decimal import Decimal

import pytest

from minutes.errors import AllModelsFailed, BudgetExceeded, OutputInvalid, ProviderUnavailable
from minutes.llm.calls import (
    ChatMessage,
    LLMRequest,
    ModelCall,
    ModelReply,
    Usage,
    attach_records,
    records_of,
)
from minutes.llm.layers.fallback import Fallback
from minutes.llm.registry import load_registry

REG = load_registry()


def _call(*names: str) -> ModelCall:
    request = LLMRequest(task="t", messages=[ChatMessage(role="user", content="hi")])
    first, *rest = (REG[n] for n in names)
    return ModelCall(
        entry=first, request=request, messages=list(request.messages), fallbacks=tuple(rest)
    )


def _reply(call: ModelCall, text: str = "ok") -> ModelReply:
    record = call.attempt_record(outcome="ok", cost_usd=Decimal("0.01"))
    return ModelReply(
        text,
        Usage(1, 1),
        Decimal("0.01"),
        1.0,
        model=call.entry.name,
        provider=call.entry.provider,
        records=(record,),
    )


async def test_all_failing_is_a_group_of_the_real_errors_in_order() -> None:
    raised: list[Exception] = []

    async def inner(call: ModelCall) -> ModelReply:
        if call.entry.name == "gpt-4-turbo":
            exc: Exception = ProviderUnavailable("503 from upstream")
        else:
            exc = OutputInvalid("not JSON")
        attach_records(exc, (call.attempt_record(outcome=type(exc).__name__),))
        raised.append(exc)
        raise exc

    with pytest.raises(AllModelsFailed) as info:
        await Fallback(inner)(_call("gpt-4-turbo", "claude-3-opus"))
    group = info.value
    assert isinstance(group, ExceptionGroup)
    assert list(group.exceptions) == raised  # the exceptions themselves, not their strings
    assert [(a.model, a.error_type) for a in group.attempts] == [
        ("gpt-4-turbo", "ProviderUnavailable"),
        ("claude-3-opus", "OutputInvalid"),
    ]
    assert "503 from upstream" in str(group)
    assert [r.model for r in records_of(group)] == ["gpt-4-turbo", "claude-3-opus"]
    # except* and split() pick one kind out of the group; the rest stays an AllModelsFailed
    invalid, rest = group.split(OutputInvalid)
    assert invalid is not None and [type(e) for e in invalid.exceptions] == [OutputInvalid]
    assert isinstance(rest, AllModelsFailed) and rest.attempts[0].model == "gpt-4-turbo"


async def test_the_first_success_answers_with_every_row_behind_it() -> None:
    tried: list[str] = []

    async def second_works(call: ModelCall) -> ModelReply:
        tried.append(call.entry.name)
        assert call.fallbacks == ()  # the layer below sees one model
        if call.entry.name == "gpt-4-turbo":
            exc = ProviderUnavailable("down")
            attach_records(exc, (call.attempt_record(outcome="ProviderUnavailable"),))
            raise exc
        return _reply(call)

    reply = await Fallback(second_works)(_call("gpt-4-turbo", "claude-3-opus", "deepseek-v2"))
    assert (reply.model, reply.provider) == ("claude-3-opus", "anthropic")
    assert tried == ["gpt-4-turbo", "claude-3-opus"]
    assert [(r.model, r.outcome) for r in reply.records] == [
        ("gpt-4-turbo", "ProviderUnavailable"),
        ("claude-3-opus", "ok"),
    ]


async def test_errors_that_are_not_the_models_fault_end_the_chain() -> None:
    tried: list[str] = []

    async def over_budget(call: ModelCall) -> ModelReply:
        tried.append(call.entry.name)
        raise BudgetExceeded("over", fatal=True)

    with pytest.raises(BudgetExceeded):
        await Fallback(over_budget)(_call("gpt-4-turbo", "claude-3-opus"))
    assert tried == ["gpt-4-turbo"]
