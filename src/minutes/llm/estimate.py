"""A gateway that calls nothing: it answers each call with a schema-valid stub and notes what
the call would have cost on the model the router would pick (``summarize --dry-run``).

Running the real pipeline against it keeps the estimate in step with the pipeline: the same
chunks, prompts, stages and models, without a second copy of that logic. Output tokens are
the call's ceiling (``max_tokens``), so the figures are upper bounds; caches and budget
downgrades are not applied (a dry run says what the run could cost, not what is cached).
"""

from __future__ import annotations

import types
import typing
from decimal import Decimal
from typing import Any, Literal, TypeVar, get_args, get_origin

from pydantic import BaseModel, ValidationError

from minutes.errors import OutputInvalid
from minutes.llm.budget import estimate_tokens
from minutes.llm.calls import LLMRequest, LLMResult, ModelCall
from minutes.llm.cost import estimate
from minutes.llm.gateway import Gateway
from minutes.llm.registry import ModelEntry

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


class EstimatingGateway(Gateway):
    """``complete``/``structured`` record a ``PlannedCall`` instead of calling a model."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.planned: list[PlannedCall] = []

    def _note(self, entry: ModelEntry, request: LLMRequest, schema: type[BaseModel] | None) -> None:
        call = ModelCall(entry=entry, request=request, messages=self._messages(request, schema))
        prompt, output = estimate_tokens(call)
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
            )
        )

    async def complete(self, request: LLMRequest) -> LLMResult[str]:
        entry = (await self.plan(request))[0]
        self._note(entry, request, None)
        return LLMResult(text=DRY_RUN_TEXT, model=entry.name, provider=entry.provider)

    async def structured(self, request: LLMRequest, schema: type[T]) -> LLMResult[T]:
        entry = (await self.plan(request, schema=schema))[0]
        self._note(entry, request, schema)
        return LLMResult(text="{}", data=stub(schema), model=entry.name, provider=entry.provider)

    async def embed_with_model(
        self, texts: list[str], *, model: str | None = None
    ) -> tuple[ModelEntry, list[list[float]]]:
        # No embedding either: the notes vector of a dry run is never used.
        from minutes.errors import NoModelAvailable

        raise NoModelAvailable("dry run: no embeddings are computed")


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
