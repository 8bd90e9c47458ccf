"""The dry run's transport: an innermost layer that calls nothing. Each attempt is answered
with a schema-valid stub and noted as a ``PlannedCall``: what it would have cost on the model
the router picked (``summarize --dry-run``).

Running the real pipeline through the real gateway over it keeps the estimate in step with
the pipeline: the same chunks, prompts, stages and models, without a second copy of that
logic. Output tokens are the call's ceiling (``max_tokens``), so the figures are upper bounds.
The dry run turns the caches and budget limits off (it says what the run could cost, not
what is cached or what a budget would refuse).
"""

from __future__ import annotations

import json
import math
import types
import typing
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal, TypeVar, get_args, get_origin

from pydantic import BaseModel, Field, ValidationError

from minutes.errors import OutputInvalid
from minutes.llm.calls import ModelCall, ModelReply, Usage
from minutes.llm.cost import estimate
from minutes.llm.layers.budget import MESSAGE_OVERHEAD_TOKENS, estimate_tokens
from minutes.tokens import count_tokens

T = TypeVar("T", bound=BaseModel)
DRY_RUN_TEXT = "(dry run: no model was called)"


class PlannedCall(BaseModel):
    task: str
    prompt_name: str | None
    prompt_version: str | None
    model: str
    provider: str
    input_tokens: int
    output_tokens: int = 0
    cost_usd: Decimal
    prefix_tokens: int = Field(
        0,
        description="tokens of the leading system messages: the shared instructions that a "
        "provider's prompt cache can serve (part of input_tokens)",
    )
    expected_output_tokens: int | None = Field(
        None, description="the task's mean answer in past calls (the ledger), when it has any"
    )
    expected_usd: Decimal | None = Field(
        None, description="cost with the expected output rather than the ceiling"
    )


class Estimator:
    """Transport: notes a ``PlannedCall`` for each attempt and answers with a stub (free)."""

    def __init__(
        self,
        expected_output: Mapping[str, float] | None = None,
        ceilings: Mapping[str, int] | None = None,
    ) -> None:
        """``expected_output``: each task's mean output tokens in past calls, for an expected
        cost beside the upper bound; ``ceilings``: the output ceilings a real run would ask
        with (``layers.ceilings``, from the same history)."""
        self.planned: list[PlannedCall] = []
        self.expected_output = dict(expected_output or {})
        self.ceilings = dict(ceilings or {})

    async def __call__(self, call: ModelCall) -> ModelReply:
        entry, request = call.entry, call.request
        prompt, output = estimate_tokens(call)
        output = min(output, self.ceilings.get(request.task, output))
        mean = self.expected_output.get(request.task)
        expected = min(output, math.ceil(mean)) if mean is not None else None
        self.planned.append(
            PlannedCall(
                task=request.task,
                prompt_name=request.prompt_name,
                prompt_version=request.prompt_version,
                model=entry.name,
                provider=entry.provider,
                input_tokens=prompt,
                output_tokens=output,
                cost_usd=estimate(entry, prompt, output),
                prefix_tokens=prefix_tokens(call),
                expected_output_tokens=expected,
                expected_usd=estimate(entry, prompt, expected) if expected is not None else None,
            )
        )
        text = (
            json.dumps(stub(call.schema).model_dump(mode="json"))
            if call.schema is not None
            else DRY_RUN_TEXT
        )
        return ModelReply(text, Usage(), Decimal(0), 0.0)


def prefix_tokens(call: ModelCall) -> int:
    """Tokens of the system messages that open the call (the cacheable prefix)."""
    total = 0
    for message in call.messages:
        if message.role != "system":
            break
        total += count_tokens(message.content) + MESSAGE_OVERHEAD_TOKENS
    return total


# Items per stubbed list of objects: what the map prompts ask for per chunk ("2-3 points"),
# so that the stages after them (reduce, narrative) see inputs of a realistic size.
STUB_ITEMS = 3


def stub(schema: type[T]) -> T:
    """A small valid instance of ``schema``: a few placeholder items in lists of objects,
    placeholder text, first literals, defaults elsewhere."""
    values = {
        name: _stub_value(field.annotation)
        for name, field in schema.model_fields.items()
        if field.is_required() or _is_object_list(field.annotation)
    }
    try:
        return schema.model_validate(values)
    except ValidationError as exc:
        raise OutputInvalid(f"dry run: no stub for {schema.__name__}: {exc}") from None


def _stub_value(annotation: Any) -> Any:
    origin = get_origin(annotation)
    if origin is Literal:
        return get_args(annotation)[0]
    if origin in (typing.Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return None if len(args) < len(get_args(annotation)) else _stub_value(args[0])
    if _is_object_list(annotation):
        item = get_args(annotation)[0]
        return [stub(item).model_dump() for _ in range(STUB_ITEMS)]
    if origin in (list, set, tuple, frozenset):
        return []
    if origin is dict:
        return {}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return stub(annotation).model_dump()
    return {str: "(dry run)", int: 0, float: 0.0, bool: False}.get(annotation)


def _is_object_list(annotation: Any) -> bool:
    args = get_args(annotation)
    return (
        get_origin(annotation) is list
        and len(args) == 1
        and isinstance(args[0], type)
        and issubclass(args[0], BaseModel)
    )
