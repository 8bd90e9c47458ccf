"""Coalescing: many small independent calls of one list-taking prompt as few requests.

``map_items`` sends up to ``max_items`` items per request, asking for ``{"answers": [{"id",
"value"}]}`` where each value validates against the item schema, and splits the reply back by
id. An item the combined reply left out is asked for alone; when the combined reply fails
validation (after the gateway's repair and re-ask), every item of that group is asked for
alone. Results come back in input order, each a value or the error that item met: one failing
item never fails its batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, Field, create_model

from minutes.errors import (
    AllModelsFailed,
    BudgetExceeded,
    ContextTooLong,
    MinutesError,
    NoModelAvailable,
    OutputInvalid,
    ProviderError,
)
from minutes.llm.calls import LLMRequest, LLMResult

if TYPE_CHECKING:
    from minutes.llm.client import LLMClient

T = TypeVar("T", bound=BaseModel)

# Failures that belong to one item (or one group) rather than to the run: a ConfigError or a
# budget the user stops on (``fatal``) still ends everything.
ITEM_ERRORS: tuple[type[MinutesError], ...] = (
    AllModelsFailed,
    NoModelAvailable,
    ContextTooLong,
    ProviderError,
    OutputInvalid,
    BudgetExceeded,
)

# The caller renders one request for a group of (id, item text) pairs.
RequestFor = Callable[[list[tuple[int, str]]], LLMRequest]


class ItemOutcome(BaseModel, Generic[T]):
    """One item's answer, or why there is none."""

    index: int
    value: T | None = None
    error: str | None = None
    combined: bool = Field(False, description="answered by a combined request")

    @property
    def ok(self) -> bool:
        return self.value is not None


class MapOutcome(BaseModel, Generic[T]):
    items: list[ItemOutcome[T]]
    results: list[LLMResult[Any]] = Field(
        default_factory=list, description="every gateway result, for cost and provenance"
    )

    @property
    def requests(self) -> int:
        return len(self.results)

    @property
    def cost_usd(self) -> Decimal:
        return sum((r.cost_usd for r in self.results), Decimal(0))


def answers_schema(item_schema: type[T]) -> type[BaseModel]:
    """``{"answers": [{"id": int, "value": item_schema}]}`` as a pydantic model."""
    answer = create_model(
        f"{item_schema.__name__}Answer",
        id=(int, Field(description="the id the item was given")),
        value=(item_schema, ...),
    )
    return create_model(f"{item_schema.__name__}Answers", answers=(list[answer], ...))


def _is_item_error(exc: BaseException) -> bool:
    return isinstance(exc, ITEM_ERRORS) and not getattr(exc, "fatal", False)


async def map_items(
    gateway: LLMClient,
    items: Sequence[str],
    request_for: RequestFor,
    item_schema: type[T],
    *,
    max_items: int | None = None,
) -> MapOutcome[T]:
    """Answer every item with as few requests as validation allows; see the module doc."""
    size = max_items or gateway.settings.scheduler.coalesce_max_items
    schema = answers_schema(item_schema)
    outcomes: list[ItemOutcome[T] | None] = [None] * len(items)
    results: list[LLMResult[Any]] = []

    async def alone(i: int) -> None:
        try:
            result = await gateway.structured(request_for([(i, items[i])]), schema)
        except MinutesError as exc:
            if not _is_item_error(exc):
                raise
            outcomes[i] = ItemOutcome(index=i, error=f"{type(exc).__name__}: {exc}")
            return
        results.append(result)
        answer = _by_id(result.data).get(i)
        if answer is None:
            # A single item answered under another id is still that item's answer.
            only = list(_by_id(result.data).values())
            answer = only[0] if len(only) == 1 else None
        outcomes[i] = (
            ItemOutcome(index=i, value=answer)
            if answer is not None
            else ItemOutcome(index=i, error="the reply held no answer for this item")
        )

    async def group(ids: list[int]) -> None:
        if len(ids) == 1:
            await alone(ids[0])
            return
        try:
            result = await gateway.structured(request_for([(i, items[i]) for i in ids]), schema)
        except MinutesError as exc:
            if not _is_item_error(exc):
                raise
            await asyncio.gather(*(alone(i) for i in ids))
            return
        results.append(result)
        answers = _by_id(result.data)
        missing = [i for i in ids if i not in answers]
        for i in ids:
            if i in answers:
                outcomes[i] = ItemOutcome(index=i, value=answers[i], combined=True)
        await asyncio.gather(*(alone(i) for i in missing))

    ids = list(range(len(items)))
    await asyncio.gather(*(group(ids[k : k + size]) for k in range(0, len(ids), size)))
    done = [
        o if o is not None else ItemOutcome(index=i, error="not answered")
        for i, o in enumerate(outcomes)
    ]
    return MapOutcome[item_schema](items=done, results=results)  # type: ignore[valid-type]


def _by_id(data: BaseModel | None) -> dict[int, Any]:
    if data is None:
        return {}
    out: dict[int, Any] = {}
    for answer in getattr(data, "answers", []):
        out.setdefault(answer.id, answer.value)  # the first answer for an id wins
    return out
