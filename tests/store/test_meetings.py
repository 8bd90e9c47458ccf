"""Meetings, notes, action items and decisions in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from minutes.errors import NotFound
from minutes.llm.calls import AttemptRecord
from minutes.notes import ActionItem, Decision, MeetingNotes, SourceRef, StageProvenance
from minutes.store import meetings as repo
from minutes.store.cache_store import CacheStore, NewEntry
from minutes.store.db import Store
from minutes.store.ledger import insert_rows, row_of
from minutes.store.models import LLMCall
from minutes.transcripts import parse_transcript
from minutes.transcripts.models import Transcript


def transcript(
    text: str = "Alice: We ship on Friday.\nBob: I'll write the release notes.",
) -> Transcript:
    return parse_transcript(text, format="text", name="weekly.txt")


def notes(*tasks: tuple[str, str | None], cost: str = "0.0125") -> MeetingNotes:
    return MeetingNotes(
        title="Weekly",
        date=dt.date(2026, 11, 20),
        participants=["Alice", "Bob"],
        tldr="We ship Friday.",
        action_items=[
            ActionItem(
                task=task,
                assignee=who,
                due_date=dt.date(2026, 11, 23),
                sources=[SourceRef(segment=1, speaker="Bob", quote="write the release notes")],
            )
            for task, who in tasks
        ],
        decisions=[Decision(decision="Ship on Friday", decided_by=["Alice"])],
        engine="llm",
        provenance=[StageProvenance(stage="tldr", engine="llm", cost_usd=Decimal(cost))],
    )


def count(store: Store, table: str) -> int:
    with store.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_save_list_show_round_trip(store: Store) -> None:
    t = transcript()
    with store.transaction() as s:
        meeting_id = repo.save_meeting(
            s, t, notes(("Write the release notes", "Bob")), source_path="weekly.txt"
        )
    with store.read() as s:
        [summary] = repo.list_meetings(s)
        detail = repo.get_meeting(s, meeting_id[:8])
    assert summary.id == meeting_id
    assert (summary.title, summary.date, summary.runs) == ("Weekly", dt.date(2026, 11, 20), 1)
    assert (summary.action_items, summary.decisions) == (1, 1)
    assert summary.cost_usd == Decimal("0.012500")
    assert detail.notes.action_items[0].sources[0].quote == "write the release notes"
    assert detail.notes.decisions[0].decision == "Ship on Friday"
    assert [a.task for a in detail.actions] == ["Write the release notes"]


def test_same_transcript_again_adds_a_notes_row_to_the_same_meeting(store: Store) -> None:
    t = transcript()
    with store.transaction() as s:
        first = repo.save_meeting(s, t, notes(("Write the release notes", "Bob")))
    with store.read() as s:
        [action] = repo.list_actions(s)
    with store.transaction() as s:
        repo.set_action_status(s, action.id, done=True)
    with store.read() as s:
        assert repo.meeting_id_for(s, t) == first  # known before the run, for the ledger
    with store.transaction() as s:
        second = repo.save_meeting(
            s, t, notes(("Write the release notes", "Bob"), ("Book the venue", "Alice"))
        )
    assert second == first
    assert count(store, "meetings") == 1
    assert count(store, "notes") == 2
    with store.read() as s:
        actions = {a.task: a.status for a in repo.list_actions(s)}
        assert repo.list_meetings(s)[0].runs == 2
    # items of the newest run only; a reappearing item keeps its status
    assert actions == {"Write the release notes": "done", "Book the venue": "open"}


def test_actions_across_meetings_filtered_by_assignee_and_status(store: Store) -> None:
    with store.transaction() as s:
        repo.save_meeting(
            s, transcript(), notes(("Write the notes", "Bob"), ("Call Acme", "Alice"))
        )
        repo.save_meeting(
            s,
            transcript("Carol: Budget review.\nBob: I'll send the budget."),
            notes(("Send the budget", "Bob")),
        )
    with store.read() as s:
        assert {a.task for a in repo.list_actions(s)} == {
            "Write the notes",
            "Call Acme",
            "Send the budget",
        }
        bobs = repo.list_actions(s, assignee="bob")
        assert {a.task for a in bobs} == {"Write the notes", "Send the budget"}
    with store.transaction() as s:
        repo.set_action_status(s, bobs[0].id, done=True)
    with store.read() as s:
        open_bob = repo.list_actions(s, assignee="Bob", open_only=True)
    assert [a.task for a in open_bob] == [b.task for b in bobs[1:]]


def test_an_interrupted_save_leaves_nothing(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> list[object]:
        raise RuntimeError("interrupted after the meeting and notes rows were written")

    monkeypatch.setattr(repo, "_decision_rows", boom)
    with pytest.raises(RuntimeError), store.transaction() as s:
        repo.save_meeting(s, transcript(), notes(("Write the notes", "Bob")))
    for table in ("meetings", "notes", "action_items", "decisions"):
        assert count(store, table) == 0, table


def test_forget_deletes_the_meeting_its_rows_and_cache_entries_and_detaches_the_ledger(
    store: Store,
) -> None:
    t = transcript()
    with store.read() as s:
        meeting_id = repo.meeting_id_for(s, t)
    other = repo.new_meeting_id()
    with store.transaction() as s:
        repo.save_meeting(s, t, notes(("Write the notes", "Bob")), meeting_id=meeting_id)
    cache = CacheStore(store)
    cache.put(NewEntry(exact_key="k1", scope="s", model="m", response="r", meeting_id=meeting_id))
    cache.put(NewEntry(exact_key="k2", scope="s", model="m", response="r", meeting_id=other))
    attempt = AttemptRecord(
        at=dt.datetime.now(dt.UTC),
        task="extract_actions",
        meeting_id=meeting_id,
        provider="openai",
        model="gpt-4-turbo",
        cost_usd=Decimal("0.01"),
        outcome="ok",
    )
    insert_rows(store, [row_of(attempt)])

    with store.transaction() as s:
        result = repo.forget_meeting(s, meeting_id[:6])
    assert (result.notes, result.action_items, result.decisions) == (1, 1, 1)
    assert (result.cache_entries, result.ledger_rows_detached) == (1, 1)
    for table in ("meetings", "notes", "action_items", "decisions"):
        assert count(store, table) == 0, table
    assert cache.get_exact("k1") is None
    assert cache.get_exact("k2") is not None
    with store.read() as s:
        row = s.scalars(sa.select(LLMCall)).one()
    assert row.meeting_id is None and row.cost_micros == 10_000  # the spend is kept
    with store.read() as s, pytest.raises(NotFound, match="no meeting"):
        repo.get_meeting(s, meeting_id)


def test_ids_resolve_from_unique_prefixes_only(store: Store) -> None:
    with store.transaction() as s:
        a = repo.save_meeting(s, transcript(), notes(), meeting_id="abcd1111" + "0" * 24)
        repo.save_meeting(s, transcript("X: other"), notes(), meeting_id="abcd2222" + "0" * 24)
    with store.read() as s:
        assert repo.resolve_meeting_id(s, "abcd1") == a
        with pytest.raises(NotFound, match="more than one"):
            repo.resolve_meeting_id(s, "abcd")
        with pytest.raises(NotFound, match="at least 4"):
            repo.resolve_meeting_id(s, "abc")
