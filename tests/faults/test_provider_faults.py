"""Fault injection over real HTTP: the primary provider (OpenAI's models) fails 10 %, 50 % or
100 % of its calls in one way at a time; every meeting still completes with valid notes, and
the ledger holds exactly the attempts the fake server saw, counted on both sides.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from minutes.config import Settings
from minutes.examples import example_path
from minutes.llm.registry import load_registry
from minutes.notes import MeetingNotes
from minutes.pipeline.options import PipelineOptions
from minutes.runs.stored import run_stored
from minutes.store.db import open_store
from minutes.store.models import LLMCall
from minutes.testing import FakeLLMServer, Fault, RecordedRequest
from minutes.transcripts import load_transcript
from scripted_replies import scripted, served_models

FAULTS: dict[str, Fault] = {
    "429 with Retry-After": Fault.rate_limit(retry_after=0.01),
    "500": Fault.status(500),
    "503": Fault.status(503),
    "timeout": Fault.stall(4.0),  # the client gives up after timeout_s (1 s)
    "truncated body": Fault.malformed(),
    # Headers and half the body, then a TCP reset: the SDK's read fails mid-body.
    "connection reset mid-body": Fault.reset(),
}
RATES = {"10pct": 0.1, "50pct": 0.5, "100pct": 1.0}


def _failing(rate: float, fault: Fault) -> Callable[[RecordedRequest], object]:
    """A responder that fails ``rate`` of the OpenAI models' calls, evenly and repeatably."""
    counter = itertools.count()
    lock = threading.Lock()

    def respond(req: RecordedRequest) -> object:
        if (req.model or "").startswith("gpt-"):
            with lock:
                n = next(counter)
            if int((n + 1) * rate) > int(n * rate):
                return fault
        return scripted(req)

    return respond


@pytest.mark.parametrize("rate", RATES.values(), ids=RATES.keys())
@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
async def test_meetings_complete_and_the_ledger_matches_the_server(
    fault: Fault,
    rate: float,
    tmp_path: Path,
    fake_server: FakeLLMServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "DEEPSEEK_API_KEY"):
        monkeypatch.setenv(key, "sk-test")
    fake_server.default_reply = _failing(rate, fault)
    db = f"sqlite:///{tmp_path / 'm.db'}"
    settings = Settings(
        database_url=db,
        models=served_models(fake_server),
        resilience={
            "max_attempts": 3,
            # Short only where the fault is a stall: elsewhere a loaded machine must not turn a
            # slow answer into a timeout the server never saw (the counts would then differ).
            "timeout_s": 1.0 if fault.kind == "stall" else 30.0,
            "backoff_initial_s": 0.01,
            "backoff_max_s": 0.05,
        },
        cache={"enabled": False},
    )
    notes: list[MeetingNotes] = []
    for name in ("standup", "one_on_one"):
        transcript = load_transcript(example_path(name))
        outcome = await run_stored(transcript, PipelineOptions(), settings)
        notes.append(MeetingNotes.model_validate(outcome.notes.model_dump()))
    assert all(n.engine == "llm" and n.tldr for n in notes), [
        (n.engine, n.degraded_reasons) for n in notes
    ]
    chat = [r for r in fake_server.requests if not r.inputs]  # no embedding requests here
    store = open_store(db)
    try:
        with store.read() as session:
            rows = list(session.scalars(select(LLMCall)))
    finally:
        store.close()
    assert len(rows) == len(chat), (
        len(rows),
        len(chat),
        Counter(row.outcome for row in rows),
        Counter(r.model for r in chat),
    )
    # Model by model too: the server sees provider model ids, the ledger registry names.
    registry = load_registry(None, settings.models)
    assert Counter(registry[row.model].model_id for row in rows) == Counter(r.model for r in chat)
    failed = [row for row in rows if row.outcome != "ok"]
    if rate == 1.0:
        assert failed and all(row.model.startswith("gpt-") for row in failed)
