"""What stored meetings give to other tools: open action items as an iCalendar file, and a
follow-up email draft of one meeting.

The calendar is written by hand (RFC 5545 is a few lines of text; the plain install needs no
library for it) and read back by the ``icalendar`` parser in the tests. Each item's UID comes
from its meeting, task and assignee, not from its row id (a re-run of a meeting replaces its
rows): importing a new export updates the calendar's entries instead of adding copies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable

from minutes.notes import MeetingNotes
from minutes.store.meetings import ActionView
from minutes.units import utcnow

PRODID = "-//minutes//meeting action items//EN"


def item_uid(item: ActionView) -> str:
    key = "\x1f".join(
        [item.meeting_id, " ".join(item.task.lower().split()), (item.assignee or "").lower()]
    )
    return f"{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}@minutes"


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Lines of at most 75 octets, continued with a space (RFC 5545 3.1)."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts: list[str] = []
    start = 0
    while start < len(data):
        end = min(start + (75 if not parts else 74), len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # not inside a UTF-8 sequence
            end -= 1
        parts.append(data[start:end].decode("utf-8"))
        start = end
    return "\r\n ".join(parts)


def to_ics(items: Iterable[ActionView], *, now: dt.datetime | None = None) -> str:
    """A VCALENDAR with one VTODO per item (with DUE when the item has a due date)."""
    stamp = (now or utcnow()).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN"]
    for item in items:
        lines += ["BEGIN:VTODO", f"UID:{item_uid(item)}", f"DTSTAMP:{stamp}"]
        who = f"{item.assignee}: " if item.assignee else ""
        lines.append(f"SUMMARY:{_escape(who + item.task)}")
        where = item.meeting_title or item.meeting_id
        when = f" ({item.meeting_date.isoformat()})" if item.meeting_date else ""
        lines.append(f"DESCRIPTION:{_escape(f'From the meeting {where}{when}.')}")
        if item.due_date is not None:
            lines.append(f"DUE;VALUE=DATE:{item.due_date:%Y%m%d}")
        lines.append("STATUS:" + ("COMPLETED" if item.status == "done" else "NEEDS-ACTION"))
        priority = {"high": 1, "normal": 5, "low": 9}.get(item.priority)
        if priority is not None:
            lines.append(f"PRIORITY:{priority}")
        lines.append("END:VTODO")
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def followup(notes: MeetingNotes, *, markdown: bool = True) -> str:
    """A follow-up email draft: subject, recap, decisions, who does what by when."""
    title = notes.title or "our meeting"
    day = f" ({notes.date.isoformat()})" if notes.date else ""
    bullet = "- " if markdown else "  * "
    out: list[str] = [f"Subject: Follow-up: {title}{day}", "", "Hi all,", ""]
    out.append("Thanks for your time. A short recap:" if notes.tldr else "A short recap:")
    out += ["", notes.tldr or notes.narrative or "(no summary)", ""]

    def heading(text: str) -> None:
        out.extend([f"**{text}**" if markdown else text.upper(), ""])

    if notes.decisions:
        heading("Decisions")
        for d in notes.decisions:
            by = f" ({', '.join(d.decided_by)})" if d.decided_by else ""
            out.append(f"{bullet}{d.decision}{by}")
        out.append("")
    if notes.action_items:
        heading("Who does what")
        for a in notes.action_items:
            who = a.assignee or "someone"
            due = f" by {a.due_date:%A %d %B}" if a.due_date else ""
            out.append(f"{bullet}{who}: {a.task}{due}")
        out.append("")
    else:
        out += ["No action items were recorded.", ""]
    if notes.engine != "llm":
        out += ["(Drafted from extractive notes: sentences picked from the transcript.)", ""]
    out += ["Best,", ""]
    return "\n".join(out)
