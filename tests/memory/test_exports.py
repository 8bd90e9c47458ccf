"""The iCalendar export, read back by a real parser (icalendar), and the follow-up draft."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import icalendar
import pytest
from typer.testing import CliRunner

from minutes.cli import app
from minutes.memory.exports import followup, to_ics
from minutes.store.db import open_store
from minutes.store.meetings import ActionView
from stored_examples import example, store_examples

runner = CliRunner()


def _item(**kw: object) -> ActionView:
    base = {
        "id": 1,
        "meeting_id": "m1",
        "meeting_title": "Planning, Q3; the long one",
        "meeting_date": dt.date(2025, 3, 10),
        "task": "Send the deck to the board",
        "assignee": "Tom Okafor",
        "due_date": dt.date(2025, 3, 14),
        "due_text": "by Friday",
        "priority": "high",
        "status": "open",
    }
    return ActionView.model_validate({**base, **kw})


def test_the_calendar_parses_and_carries_each_item() -> None:
    long_task = "Rewrite the onboarding guide, with every screenshot redone — é ü " * 4
    items = [_item(), _item(id=2, task=long_task, due_date=None, assignee=None)]
    text = to_ics(items)
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))  # folded
    calendar = icalendar.Calendar.from_ical(text)
    todos = list(calendar.walk("VTODO"))
    assert len(todos) == 2
    first = todos[0]
    assert str(first["SUMMARY"]) == "Tom Okafor: Send the deck to the board"
    assert first.decoded("DUE") == dt.date(2025, 3, 14)
    assert str(first["STATUS"]) == "NEEDS-ACTION" and int(first["PRIORITY"]) == 1
    assert "Planning, Q3; the long one" in str(first["DESCRIPTION"])
    assert str(todos[1]["SUMMARY"]) == long_task  # unfolded and unescaped as it was
    assert "DUE" not in todos[1]


def test_uids_are_stable_across_exports_and_reruns() -> None:
    one = icalendar.Calendar.from_ical(to_ics([_item(id=1)]))
    # The same item after a re-run: a new row id, another export time.
    two = icalendar.Calendar.from_ical(
        to_ics([_item(id=99)], now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    )
    uid = lambda cal: [str(t["UID"]) for t in cal.walk("VTODO")]  # noqa: E731
    assert uid(one) == uid(two)
    other = icalendar.Calendar.from_ical(to_ics([_item(task="Send the deck to the team")]))
    assert uid(other) != uid(one)


def test_the_followup_draft_has_the_recap_decisions_and_owners() -> None:
    _, notes = example("planning")
    md = followup(notes)
    assert md.startswith("Subject: Follow-up: ")
    assert "**Decisions**" in md and "**Who does what**" in md
    for item in notes.action_items:
        assert item.task in md
    text = followup(notes, markdown=False)
    assert "**" not in text and "WHO DOES WHAT" in text


@pytest.fixture
def ids() -> dict[str, str]:
    store = open_store(os.environ["MINUTES_DATABASE_URL"])
    try:
        return store_examples(store)
    finally:
        store.close()


def test_the_commands_export_and_draft_from_the_store(ids: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "todo.ics"
    done = runner.invoke(app, ["export", "ics", "--out", str(out)])
    assert done.exit_code == 0, done.output
    todos = list(icalendar.Calendar.from_ical(out.read_text()).walk("VTODO"))
    listed = runner.invoke(app, ["actions", "--open", "--json"])
    assert len(todos) == len(json.loads(listed.stdout)) > 0
    mine = runner.invoke(app, ["export", "ics", "--assignee", "Tom"])
    theirs = list(icalendar.Calendar.from_ical(mine.stdout).walk("VTODO"))
    assert theirs and all("Tom" in str(t["SUMMARY"]) for t in theirs)
    draft = runner.invoke(app, ["followup", ids["planning"]])
    assert draft.exit_code == 0 and draft.stdout.startswith("Subject: Follow-up:")
    both = json.loads(runner.invoke(app, ["followup", ids["planning"], "--json"]).stdout)
    assert set(both) == {"markdown", "text"}
