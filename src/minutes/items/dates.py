"""Due dates: find the deadline words in a sentence and resolve them against the meeting date.

dateparser does the calendar dates ("March 3rd", "3/20", "2026-03-20"), but it returns
``None`` for most of what people say in meetings ("end of month", "EOD", "in a couple of
days") and its weekday rules are not the ones we want, so those are handled here first.

The rules, all relative to the meeting date ``d`` (a date in the meeting's own timezone):

==================================  ==========================================================
phrase                              resolves to
==================================  ==========================================================
today, tonight, EOD, COB,           ``d``
this morning/afternoon/evening
after this call, after the meeting  ``d``
tomorrow                            ``d + 1``; "day after tomorrow": ``d + 2``
<weekday>, by/on/before <weekday>,  the first such weekday strictly after ``d`` ("by Friday"
next <weekday>                      said on a Friday is the following Friday: a deadline of
                                    "today" is spoken as "today")
this <weekday>, this coming <wd>    the first such weekday on or after ``d``
<weekday> next week                 that weekday in the Monday-to-Sunday week after ``d``'s
end of (the/this) week, EOW         the Friday of ``d``'s week; on a Saturday or Sunday, the
                                    next Friday
end of next week                    the Friday of the week after
next week                           the Friday of next week (the latest day it can mean)
by/before next week                 the Monday of next week (it must be done before it starts)
end of (the/this) month, EOM        the last day of ``d``'s month
next month / end of next month      the last day of next month; "by next month": its 1st day
end of (the/this) quarter, EOQ      the last day of ``d``'s calendar quarter
end of (the/this) year, EOY         31 December of ``d``'s year
end of <month name>                 the last day of that month, this year or next (future)
in/within N days/weeks/months       ``d`` + N units; "a couple" = 2, "a few" = 3; business or
                                    working days skip weekends
a week/two weeks from now/today     ``d`` + that
(by/on) the 20th, the twentieth     the first such day of the month on or after ``d``
May the second, 2nd of May, May 2   the first such date on or after ``d`` (this year or next)
Wednesday the twenty-sixth          the next 26th, if it is a Wednesday; else ``None``
calendar dates                      dateparser, RELATIVE_BASE = ``d``, prefer the future
==================================  ==========================================================

Days of the month may be said in words ("the thirty-first"); alone they need a deadline
word before them ("by the twentieth"), so that "the second quarter" is no date. When a
sentence has several phrases, one that starts with a deadline word ("by", "before",
"until", "due") wins over the others: "what we discussed today … by next Friday".

Anything else ("before the next meeting", "ASAP", "soon", "end of the sprint") resolves to
``None``: it is not a date, and a wrong date is worse than none.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

logger = logging.getLogger(__name__)

WEEKDAYS: dict[str, int] = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
_WEEKDAY_ABBR = {"mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3}
_WEEKDAY_ABBR |= {"fri": 4, "sat": 5, "sun": 6}

MONTHS: dict[str, int] = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
MONTHS["sept"] = 9

_NUMBER_WORDS: dict[str, int] = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "couple": 2,
    "a couple": 2,
    "a couple of": 2,
    "couple of": 2,
    "few": 3,
    "a few": 3,
}

# Days of the month as said: "the second", "the twenty-sixth", "thirty first".
_ORDINAL_UNITS: dict[str, int] = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
}
ORDINAL_WORDS: dict[str, int] = dict(_ORDINAL_UNITS)
ORDINAL_WORDS |= {
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "thirtieth": 30,
}
ORDINAL_WORDS |= {f"twenty-{w}": 20 + n for w, n in _ORDINAL_UNITS.items()}
ORDINAL_WORDS |= {"thirty-first": 31}

# --- finding the phrase ------------------------------------------------------------------

_WD = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_MON = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"
)
_PREP = r"(?:(?:by|before|until|till|til|on|for|due|no\s+later\s+than|at\s+the\s+latest\s+by)\s+)?"
_NUM = (
    r"(?:\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|(?:a\s+)?couple(?:\s+of)?|(?:a\s+)?few)"
)
_ORD = r"(?:st|nd|rd|th)"
# A day of the month: "3rd", "3", "third", "twenty-sixth", "twenty sixth".
_ORD_WORD = (
    r"(?:(?:(?:twenty|thirty)[\s-]+)?(?:first|second|third|fourth|fifth|sixth|seventh|eighth"
    r"|ninth)|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth"
    r"|eighteenth|nineteenth|twentieth|thirtieth)"
)
_DAY = rf"(?:\d{{1,2}}{_ORD}?|{_ORD_WORD})"
# "on the twentieth" ends there: not "the second quarter", "the first one".
_DAY_ALONE = rf"(?:\d{{1,2}}{_ORD}|{_ORD_WORD})(?![\w-]|\s+(?!of\s+{_MON})[a-z])"
_DEADLINE_PREP = r"(?:by|before|until|till|til|on|for|due)\s+"
_PART_OF_DAY = r"(?:\s+(?:morning|afternoon|evening|night|noon|lunchtime|midday))?"

# Ordered from most to least specific; the longest match at the leftmost position wins.
_DUE_PATTERNS: list[str] = [
    # end of the day/week/month/quarter/year, end of next week, end of March, end of day Friday
    rf"{_PREP}(?:the\s+)?(?:end|close)\s+of\s+(?:the\s+|this\s+|next\s+)?(?:business\s+|working\s+)?"
    rf"(?:day|week|month|quarter|year|today|tomorrow|{_MON}|{_WD})(?:\s+(?:on\s+)?{_WD})?",
    rf"{_PREP}(?:eod|eow|eom|eoq|eoy|cob|close\s+of\s+business|end\s+of\s+business)\b"
    rf"(?:\s+(?:today|tomorrow|(?:on\s+)?{_WD}))?",
    # today / tomorrow / tonight / this afternoon
    rf"{_PREP}(?:the\s+)?(?:day\s+after\s+)?(?:tomorrow|today|tonight){_PART_OF_DAY}",
    rf"{_PREP}this\s+(?:morning|afternoon|evening)",
    # weekdays, optionally "this/next/coming", optionally "next week" after them
    rf"{_PREP}(?:(?:this|next|this\s+coming|the\s+following|coming)\s+)?{_WD}"
    rf"(?:\s+next\s+week|\s+(?:eod|cob))?{_PART_OF_DAY}",
    rf"{_PREP}later\s+this\s+week",
    rf"{_PREP}(?:this|next)\s+(?:week|month|quarter|year)\b",
    # in two weeks, within a few days, a week from now
    rf"(?:in|within)\s+(?:the\s+next\s+)?{_NUM}\s+(?:business\s+|working\s+)?(?:day|week|month)s?",
    rf"{_NUM}\s+(?:day|week|month)s?\s+from\s+(?:now|today)",
    # calendar dates: March 3rd, May the second, 3 March, the 3rd of March, the 20th,
    # Wednesday the twenty-sixth, by the thirty-first, 2026-03-20, 3/20
    rf"{_PREP}{_MON}\.?\s+(?:the\s+)?{_DAY}\b(?:,?\s+\d{{4}})?",
    rf"{_PREP}(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MON}\b(?:,?\s+\d{{4}})?",
    rf"{_PREP}(?:{_WD}\s+)?the\s+\d{{1,2}}{_ORD}\b",
    rf"{_PREP}{_WD}\s+the\s+{_ORD_WORD}\b",
    rf"{_DEADLINE_PREP}the\s+{_DAY_ALONE}",
    # "after this call": the meeting day
    r"(?:right\s+)?after\s+(?:this|the)\s+(?:call|meeting)\b",
    rf"{_PREP}\d{{4}}-\d{{2}}-\d{{2}}\b",
    rf"{_PREP}\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?\b",
]
# A possessive is no deadline: "today's decisions", "Friday's demo".
_NOT_POSSESSIVE = r"(?!['’]s\b)"
_DUE_RE = [re.compile(rf"\b{p}{_NOT_POSSESSIVE}", re.IGNORECASE) for p in _DUE_PATTERNS]
_DEADLINE_START = re.compile(
    r"(?:by|before|until|till|til|due|no\s+later\s+than|at\s+the\s+latest)\b", re.IGNORECASE
)


def find_due_phrase(text: str) -> str | None:
    """Return the deadline words of ``text`` as they stand in it, or ``None``.

    "Can you send it by Friday?" → "by Friday"; "let's finish by the end of the week" →
    "by the end of the week". Only phrases that name a date are returned: "before the next
    meeting" or "ASAP" give ``None`` (urgency is the priority's business, not the due date's).
    """
    if not text:
        return None
    best: tuple[bool, int, int] | None = None
    for pattern in _DUE_RE:
        for m in pattern.finditer(text):
            # A phrase that says it is a deadline ("by next Friday") wins over one that may
            # only say when something happened ("what we discussed today … by next Friday");
            # then the leftmost; on a tie the longer ("by the end of the week" over "week").
            key = (not _DEADLINE_START.match(m.group(0)), m.start(), -m.end())
            if best is None or key < best:
                best = key
            break
    if best is None:
        return None
    return text[best[1] : -best[2]].strip()


# --- resolving it ------------------------------------------------------------------------


def _next_weekday(base: dt.date, weekday: int, *, strictly_after: bool) -> dt.date:
    ahead = (weekday - base.weekday()) % 7
    if ahead == 0 and strictly_after:
        ahead = 7
    return base + dt.timedelta(days=ahead)


def _week_monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _end_of_week(day: dt.date) -> dt.date:
    """Friday of ``day``'s working week; at the weekend, the coming Friday."""
    if day.weekday() >= 5:
        return _next_weekday(day, 4, strictly_after=True)
    return _week_monday(day) + dt.timedelta(days=4)


def _last_of_month(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _next_day_of_month(day: dt.date, n: int) -> dt.date | None:
    """The first date on or after ``day`` whose day of the month is ``n``."""
    if not 1 <= n <= 31:
        return None
    year, month = day.year, day.month
    for _ in range(13):
        if n <= calendar.monthrange(year, month)[1] and dt.date(year, month, n) >= day:
            return dt.date(year, month, n)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _next_month_day(day: dt.date, month: int, n: int) -> dt.date | None:
    """The first ``month``/``n`` on or after ``day`` (this year or next); ``None`` if none."""
    for year in (day.year, day.year + 1):
        if n <= calendar.monthrange(year, month)[1] and dt.date(year, month, n) >= day:
            return dt.date(year, month, n)
    return None


def _add_business_days(day: dt.date, n: int) -> dt.date:
    while n > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def _number(word: str) -> int | None:
    word = re.sub(r"\s+", " ", word.strip().lower())
    if word.isdigit():
        return int(word)
    return _NUMBER_WORDS.get(word)


_ORDINAL_RE = re.compile(
    r"\b(?:"
    + "|".join(sorted((w.replace("-", "[ -]") for w in ORDINAL_WORDS), key=len, reverse=True))
    + r")\b"
)

_LEADING_PREP = re.compile(
    r"^(?:(?:at\s+the\s+latest\s+)?by|before|until|till|til|on|for|due(?:\s+(?:by|on))?"
    r"|no\s+later\s+than)\s+",
    re.IGNORECASE,
)


def _normalise(phrase: str) -> tuple[str, bool]:
    """Lower-case, unpunctuated phrase without its preposition; and whether it said "by"."""
    text = re.sub(r"[^\w/\- ]+", " ", phrase.lower())
    text = re.sub(r"\s+", " ", text).strip()
    # "the twenty-sixth" → "the 26th", which the rules below read.
    text = _ORDINAL_RE.sub(lambda m: f"{ORDINAL_WORDS[m.group(0).replace(' ', '-')]}th", text)
    m = _LEADING_PREP.match(text)
    by = bool(m and m.group(0).strip() in {"by", "before", "until", "till", "til"})
    if m:
        text = text[m.end() :]
    return text, by


def _weekday_of(word: str) -> int | None:
    return WEEKDAYS.get(word, _WEEKDAY_ABBR.get(word))


class _NotThisRule:
    """A rule's answer for a phrase of its shape but not its words ("end of sprint" is
    shaped like "end of March"): the rules after it may still read the phrase. ``None``
    instead says the phrase names no date, and no later rule is asked."""


_NEXT_RULE = _NotThisRule()
_Resolved: TypeAlias = dt.date | _NotThisRule | None


@dataclass(frozen=True)
class _Rule:
    """A line of the module docstring's table: the whole (normalised) phrase it reads, and
    the date of a match from the meeting date and whether the phrase said "by"."""

    name: str
    pattern: re.Pattern[str]
    resolve: Callable[[re.Match[str], dt.date, bool], _Resolved]


def _eod_on_weekday(m: re.Match[str], d: dt.date, by: bool) -> _Resolved:
    weekday = _weekday_of(m.group(1) or m.group(2))
    if weekday is None:
        return _NEXT_RULE
    return _next_weekday(d, weekday, strictly_after=True)


def _on_weekday(m: re.Match[str], d: dt.date, by: bool) -> _Resolved:
    weekday = _weekday_of(m.group(2))
    if weekday is None:
        return _NEXT_RULE
    if m.group(3):  # "Tuesday next week": that day of the following Monday-Sunday week
        return _week_monday(d) + dt.timedelta(days=7 + weekday)
    qualifier = (m.group(1) or "").strip()
    return _next_weekday(d, weekday, strictly_after=qualifier not in {"this", "this coming"})


def _next_week(m: re.Match[str], d: dt.date, by: bool) -> _Resolved:
    if m.group(0) == "next week" and by:
        return _week_monday(d) + dt.timedelta(days=7)
    return _end_of_week(d) + dt.timedelta(days=7)


def _next_month(m: re.Match[str], d: dt.date, by: bool) -> _Resolved:
    nxt = _add_months(d.replace(day=1), 1)
    if m.group(0) == "next month" and by:
        return nxt
    return _last_of_month(nxt.year, nxt.month)


def _end_of_quarter(m: re.Match[str], d: dt.date, by: bool) -> _Resolved:
    q_end_month = ((d.month - 1) // 3 + 1) * 3
    return _last_of_month(d.year, q_end_month)


def _end_of_next_quarter(m: re.Match[str], d: dt.date, by: bool) -> _Resolved:
    q_end_month = ((d.month - 1) // 3 + 1) * 3 + 3
    year = d.year + (q_end_month - 1) // 12
    return _last_of_month(year, (q_end_month - 1) % 12 + 1)


def _weekday_the_nth(m: re.Match[str], d: dt.date, by: bool) -> _Resolved:
    # That day of the month, if it is that weekday; else the words contradict each other
    # and neither is trusted.
    weekday = _weekday_of(m.group(1))
    if weekday is None:
        return _NEXT_RULE
    day = _next_day_of_month(d, int(m.group(2)))
    return day if day is not None and day.weekday() == weekday else None


def _month_and_day(m: re.Match[str], d: dt.date, by: bool) -> _Resolved:
    first, second = m.group(1, 2) if m.group(1) is not None else m.group(3, 4)
    month_word, day_word = (first, second) if first in MONTHS else (second, first)
    if month_word not in MONTHS:
        return _NEXT_RULE
    return _next_month_day(d, MONTHS[month_word], int(day_word))


def _end_of_named_month(m: re.Match[str], d: dt.date, by: bool) -> _Resolved:
    if m.group(1) not in MONTHS:
        return _NEXT_RULE
    month = MONTHS[m.group(1)]
    year = d.year if month >= d.month else d.year + 1
    return _last_of_month(year, month)


def _in_units(m: re.Match[str], d: dt.date, by: bool) -> _Resolved:
    n = _number(m.group(1))
    if n is None:
        return _NEXT_RULE
    unit = m.group(3)
    if unit == "day":
        return _add_business_days(d, n) if m.group(2) else d + dt.timedelta(days=n)
    if unit == "week":
        return d + dt.timedelta(weeks=n)
    return _add_months(d, n)


_EOD = r"(?:end of (?:the )?(?:business )?day|eod|cob|close of business)"

# In the order they are tried: the first rule whose pattern matches the whole phrase and
# that does not pass it on decides.
_RULES: tuple[_Rule, ...] = (
    _Rule(
        "today",
        re.compile(
            r"today|tonight|eod|cob|close of business|end of business|end of day|end of the day"
            r"|end of today|end of business day|end of the business day|end of the working day"
        ),
        lambda m, d, by: d,
    ),
    _Rule(
        "tomorrow",
        re.compile(
            r"tomorrow|end of tomorrow|end of day tomorrow|eod tomorrow|cob tomorrow"
            r"|close of business tomorrow"
        ),
        lambda m, d, by: d + dt.timedelta(days=1),
    ),
    _Rule(
        "day after tomorrow",
        re.compile(r"day after tomorrow"),
        lambda m, d, by: d + dt.timedelta(days=2),
    ),
    # "end of day Friday", "EOD Friday", "Friday EOD", "close of business on Friday".
    _Rule(
        "end of day on a weekday",
        re.compile(rf"{_EOD} (?:on )?(\w+)|(\w+) {_EOD}"),
        _eod_on_weekday,
    ),
    _Rule(
        "weekday",
        re.compile(
            r"(?:end of )?(this |next |this coming |coming |the following )?(\w+)( next week)?"
        ),
        _on_weekday,
    ),
    _Rule(
        "end of the week",
        re.compile(r"(?:later |end of )?(?:the |this )?(?:business |working )?week|eow"),
        lambda m, d, by: _end_of_week(d),
    ),
    _Rule("next week", re.compile(r"end of next week|end of the next week|next week"), _next_week),
    _Rule(
        "end of the month",
        re.compile(r"(?:end of )?(?:the |this )?month|eom"),
        lambda m, d, by: _last_of_month(d.year, d.month),
    ),
    _Rule(
        "next month",
        re.compile(r"end of next month|next month|end of the next month"),
        _next_month,
    ),
    _Rule(
        "end of the quarter", re.compile(r"(?:end of )?(?:the |this )?quarter|eoq"), _end_of_quarter
    ),
    _Rule("next quarter", re.compile(r"end of next quarter|next quarter"), _end_of_next_quarter),
    _Rule(
        "end of the year",
        re.compile(r"(?:end of )?(?:the |this )?year|eoy"),
        lambda m, d, by: dt.date(d.year, 12, 31),
    ),
    _Rule(
        "next year",
        re.compile(r"end of next year|next year"),
        lambda m, d, by: dt.date(d.year + 1, 12, 31),
    ),
    _Rule(
        "after the meeting",
        re.compile(r"(?:right )?after (?:this|the) (?:call|meeting)"),
        lambda m, d, by: d,
    ),
    # "the 20th": the next 20th on or after the meeting day (dateparser reads "5th" as May).
    _Rule(
        "day of the month",
        re.compile(r"(\d{1,2})(?:st|nd|rd|th)"),
        lambda m, d, by: _next_day_of_month(d, int(m.group(1))),
    ),
    _Rule(
        "weekday the nth",
        re.compile(r"(\w+) (?:the )?(\d{1,2})(?:st|nd|rd|th)"),
        _weekday_the_nth,
    ),
    # "May the 2nd", "2nd of May", "May 2": the next such day on or after the meeting day.
    _Rule(
        "month and day",
        re.compile(
            r"(\w+) (?:the )?(\d{1,2})(?:st|nd|rd|th)?|(\d{1,2})(?:st|nd|rd|th)? (?:of )?(\w+)"
        ),
        _month_and_day,
    ),
    _Rule("end of a named month", re.compile(r"end of (\w+)"), _end_of_named_month),
    _Rule(
        "in n days, weeks or months",
        re.compile(
            r"(?:in |within )?(?:the next )?(\d+|\w+|a couple(?: of)?|couple of|a few)"
            r" (business |working )?(day|week|month)s?(?: from (?:now|today))?"
        ),
        _in_units,
    ),
)


def _resolve_rules(text: str, by: bool, d: dt.date) -> dt.date | None:
    """The explicit rules of the module docstring; ``None`` when none applies."""
    text = re.sub(r"^the ", "", text)
    text = re.sub(r" (?:morning|afternoon|evening|night|noon|lunchtime|midday)$", "", text)
    if not text.split():
        return None
    for rule in _RULES:
        if m := rule.pattern.fullmatch(text):
            resolved = rule.resolve(m, d, by)
            if not isinstance(resolved, _NotThisRule):
                return resolved
    return None


def _timezone_name(timezone: str | None) -> str | None:
    if not timezone:
        return None
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        logger.debug("unknown timezone %r ignored for due dates", timezone)
        return None
    return timezone


def _dateparser_date(text: str, d: dt.date, timezone: str | None) -> dt.date | None:
    """Calendar dates through dateparser, anchored at noon of the meeting day.

    Noon, not midnight, so that no timezone arithmetic inside dateparser can move the
    anchor to the neighbouring day; and we ask for a naive result in the meeting's zone.
    """
    import dateparser  # deferred: importing it costs ~0.3 s and most transcripts need none

    settings: dict[str, object] = {
        "RELATIVE_BASE": dt.datetime(d.year, d.month, d.day, 12, 0),
        "PREFER_DATES_FROM": "future",
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    if timezone:
        settings["TIMEZONE"] = timezone
        settings["TO_TIMEZONE"] = timezone
    # Bare numbers ("3") or times ("5pm") are not deadlines on their own.
    if not re.search(r"[a-z]{3,}|\d+(?:st|nd|rd|th)|\d+[/-]\d+", text):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dateparser emits pytz/regex deprecation noise
        parsed = dateparser.parse(text, languages=["en"], settings=settings)
    return parsed.date() if parsed else None


def resolve_due_date(
    phrase: str, meeting_date: dt.date, timezone: str | None = None
) -> dt.date | None:
    """Resolve a deadline phrase ("by Friday", "end of month") to a date, or ``None``.

    ``meeting_date`` is the day the words were spoken, in the meeting's own timezone;
    ``timezone`` (an IANA name) is passed on to dateparser for calendar dates and ignored
    when unknown. The rules are the table of this module's docstring. Never raises on text.
    """
    if not phrase or not isinstance(phrase, str):
        return None
    try:
        text, by = _normalise(phrase)
        if not text:
            return None
        resolved = _resolve_rules(text, by, meeting_date)
        if resolved is not None:
            return resolved
        # Relative words we do not understand are not handed to dateparser, which would
        # happily read "next meeting" or "later" as some date.
        if re.search(r"\b(?:meeting|sprint|release|launch|later|soon|asap|possible)\b", text):
            return None
        if re.fullmatch(r"(?:the )?\d+(?:st|nd|rd|th)", text):
            return None  # a day of the month the rules could not place ("the 45th")
        m = re.fullmatch(r"(\w+) (?:the )?\d+(?:st|nd|rd|th)", text)
        if m and _weekday_of(m.group(1)) is not None:
            return None  # "Thursday the 26th" when the 26th is no Thursday
        return _dateparser_date(text, meeting_date, _timezone_name(timezone))
    except Exception:  # the fallback engine must never fail on words
        logger.debug("could not resolve due date %r", phrase, exc_info=True)
        return None
