"""Money and time, defined once.

Money is USD as ``Decimal``, rounded to the micro-dollar; the store keeps it as integer
micro-dollars, which add up exactly. Time is UTC: aware datetimes in code, naive UTC in
database columns (SQLite has no time zones).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

MICRO = Decimal("0.000001")
MICROS_PER_USD = Decimal(1_000_000)


def to_micros(usd: Decimal) -> int:
    """Whole micro-dollars of ``usd``, for the store."""
    return int((usd * MICROS_PER_USD).to_integral_value())


def from_micros(micros: int | None) -> Decimal:
    """USD of a stored micro-dollar amount (None counts as nothing)."""
    return (Decimal(int(micros or 0)) / MICROS_PER_USD).quantize(MICRO)


def round_usd(usd: Decimal) -> Decimal:
    """``usd`` rounded half-up to the micro-dollar."""
    return usd.quantize(MICRO, rounding=ROUND_HALF_UP)


def utcnow() -> dt.datetime:
    """Now, as an aware UTC datetime."""
    return dt.datetime.now(dt.UTC)


def utcnow_naive() -> dt.datetime:
    """Now in UTC without a zone: what the store's datetime columns hold."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
