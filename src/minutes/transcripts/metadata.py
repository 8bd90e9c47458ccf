"""Metadata stated in a file (title, date, timezone) and the fallbacks when it is not.

Text files and WebVTT ``NOTE`` blocks may start with ``Key: value`` lines; only the keys below
are read, so a header never swallows a speaker's first line::

    Title: Platform stand-up
    Date: 2025-03-11
    Timezone: Europe/London
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import zoneinfo
from dataclasses import dataclass
from pathlib import PurePath

from minutes.errors import TranscriptError

logger = logging.getLogger(__name__)

_TITLE_KEYS = frozenset({"title", "meeting", "meeting title", "subject", "topic"})
_DATE_KEYS = frozenset({"date", "meeting date"})
_TIMEZONE_KEYS = frozenset({"timezone", "time zone", "tz"})
# Read and dropped: participants are derived from the speakers.
_IGNORED_KEYS = frozenset({"attendees", "participants", "location"})
_HEADER_KEYS = _TITLE_KEYS | _DATE_KEYS | _TIMEZONE_KEYS | _IGNORED_KEYS
_HEADER_LINE = re.compile(r"\s*([A-Za-z][A-Za-z ]{0,20}?)\s*:\s*(.+?)\s*")


@dataclass(slots=True)
class Header:
    """Metadata read from a file's header lines; ``None`` where the file says nothing."""

    title: str | None = None
    date: dt.date | None = None
    timezone: str | None = None


def header_field(line: str) -> tuple[str, str] | None:
    """``(key, value)`` for a known ``Key: value`` header line, else ``None``."""
    match = _HEADER_LINE.fullmatch(line)
    if not match or match.group(1).lower() not in _HEADER_KEYS:
        return None
    return match.group(1).lower(), match.group(2)


def read_header(lines: list[str]) -> tuple[Header, int]:
    """Read known ``Key: value`` lines at the top; return the header and how many lines it used.

    A YAML-style ``---`` fence around them is accepted (Markdown front matter).
    """
    header = Header()
    position = 0
    # A fence counts only when it closes: a lone "---" rule must not swallow the transcript.
    fenced = (
        bool(lines)
        and lines[0].strip() == "---"
        and any(line.strip() == "---" for line in lines[1:])
    )
    if fenced:
        position = 1
    while position < len(lines):
        line = lines[position]
        if fenced and line.strip() == "---":
            position += 1
            break
        if not line.strip() and fenced:
            position += 1
            continue
        field = header_field(line)
        if field is None:
            if fenced:  # an unknown front-matter key: skip it rather than read it as speech
                position += 1
                continue
            break
        apply_field(header, *field)
        position += 1
    return header, position


def apply_field(header: Header, key: str, value: str) -> None:
    """Store one header field, parsing dates and checking timezones (bad values are skipped)."""
    if key in _TITLE_KEYS:
        header.title = value.strip() or header.title
    elif key in _DATE_KEYS:
        header.date = parse_date(value) or header.date
    elif key in _TIMEZONE_KEYS:
        if is_timezone(value.strip()):
            header.timezone = value.strip()
        else:
            logger.warning("ignoring unknown timezone %r stated in the transcript", value)


def parse_date(value: object) -> dt.date | None:
    """A date from ISO text (``2025-03-11``, ``2025-03-11T10:00:00Z``) or a written date.

    Written dates ("11 March 2025", English only) go through dateparser, imported only when
    needed because it is slow to import; relative phrases ("next week") are refused, a meeting
    date must not depend on when the file is read. Returns ``None`` (and logs why) when nothing
    sensible comes out: a wrong date in a file should not stop the notes, the pipeline then asks
    for ``--date``.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        pass
    import dateparser

    parsed = dateparser.parse(
        text,
        languages=["en"],  # all languages: ~2 s per unreadable date
        settings={
            "REQUIRE_PARTS": ["day", "month", "year"],
            "PARSERS": ["custom-formats", "absolute-time"],
        },
    )
    if parsed is None:
        logger.warning("ignoring unreadable date %r stated in the transcript", text)
        return None
    return parsed.date()


def is_timezone(name: str) -> bool:
    """Whether ``name`` is an IANA timezone this system knows."""
    if not name or name.startswith(("/", ".")):
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a 300-letter name
        return False
    return True


def check_timezone(name: str | None) -> str | None:
    """Validate a timezone given by the caller; a wrong one is the caller's error to hear about."""
    if name is None:
        return None
    if not is_timezone(name):
        raise TranscriptError(
            f"unknown timezone {name!r}: expected an IANA name like 'Europe/Paris'"
        )
    return name


def title_from_name(name: str | None) -> str | None:
    """A readable title from a file name: ``incident_review.json`` → ``Incident review``."""
    if not name:
        return None
    stem = PurePath(name).stem
    words = " ".join(re.sub(r"[_\-]+", " ", stem).split())
    if not words:
        return None
    # Only lower-case stems get a capital: "ES2003b" or "Q3-OKRs" are kept as written.
    return words[0].upper() + words[1:] if words.islower() else words
