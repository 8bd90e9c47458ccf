"""The Python API: minutes.summarize (sync) and minutes.asummarize (async)."""

from __future__ import annotations

import datetime as dt

import pytest

import minutes
from minutes.errors import TranscriptError
from minutes.examples import example_path
from scripted_replies import scripted


def test_summarize_an_example_offline() -> None:
    notes = minutes.summarize(example_path("incident_review"))
    assert isinstance(notes, minutes.MeetingNotes)
    assert notes.engine == "extractive" and notes.action_items and notes.tldr
    assert notes.date == dt.date(2025, 2, 19)


async def test_asummarize_with_a_title_and_date() -> None:
    notes = await minutes.asummarize(
        example_path("planning"), title="Sprint 14 planning", date=dt.date(2025, 3, 10)
    )
    assert notes.title == "Sprint 14 planning" and notes.date == dt.date(2025, 3, 10)
    assert all(a.due_date is None or a.due_date >= dt.date(2025, 3, 10) for a in notes.action_items)


def test_two_sync_runs_in_one_process_share_a_gateway(make_gateway, fake_server) -> None:
    # each summarize() is its own asyncio.run: SDK clients must not leak across event loops
    fake_server.default_reply = scripted
    gw = make_gateway()
    first = minutes.summarize(example_path("one_on_one"), gateway=gw)
    second = minutes.summarize(example_path("one_on_one"), gateway=gw)
    assert first.engine == second.engine == "llm"
    assert not first.degraded and not second.degraded


def test_bad_input_raises_a_typed_error(tmp_path) -> None:
    with pytest.raises(TranscriptError):
        minutes.summarize(tmp_path / "missing.vtt")


def test_a_transcripts_own_warnings_reach_the_notes(tmp_path) -> None:
    path = tmp_path / "nul.txt"
    path.write_bytes(b"Alice: hello\x00 there, I will send the deck by Friday.\nBob: ok thanks\n")
    notes = minutes.summarize(path, date=dt.date(2025, 3, 10))
    assert any("NUL" in w for w in notes.warnings), notes.warnings
