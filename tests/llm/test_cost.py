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
