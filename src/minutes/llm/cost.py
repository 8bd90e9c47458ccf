"""Price a call from provider-reported usage and the registry's prices, in exact Decimal USD."""

from __future__ import annotations

from decimal import Decimal

from minutes.llm.calls import Usage
from minutes.llm.registry import ModelEntry
from minutes.units import round_usd

_THOUSAND = Decimal(1000)


def price(entry: ModelEntry, usage: Usage, *, batch: bool = False) -> Decimal:
    """USD for one call, rounded to the micro-dollar.

    Cached input tokens are billed at ``cached_input_per_1k`` (the input price when the
    provider gives no discount); ``batch`` applies the provider's Batch API discount.
    """
    cached = min(usage.cached, usage.input)
    cached_price = (
        entry.cached_input_per_1k if entry.cached_input_per_1k is not None else entry.input_per_1k
    )
    total = (
        Decimal(usage.input - cached) * entry.input_per_1k
        + Decimal(cached) * cached_price
        + Decimal(usage.output) * entry.output_per_1k
    ) / _THOUSAND
    if batch:
        total *= Decimal(1) - entry.batch_discount
    return round_usd(total)


def estimate(entry: ModelEntry, input_tokens: int, output_tokens: int) -> Decimal:
    """The cost of a call before it is made, from counted input and expected output tokens."""
    return price(entry, Usage(input=input_tokens, output=output_tokens))
