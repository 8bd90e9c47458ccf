"""The bundled example meetings, summarized by the extractive engine and stored (shared by
the memory, CLI and service tests)."""

from __future__ import annotations

from functools import cache

from minutes.examples import EXAMPLES, example_path
from minutes.extractive import summarize_extractive
from minutes.notes import MeetingNotes
from minutes.store.db import Store
from minutes.store.meetings import save_meeting
from minutes.transcripts import load_transcript
from minutes.transcripts.models import Transcript


@cache
def example(name: str) -> tuple[Transcript, MeetingNotes]:
    info = EXAMPLES[name]
    transcript = load_transcript(example_path(name), title=info.title, date=info.date)
    return transcript, summarize_extractive(transcript)


def store_examples(store: Store, *names: str, tenant: str = "default") -> dict[str, str]:
    """Save the named examples (all of them by default); their meeting ids by name."""
    ids = {}
    for name in names or tuple(EXAMPLES):
        transcript, notes = example(name)
        with store.transaction() as session:
            ids[name] = save_meeting(session, transcript, notes, tenant=tenant)
    return ids
