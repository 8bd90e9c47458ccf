"""Due-date phrases and their resolution against a fixed meeting date."""

from __future__ import annotations

import datetime as dt

import pytest

from minutes.items.dates import find_due_phrase, resolve_due_date

WED = dt.date(2026, 3, 11)  # a Wednesday
FRI = dt.date(2026, 3, 13)  # a Friday
SAT = dt.date(2026, 3, 14)


@pytest.mark.parametrize(
    ("sentence", "phrase"),
    [
        ("Can you send it by Friday?", "by Friday"),
        ("I'll do it next Tuesday.", "next Tuesday"),
        ("We need the numbers by end of month.", "by end of month"),
        ("Let's finish by the end of the week, okay?", "by the end of the week"),
        ("I'll get back to you tomorrow.", "tomorrow"),
        ("Send me the draft EOD please", "EOD"),
        ("The report is due by March 3rd.", "by March 3rd"),
        ("I can have it ready in two weeks.", "in two weeks"),
        ("Dave will handle it within a couple of days", "within a couple of days"),
        ("by end of day Friday at the latest", "by end of day Friday"),
        ("Let's ship it Tuesday next week.", "Tuesday next week"),
        ("Please file it by the 20th.", "by the 20th"),
        ("due 2026-03-20", "due 2026-03-20"),
        ("Alice will circulate the minutes this afternoon.", "this afternoon"),
        ("I'll finish the slides before next week.", "before next week"),
    ],
)
def test_find_due_phrase(sentence: str, phrase: str) -> None:
    assert find_due_phrase(sentence) == phrase


@pytest.mark.parametrize(
    "sentence",
    [
        "Let's discuss it before the next meeting.",  # an event, not a date
        "I'll send it ASAP.",  # urgency, not a date
        "I'll be honest with you.",
        "I will send the report on last month's sales.",  # 'month' alone is no deadline
        "",
    ],
)
def test_find_due_phrase_none(sentence: str) -> None:
    assert find_due_phrase(sentence) is None


@pytest.mark.parametrize(
    ("phrase", "on_wednesday", "on_friday"),
    [
        # a bare weekday is the first one strictly after the meeting day
        ("by Friday", "2026-03-13", "2026-03-20"),
        ("Friday", "2026-03-13", "2026-03-20"),
        ("on Monday", "2026-03-16", "2026-03-16"),
        # "next <weekday>" follows the same rule (documented), not "a week later"
        ("next Tuesday", "2026-03-17", "2026-03-17"),
        ("next Friday", "2026-03-13", "2026-03-20"),
        # "this <weekday>" may be the meeting day itself
        ("this Friday", "2026-03-13", "2026-03-13"),
        ("Tuesday next week", "2026-03-17", "2026-03-17"),
        ("end of day Friday", "2026-03-13", "2026-03-20"),
        ("Friday EOD", "2026-03-13", "2026-03-20"),
        ("today", "2026-03-11", "2026-03-13"),
        ("EOD", "2026-03-11", "2026-03-13"),
        ("by end of day", "2026-03-11", "2026-03-13"),
        ("tonight", "2026-03-11", "2026-03-13"),
        ("tomorrow", "2026-03-12", "2026-03-14"),
        ("EOD tomorrow", "2026-03-12", "2026-03-14"),
        ("day after tomorrow", "2026-03-13", "2026-03-15"),
        ("by the end of the week", "2026-03-13", "2026-03-13"),
        ("EOW", "2026-03-13", "2026-03-13"),
        ("end of next week", "2026-03-20", "2026-03-20"),
        ("next week", "2026-03-20", "2026-03-20"),
        ("by next week", "2026-03-16", "2026-03-16"),
        ("end of month", "2026-03-31", "2026-03-31"),
        ("by the end of the month", "2026-03-31", "2026-03-31"),
        ("next month", "2026-04-30", "2026-04-30"),
        ("by next month", "2026-04-01", "2026-04-01"),
        ("end of quarter", "2026-03-31", "2026-03-31"),
        ("end of the year", "2026-12-31", "2026-12-31"),
        ("end of April", "2026-04-30", "2026-04-30"),
        ("in two weeks", "2026-03-25", "2026-03-27"),
        ("within a couple of days", "2026-03-13", "2026-03-15"),
        ("in 3 business days", "2026-03-16", "2026-03-18"),
        ("a week from today", "2026-03-18", "2026-03-20"),
        ("in a month", "2026-04-11", "2026-04-13"),
        ("by the 20th", "2026-03-20", "2026-03-20"),
        ("the 5th", "2026-04-05", "2026-04-05"),  # dateparser alone says May 1st
        ("by March 20", "2026-03-20", "2026-03-20"),
        ("3rd of April", "2026-04-03", "2026-04-03"),
        ("by March 3rd", "2027-03-03", "2027-03-03"),  # already past: the next one
        ("2026-03-20", "2026-03-20", "2026-03-20"),
    ],
)
def test_resolve_due_date(phrase: str, on_wednesday: str, on_friday: str) -> None:
    assert resolve_due_date(phrase, WED) == dt.date.fromisoformat(on_wednesday)
    assert resolve_due_date(phrase, FRI) == dt.date.fromisoformat(on_friday)


def test_end_of_week_said_at_the_weekend_is_the_coming_friday() -> None:
    assert resolve_due_date("end of the week", SAT) == dt.date(2026, 3, 20)


def test_end_of_quarter_in_other_quarters() -> None:
    assert resolve_due_date("end of quarter", dt.date(2026, 5, 2)) == dt.date(2026, 6, 30)
    assert resolve_due_date("EOQ", dt.date(2026, 11, 30)) == dt.date(2026, 12, 31)
    assert resolve_due_date("next quarter", dt.date(2026, 11, 30)) == dt.date(2027, 3, 31)


def test_month_arithmetic_clamps_and_wraps() -> None:
    assert resolve_due_date("in a month", dt.date(2026, 1, 31)) == dt.date(2026, 2, 28)
    assert resolve_due_date("next month", dt.date(2026, 12, 5)) == dt.date(2027, 1, 31)


@pytest.mark.parametrize(
    "phrase",
    ["before the next meeting", "ASAP", "soon", "end of the sprint", "later", "5pm", "", "???"],
)
def test_unresolvable_is_none(phrase: str) -> None:
    assert resolve_due_date(phrase, WED) is None


def test_timezone_does_not_shift_the_day() -> None:
    for tz in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Berlin", "Not/AZone"):
        assert resolve_due_date("March 20", WED, tz) == dt.date(2026, 3, 20)
        assert resolve_due_date("tomorrow", WED, tz) == dt.date(2026, 3, 12)


def test_never_raises_on_odd_text() -> None:
    for junk in ["\x00", "by " * 500, "end of 99", "in 9999999 months", "the 45th", "by Fri-day"]:
        resolve_due_date(junk, WED)  # must not raise
    assert resolve_due_date("the 45th", WED) is None


def test_a_possessive_is_not_a_deadline() -> None:
    assert find_due_phrase("Update the doc with today's decisions") is None
    assert find_due_phrase("Prepare Friday's demo for the board") is None
    assert find_due_phrase("Prepare Friday's demo by Thursday") == "by Thursday"


@pytest.mark.parametrize(
    ("sentence", "phrase", "on_wednesday"),
    [
        ("Please prepare the slides by May the second.", "by May the second", "2026-05-02"),
        ("I'll circulate it by April the eighteenth.", "by April the eighteenth", "2026-04-18"),
        ("Do it by the thirty-first, I don't want to chase.", "by the thirty-first", "2026-03-31"),
        ("Demo script by the twentieth, training after.", "by the twentieth", "2026-03-20"),
        ("Book it for the twenty first of April.", "for the twenty first of April", "2026-04-21"),
        # the weekday agrees with the 18th of March 2026
        ("A dry run on Wednesday the eighteenth.", "on Wednesday the eighteenth", "2026-03-18"),
        ("I'll update the board after this call.", "after this call", "2026-03-11"),
    ],
)
def test_days_of_the_month_in_words(sentence: str, phrase: str, on_wednesday: str) -> None:
    assert find_due_phrase(sentence) == phrase
    assert resolve_due_date(phrase, WED) == dt.date.fromisoformat(on_wednesday)


@pytest.mark.parametrize(
    "sentence",
    [
        "The second quarter looks better.",  # an ordinal, not a day
        "The third, the agency in Lyon, said yes.",  # no deadline word before it
        "Let's take the first one.",
        "We're on the second slide.",
        "For the first time it worked.",
    ],
)
def test_ordinals_that_are_not_days(sentence: str) -> None:
    assert find_due_phrase(sentence) is None


def test_a_weekday_that_contradicts_the_day_gives_no_date() -> None:
    # 2026-03-19 is a Thursday, not a Wednesday: neither word is trusted
    assert resolve_due_date("on Wednesday the nineteenth", WED) is None
    assert resolve_due_date("on Thursday the nineteenth", WED) == dt.date(2026, 3, 19)


def test_a_deadline_word_wins_over_an_earlier_bare_date() -> None:
    sentence = "I'll write down what we discussed today and share it by next Friday."
    assert find_due_phrase(sentence) == "by next Friday"
    # without a deadline word the leftmost still wins
    assert find_due_phrase("I'll call them tomorrow and again on Friday.") == "tomorrow"
