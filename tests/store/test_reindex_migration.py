"""Migration 0008: meetings stored before the search index (0006) become searchable from
their stored notes and the transcript lines those quote. Simulated by emptying a stored
meeting's index and winding the schema version back to 0007 before opening the store."""

from __future__ import annotations

from sqlalchemy import delete, func, select, text

from minutes.examples import example_path
from minutes.memory.search import search
from minutes.notes import ActionItem, Decision, MeetingNotes, SourceRef
from minutes.store.db import head_revision, open_store
from minutes.store.meetings import save_meeting
from minutes.store.models import SearchDoc
from minutes.transcripts import load_transcript


def test_a_meeting_from_before_the_index_is_found_after_the_upgrade(db_url: str) -> None:
    transcript = load_transcript(example_path("standup"))
    seg = transcript.segments[2]
    notes = MeetingNotes(
        title="Stand-up",
        tldr="The staging upgrade slips a day.",
        action_items=[
            ActionItem(
                task="Upgrade the staging cluster",
                assignee=seg.speaker,
                sources=[SourceRef(segment=seg.index, speaker=seg.speaker, quote=seg.text)],
            )
        ],
        decisions=[Decision(decision="Freeze merges on Thursday")],
    )
    store = open_store(db_url)
    try:
        with store.transaction() as session:
            meeting_id = save_meeting(session, transcript, notes)
            session.execute(delete(SearchDoc))
            session.execute(text("UPDATE alembic_version SET version_num = '0007'"))
    finally:
        store.close()

    store = open_store(db_url)  # migrates 0007 -> head
    try:
        with store.read() as session:
            assert (
                session.scalar(text("SELECT version_num FROM alembic_version")) == head_revision()
            )
            kinds = dict(
                session.execute(select(SearchDoc.kind, func.count()).group_by(SearchDoc.kind)).all()
            )
            # its items, and the one line they quote (the rest of the transcript was never kept)
            assert kinds == {"tldr": 1, "action": 1, "decision": 1, "segment": 1}
            hits = search(session, "staging cluster")
            assert hits and hits[0].meeting_id == meeting_id
            quoted = search(session, seg.text.split()[-1], kinds=["segment"])
            assert quoted and quoted[0].speaker == seg.speaker
    finally:
        store.close()
