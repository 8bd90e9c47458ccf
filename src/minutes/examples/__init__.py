"""Example meeting transcripts bundled with minutes, one per supported format.

All five are fictional meetings written for this project (English, named speakers, concrete
action items with owners and spoken deadlines, explicit decisions, and discussion that is
neither). Each states its title and date in the file where the format allows; ``planning.srt``
cannot (SRT has no metadata), so pass ``Example.title`` and ``Example.date`` along::

    from minutes.examples import EXAMPLES, example_path
    from minutes.transcripts import load_transcript

    info = EXAMPLES["planning"]
    transcript = load_transcript(example_path("planning"), title=info.title, date=info.date)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

_HERE = Path(__file__).resolve().parent


@dataclass(frozen=True, slots=True)
class Example:
    """One bundled transcript: its file name, what it is, and the meeting's date."""

    filename: str
    format: str
    title: str
    description: str
    date: dt.date
    date_in_file: bool


EXAMPLES: dict[str, Example] = {
    "standup": Example(
        "standup.vtt",
        "vtt",
        "Platform team stand-up",
        "Engineering stand-up (WebVTT with <v> voice tags)",
        dt.date(2025, 3, 11),
        True,
    ),
    "planning": Example(
        "planning.srt",
        "srt",
        "Sprint 14 planning",
        "Sprint planning (SRT with 'Name:' prefixes)",
        dt.date(2025, 3, 10),
        False,
    ),
    "sales_call": Example(
        "sales_call.txt",
        "text",
        "Discovery call with Northwind Logistics",
        "Sales discovery call (text with [hh:mm:ss] stamps)",
        dt.date(2025, 4, 3),
        True,
    ),
    "incident_review": Example(
        "incident_review.json",
        "json",
        "Incident review: checkout outage on 14 February",
        "Incident review (JSON segments with speaker, start, end, text)",
        dt.date(2025, 2, 19),
        True,
    ),
    "one_on_one": Example(
        "one_on_one.txt",
        "text",
        "One-on-one: Maya and Tom",
        "Manager one-on-one (text without timestamps)",
        dt.date(2025, 3, 14),
        True,
    ),
}
"""The bundled examples by name (the file stem)."""


def example_path(name: str) -> Path:
    """The path of a bundled example, by name (``"standup"``) or file name (``"standup.vtt"``).

    Raises ``KeyError`` naming the available examples for an unknown name.
    """
    key = Path(name).stem if name not in EXAMPLES else name
    if key not in EXAMPLES or (name != key and name != EXAMPLES[key].filename):
        raise KeyError(f"unknown example {name!r}; available: {', '.join(EXAMPLES)}")
    return _HERE / EXAMPLES[key].filename
