"""Across a series: decisions that revise earlier ones, later mentions of open action items
(proposed, confirmed with --auto), through the library and the CLI."""

from __future__ import annotations

import datetime as dt
import json
import os

from typer.testing import CliRunner

from minutes.cli import app
from minutes.memory.series import (
    apply_mentions,
    decision_log,
    find_mentions,
    proposed_status,
    same_subject,
    subject_words,
)
from minutes.notes import ActionItem, Decision, MeetingNotes
from minutes.store.db import Store, open_store
from minutes.store.meetings import list_actions, save_meeting
from minutes.transcripts import parse_transcript

runner = CliRunner()


def _meeting(
    store: Store,
    day: dt.date,
    lines: list[str],
    *,
    decisions: list[Decision] = (),  # type: ignore[assignment]
    actions: list[ActionItem] = (),  # type: ignore[assignment]
) -> str:
    transcript = parse_transcript("\n".join(lines), format="text", name=f"{day}.txt")
    notes = MeetingNotes(
        title=f"Release sync {day}",
        date=day,
        participants=["Maya Chen", "Tom Okafor", "Priya Raman"],
        decisions=list(decisions),
        action_items=list(actions),
    )
    with store.transaction() as s:
        return save_meeting(s, transcript, notes)


def _series(store: Store) -> dict[str, str]:
    first = _meeting(
        store,
        dt.date(2026, 3, 2),
        [
            "Maya Chen: We decided to ship the March release on the 20th.",
            "Tom Okafor: I'll send the pricing deck to the board by Friday.",
            "Priya Raman: I'll migrate the billing database to Postgres.",
            "Maya Chen: And we agreed to keep the onboarding scope as it is.",
        ],
        decisions=[
            Decision(decision="Ship the March release on the 20th", decided_by=["Maya Chen"]),
            Decision(decision="Keep the onboarding scope as it is", decided_by=["Maya Chen"]),
        ],
        actions=[
            ActionItem(task="Send the pricing deck to the board", assignee="Tom Okafor"),
            ActionItem(task="Migrate the billing database to Postgres", assignee="Priya Raman"),
            ActionItem(task="Book the offsite venue", assignee="Maya Chen"),
        ],
    )
    second = _meeting(
        store,
        dt.date(2026, 3, 9),
        [
            "Tom Okafor: I sent the pricing deck to the board on Thursday.",
            "Priya Raman: Still working on the billing database migration to Postgres.",
            "Tom Okafor: Maya, I'll book the offsite venue next week if you like.",
            "Maya Chen: We decided to move the March release to the 27th.",
            "Maya Chen: We also decided to hire a second designer.",
        ],
        decisions=[
            Decision(decision="Move the March release to the 27th", decided_by=["Maya Chen"]),
            Decision(decision="Hire a second designer", decided_by=["Maya Chen"]),
        ],
    )
    third = _meeting(
        store,
        dt.date(2026, 3, 16),
        ["Maya Chen: Final answer: the March release ships on April 3rd."],
        decisions=[Decision(decision="The March release ships on April 3rd")],
    )
    return {"first": first, "second": second, "third": third}


def test_subjects_match_on_what_an_item_is_about() -> None:
    a = subject_words("Ship the March release on the 20th")
    assert same_subject(a, subject_words("Move the March release to the 27th"))
    assert not same_subject(a, subject_words("Hire a second designer"))
    # One shared word is not a subject.
    assert not same_subject(a, subject_words("Release the hounds"))


def test_proposed_status_reads_reports_not_promises() -> None:
    assert proposed_status("I sent the deck yesterday.") == "done"
    assert proposed_status("The migration is done.") == "done"
    assert proposed_status("Still working on the migration.") == "in_progress"
    assert proposed_status("I haven't sent the deck yet.") == "in_progress"
    assert proposed_status("I'll send the deck tomorrow.") is None
    assert proposed_status("Let's talk about the deck.") is None


def test_a_decision_revising_an_earlier_one_shows_its_chain(store: Store) -> None:
    ids = _series(store)
    with store.read() as s:
        log = decision_log(s)
    by_text = {d.decision: d for d in log}
    newest = by_text["The March release ships on April 3rd"]
    assert log[0] == newest  # newest meeting first
    assert [c.decision for c in newest.chain] == [
        "Move the March release to the 27th",
        "Ship the March release on the 20th",
    ]
    assert newest.chain[0].meeting_id == ids["second"]
    moved = by_text["Move the March release to the 27th"]
    assert moved.supersedes == by_text["Ship the March release on the 20th"].id
    # Another subject, and the first meeting's own decisions, revise nothing.
    assert by_text["Hire a second designer"].supersedes is None
    assert by_text["Keep the onboarding scope as it is"].supersedes is None
    assert by_text["Ship the March release on the 20th"].chain == []


def test_later_mentions_propose_a_status_and_auto_applies_done_ones(store: Store) -> None:
    ids = _series(store)
    with store.read() as s:
        found = {m.action.task: m for m in find_mentions(s)}
    deck = found["Send the pricing deck to the board"]
    assert deck.proposed == "done" and deck.meeting_id == ids["second"]
    assert deck.speaker == "Tom Okafor" and "I sent the pricing deck" in deck.quote
    migration = found["Migrate the billing database to Postgres"]
    assert migration.proposed == "in_progress"
    # Tom offering to book the venue is a promise by someone else, not Maya's report.
    assert "Book the offsite venue" not in found
    with store.read() as s:  # nothing changes until confirmed
        assert {a.status for a in list_actions(s)} == {"open"}
    with store.transaction() as s:
        applied = apply_mentions(s, list(found.values()))
    assert {m.action.task for m in applied if m.applied} == {"Send the pricing deck to the board"}
    with store.read() as s:
        status = {a.task: a.status for a in list_actions(s)}
        again = find_mentions(s)
    assert status["Send the pricing deck to the board"] == "done"
    assert status["Migrate the billing database to Postgres"] == "open"
    assert [m.action.task for m in again] == ["Migrate the billing database to Postgres"]


def test_the_cli_shows_chains_and_applies_updates_with_auto() -> None:
    store = open_store(os.environ["MINUTES_DATABASE_URL"])
    try:
        _series(store)
    finally:
        store.close()
    log = runner.invoke(app, ["decisions"])
    assert log.exit_code == 0, log.output
    assert "revises 2026-03-09: Move the March release to the 27th" in log.stdout
    as_json = json.loads(runner.invoke(app, ["decisions", "--json"]).stdout)
    assert as_json[0]["chain"][1]["decision"] == "Ship the March release on the 20th"
    proposed = runner.invoke(app, ["updates"])
    assert proposed.exit_code == 0, proposed.output
    assert "-> done" in proposed.stdout and "-> in progress" in proposed.stdout
    applied = json.loads(runner.invoke(app, ["updates", "--auto", "--json"]).stdout)
    assert [m["action"]["task"] for m in applied if m["applied"]] == [
        "Send the pricing deck to the board"
    ]
    actions = json.loads(runner.invoke(app, ["actions", "--json"]).stdout)
    assert {a["task"]: a["status"] for a in actions}["Send the pricing deck to the board"] == "done"
