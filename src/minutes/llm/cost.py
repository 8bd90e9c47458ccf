"""Price a call from provider-reported usage and the registry's prices, in exact Decimal USD."""

from __future__ import annotations

from decimal import Decimal

from minutes.llm.calls import Usage
from minutes.llm.registry import ModelEntry
from minutes.units import round_usd

_THOUSAND = Decimal(1000)


def price(entry: ModelEntry, usage: Usage, *, batch: bool = False) -> Decimal:
    """USD for one call, rounded to the micro-dollar.

    ``usage.input`` is the whole prompt. Of it, tokens read from the provider's prompt cache
    are billed at ``cached_input_per_1k`` and tokens written to it at ``cache_write_per_1k``
    (each the input price when unset), the rest at ``input_per_1k``; output at
    ``output_per_1k``. ``batch`` applies the provider's Batch API discount to the whole.
    Counts that exceed the prompt (a provider's report that does not add up) are clamped to
    it, reads first, so that no token is billed twice.
    """
    cached = max(0, min(usage.cached, usage.input))
    written = max(0, min(usage.cache_write, usage.input - cached))
    fresh = usage.input - cached - written
    cached_price = _or_input(entry.cached_input_per_1k, entry)
    write_price = _or_input(entry.cache_write_per_1k, entry)
    total = (
        Decimal(fresh) * entry.input_per_1k
        + Decimal(cached) * cached_price
        + Decimal(written) * write_price
        + Decimal(usage.output) * entry.output_per_1k
    ) / _THOUSAND
    if batch:
        total *= Decimal(1) - entry.batch_discount
    return round_usd(total)


def _or_input(per_1k: Decimal | None, entry: ModelEntry) -> Decimal:
    return per_1k if per_1k is not None else entry.input_per_1k


def estimate(entry: ModelEntry, input_tokens: int, output_tokens: int) -> Decimal:
    """The cost of a call before it is made, from counted input and expected output tokens."""
    return price(entry, Usage(input=input_tokens, output=output_tokens))
