from decimal import Decimal

from minutes.llm.calls import Usage
from minutes.llm.cost import estimate, price
from minutes.llm.registry import load_registry

REG = load_registry()


def test_price_is_exact_decimal_from_reported_usage() -> None:
    # 1,234 in at $0.01/1K + 567 out at $0.03/1K = 0.01234 + 0.01701
    assert price(REG["gpt-4-turbo"], Usage(1234, 567)) == Decimal("0.029350")


def test_cached_input_is_priced_at_the_cache_price() -> None:
    # opus: 1000 input of which 800 cached: 200*0.015/1K + 800*0.0015/1K = 0.003 + 0.0012
    assert price(REG["claude-3-opus"], Usage(1000, 0, 800)) == Decimal("0.004200")
    # no cache price: cached tokens cost the input price
    assert price(REG["gpt-4-turbo"], Usage(1000, 0, 800)) == Decimal("0.010000")


def test_batch_discount_halves_the_price() -> None:
    assert price(REG["gpt-4-turbo"], Usage(1000, 1000), batch=True) == Decimal("0.020000")


def test_free_models_and_estimates() -> None:
    assert price(REG["llama-3-70b"], Usage(10_000, 10_000)) == Decimal(0)
    assert estimate(REG["deepseek-v2"], 1_000_000, 0) == Decimal("0.140000")


def test_no_float_drift_over_many_calls() -> None:
    total = sum((price(REG["gpt-3.5-turbo"], Usage(1, 1)) for _ in range(1000)), Decimal(0))
    assert total == Decimal("0.002000")


def test_cache_writes_reads_fresh_input_and_output_each_at_their_own_price() -> None:
    opus = REG["claude-3-opus"].model_copy(update={"cache_write_per_1k": Decimal("0.01875")})
    # 2,000 in = 300 fresh + 500 read + 1,200 written; 100 out:
    # 300*0.015 + 500*0.0015 + 1200*0.01875 + 100*0.075, per 1K
    # = 0.0045 + 0.00075 + 0.0225 + 0.0075 = 0.03525
    usage = Usage(2000, 100, cached=500, cache_write=1200)
    assert price(opus, usage) == Decimal("0.035250")
    # the Batch API's discount applies to the whole, cache parts included
    batch = opus.model_copy(update={"batch_discount": Decimal("0.5")})
    assert price(batch, usage, batch=True) == Decimal("0.017625")


def test_cache_writes_cost_the_input_price_when_the_model_has_no_write_price() -> None:
    opus = REG["claude-3-opus"]
    assert opus.cache_write_per_1k is None
    # 1,000 written at 0.015 + 0 fresh = 0.015
    assert price(opus, Usage(1000, 0, cache_write=1000)) == Decimal("0.015000")


def test_cache_counts_beyond_the_prompt_are_clamped_not_billed_twice() -> None:
    opus = REG["claude-3-opus"].model_copy(update={"cache_write_per_1k": Decimal("0.01875")})
    # 1,000 in; the report claims 800 read and 800 written: reads first, writes take the rest
    # 800*0.0015 + 200*0.01875 = 0.0012 + 0.00375
    assert price(opus, Usage(1000, 0, cached=800, cache_write=800)) == Decimal("0.004950")


def test_usage_adds_cache_writes() -> None:
    total = Usage(10, 1, 2, 3) + Usage(20, 2, 4, 6)
    assert total == Usage(30, 3, 6, 9)
