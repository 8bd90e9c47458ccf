"""People across meetings: aliases from the meetings, the config and merges; their view."""

from __future__ import annotations

import datetime as dt

import pytest

from minutes.memory.people import merge, people, person_report, resolve_person, same_person
from minutes.notes import ActionItem, MeetingNotes
from minutes.store.db import Store
from minutes.store.meetings import list_actions, save_meeting, set_action_status
from minutes.transcripts import parse_transcript
from stored_examples import store_examples


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Tom", "Tom Okafor", True),
        ("tom okafor", "Tom Okafor", True),
        ("tom@acme.com", "Tom Okafor", True),
        ("tom.okafor@acme.com", "Tom Okafor", True),
        ("tokafor@acme.com", "Tom Okafor", True),
        ("Tom Okafor <t.o@acme.com>", "t.o@acme.com", True),
        ("Tom Reed", "Tom Okafor", False),
        ("Tim", "Tom Okafor", False),
        ("maya@acme.com", "Tom Okafor", False),
    ],
)
def test_same_person(a: str, b: str, same: bool) -> None:
    assert same_person(a, b) is same
    assert same_person(b, a) is same


def _meeting(store: Store, text: str, participants: list[str], actions: list[ActionItem]) -> str:
    transcript = parse_transcript(text, format="text", name="x.txt")
    notes = MeetingNotes(
        title="Sync", date=dt.date(2026, 1, 5), participants=participants, action_items=actions
    )
    with store.transaction() as s:
        return save_meeting(s, transcript, notes)


def test_a_first_name_finds_the_full_name_and_assignees_resolve(store: Store) -> None:
    store_examples(store, "standup", "one_on_one")
    with store.read() as s:
        tom = resolve_person(s, "Tom")
        by_alias = list_actions(s, assignees=tom.names)
        exact = list_actions(s, assignee="Tom")
    assert tom.name == "Tom Okafor" and "Tom Okafor" in tom.names
    assert exact == []  # the plain filter: nobody is called just "Tom"
    assert by_alias and all(a.assignee == "Tom Okafor" for a in by_alias)


def test_two_toms_make_a_first_name_ambiguous(store: Store) -> None:
    _meeting(store, "Tom Okafor: hi\nTom Reed: hello", ["Tom Okafor", "Tom Reed"], [])
    with store.read() as s:
        tom = resolve_person(s, "Tom")
        okafor = resolve_person(s, "Tom Okafor")
    assert tom.names == ["Tom"]
    assert tom.ambiguous == ["Tom Okafor", "Tom Reed"]
    assert "Tom Reed" not in okafor.names


def test_merge_and_config_aliases(store: Store) -> None:
    _meeting(
        store,
        "Tom Okafor: I'll send the deck.\nT-Bone: sure",
        ["Tom Okafor", "T-Bone", "tom@acme.com"],
        [ActionItem(task="Send the deck", assignee="T-Bone")],
    )
    with store.read() as s:
        assert "T-Bone" not in resolve_person(s, "Tom Okafor").names
        assert "tom@acme.com" in resolve_person(s, "Tom Okafor").names  # e-mail rule
        via_config = resolve_person(s, "Tom Okafor", config={"Tom Okafor": ["T-Bone"]})
    assert "T-Bone" in via_config.names
    with store.transaction() as s:
        merged = merge(s, "Tom Okafor", "T-Bone")
    assert {"Tom Okafor", "T-Bone"} <= set(merged.names)
    with store.read() as s:
        again = resolve_person(s, "t-bone")
        listed = people(s)
        items = list_actions(s, assignees=again.names)
    assert again.name == "Tom Okafor"
    assert [t.task for t in items] == ["Send the deck"]
    assert sum(1 for p in listed if p.name == "Tom Okafor") == 1
    assert not any(p.name == "T-Bone" for p in listed)


def test_person_report_puts_overdue_first(store: Store) -> None:
    ids = store_examples(store, "standup", "one_on_one")
    with store.read() as s:
        report = person_report(s, "tom", today=dt.date(2025, 3, 17))
    opened = report.open_actions
    assert opened, "Tom has open items in the examples"
    overdue = [a.due_date is not None and a.due_date < dt.date(2025, 3, 17) for a in opened]
    assert overdue == sorted(overdue, reverse=True)  # every overdue item before the others
    assert any(overdue)
    assert {m["id"] for m in report.meetings} == set(ids.values())
    first = opened[0]
    with store.transaction() as s:
        set_action_status(s, first.id, done=True)
    with store.read() as s:
        after = person_report(s, "Tom Okafor", today=dt.date(2025, 3, 17))
    assert [a.id for a in after.done_actions] == [first.id]
    assert first.id not in [a.id for a in after.open_actions]


def test_decisions_they_made(store: Store) -> None:
    from minutes.notes import Decision

    transcript = parse_transcript(
        "Maya Chen: We go with ninety percent.", format="text", name="d.txt"
    )
    notes = MeetingNotes(
        title="Ops",
        participants=["Maya Chen"],
        decisions=[Decision(decision="Alert at ninety percent", decided_by=["Maya"])],
    )
    with store.transaction() as s:
        save_meeting(s, transcript, notes)
    with store.read() as s:
        report = person_report(s, "Maya Chen")
    assert [d.decision for d in report.decisions] == ["Alert at ninety percent"]
