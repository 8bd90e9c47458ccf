"""Clock strings and numbers as seconds: ``hh:mm:ss``, ``mm:ss``, with ``.mmm`` or ``,mmm``."""

from __future__ import annotations

import math
import re

# Hours are optional so "[04:12]" reads as minutes:seconds, the way people write short meetings.
CLOCK_PATTERN = r"(?:\d{1,3}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
_CLOCK = re.compile(r"(?:(\d{1,3}):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?")


def parse_clock(value: str) -> float | None:
    """Seconds for a clock string like ``01:02:03.5`` or ``4:05``; ``None`` when it is not one.

    Minutes and seconds above 59 are rejected, so "12:75" is not mistaken for a time.
    """
    match = _CLOCK.fullmatch(value.strip())
    if not match:
        return None
    hours, minutes, seconds, fraction = match.groups()
    if int(minutes) > 59 or int(seconds) > 59:
        return None
    total: float = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    if fraction:
        total += int(fraction.ljust(3, "0")) / 1000
    return float(total)


def _shown(value: object) -> str:
    """``repr(value)``, cut short: a megabyte string in a JSON time must not fill the message."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def parse_seconds(value: object) -> float:
    """Seconds from a JSON time: a number, a numeric string or a clock string.

    Raises ``ValueError`` with a short reason for anything else, negative or not finite.
    """
    if isinstance(value, bool):  # bool is an int subclass; True is not "1 second"
        raise ValueError(f"{_shown(value)} is not a time")
    if isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError:  # an integer beyond any float: 10**400
            raise ValueError("a number too large to be a time") from None
    elif isinstance(value, str):
        clock = parse_clock(value)
        if clock is not None:
            seconds = clock
        else:
            try:
                seconds = float(value.strip())
            except ValueError:
                raise ValueError(f"{_shown(value)} is not a time") from None
    else:
        raise ValueError(f"{_shown(value)} is not a time")
    if not math.isfinite(seconds):
        raise ValueError(f"{_shown(value)} is not a finite time")
    if seconds < 0:
        raise ValueError(f"{_shown(value)} is negative")
    return seconds
