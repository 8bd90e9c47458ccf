"""kill -9 at each stage of a stored run and of a batch run, then a re-run: no half-written
meeting, no duplicate meeting or notes, nothing paid twice.

Real processes (``python -m minutes``) against the fake server over HTTP, with a SQLite store in
a temporary folder. The fake server picks the moment: a responder sees each request arrive,
says when the chosen one has (an event), and holds it and every later one, so the process is
killed while it waits on a provider with its earlier answers stored. The ledger and the cache
are written behind the calls (a few milliseconds later, in background threads): the kill waits
until the ledger holds every answered call, so "already answered" means "answered and
recorded", which is what a re-run can know of.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from minutes.notes import MeetingNotes
from minutes.testing import FakeLLMServer, Fault, RecordedRequest
from pipeline.scripted import LINES, MEETING_DATE, good_model, stage_of

EXTRACTION = {"map", "actions", "decisions"}
PAID = "SELECT count(*) FROM llm_calls WHERE cache = 'none' AND outcome = 'ok'"


def _setup(tmp_path: Path, srv: FakeLLMServer) -> tuple[dict[str, str], Path, Path]:
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[router]
fallback_chain = []

[cache.semantic]
enabled = false

[models."gpt-4-turbo"]
base_url = "{srv.openai_base_url}"
"""
    )
    db = tmp_path / "minutes.db"
    env = {
        **os.environ,
        "MINUTES_CONFIG": str(config),
        "MINUTES_DATABASE_URL": f"sqlite:///{db}",
        "OPENAI_API_KEY": "sk-test",
    }
    transcript = tmp_path / "launch.txt"
    transcript.write_text("".join(f"{speaker}: {text}\n" for speaker, text in LINES))
    return env, db, transcript


def _minutes(*args: str) -> list[str]:
    return [sys.executable, "-m", "minutes", *args]


def _summarize(transcript: Path, *more: str) -> list[str]:
    return _minutes(
        "summarize", str(transcript), "--model", "gpt-4-turbo", "--date",
        MEETING_DATE.isoformat(), *more,
    )  # fmt: skip


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


def _wait_for(what: Callable[[], bool], timeout: float, label: str) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {label}")
        time.sleep(0.05)


def _request_key(req: RecordedRequest) -> str:
    return json.dumps([req.model, req.messages], sort_keys=True)


class Gate:
    """Answers as a good model would until ``trigger`` picks a request; from then on holds it
    and every later request (the process is killed before they end) and sets ``closed``."""

    def __init__(self, trigger: Callable[[RecordedRequest, int], bool]) -> None:
        self.trigger = trigger
        self.closed = threading.Event()
        self.held: set[int] = set()
        self._seen = 0
        self._lock = threading.Lock()

    def __call__(self, req: RecordedRequest) -> str | Fault:
        with self._lock:
            self._seen += 1
            if self.closed.is_set() or self.trigger(req, self._seen):
                self.closed.set()
                self.held.add(id(req))
                return Fault.stall(600)
        return good_model(req)


def _nth_of(stages: set[str], n: int) -> Callable[[RecordedRequest, int], bool]:
    count = 0

    def trigger(req: RecordedRequest, _seen: int) -> bool:
        nonlocal count
        if stage_of(req) in stages:
            count += 1
        return count >= n

    return trigger


def _assert_no_meeting(db: Path) -> None:
    for table in ("meetings", "notes", "action_items", "decisions"):
        assert _count(db, f"SELECT count(*) FROM {table}") == 0, table


def _assert_one_meeting(db: Path, stdout: str) -> None:
    notes = MeetingNotes.model_validate_json(stdout)
    assert notes.engine == "llm" and notes.tldr and not notes.degraded, notes.degraded_reasons
    assert _count(db, "SELECT count(*) FROM meetings") == 1
    assert _count(db, "SELECT count(*) FROM notes") == 1
    stored = _count(db, "SELECT count(*) FROM action_items")
    assert stored == len(notes.action_items)


def _rerun(
    srv: FakeLLMServer, env: dict[str, str], db: Path, transcript: Path
) -> list[RecordedRequest]:
    """Run the killed meeting again to the end: one whole meeting; the requests it sent."""
    before = len(srv.requests)
    again = subprocess.run(
        _summarize(transcript, "-o", "json"), env=env, capture_output=True, text=True,
        timeout=180,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    _assert_one_meeting(db, again.stdout)
    return srv.requests[before:]


@pytest.mark.parametrize(
    "trigger",
    [
        _nth_of(EXTRACTION, 2),  # chunk extraction: one of its three calls answered
        _nth_of({"reduce"}, 1),  # key points consolidated from the chunk's
        _nth_of({"narrative"}, 1),
        _nth_of({"tldr"}, 1),  # the last stage: every other call answered
    ],
    ids=["extraction", "reduce", "narrative", "tldr"],
)
def test_a_stored_run_killed_at_a_stage_then_run_again_pays_nothing_twice(
    tmp_path: Path, trigger: Callable[[RecordedRequest, int], bool]
) -> None:
    with FakeLLMServer() as srv:
        env, db, transcript = _setup(tmp_path, srv)
        gate = Gate(trigger)
        srv.default_reply = gate
        proc = subprocess.Popen(_summarize(transcript, "-o", "json"), env=env)
        try:
            assert gate.closed.wait(120), "the chosen request never came"
            answered = [r for r in srv.requests if id(r) not in gate.held]
            _wait_for(lambda: _count(db, PAID) == len(answered), 60, "the ledger rows")
            time.sleep(0.3)  # the cache entries, written as the ledger rows are
        finally:
            proc.kill()
        proc.wait(30)
        assert proc.returncode == -9
        _assert_no_meeting(db)
        assert answered and _count(db, PAID) == len(answered)

        srv.default_reply = good_model
        rerun = _rerun(srv, env, db, transcript)
        # Nothing answered before the kill is asked again: the exact cache answers it.
        assert not {_request_key(r) for r in answered} & {_request_key(r) for r in rerun}
        assert _count(db, "SELECT count(*) FROM llm_calls WHERE cache = 'exact'") >= len(answered)
        # Every provider answer has one paid ledger row; none has two.
        assert _count(db, PAID) == len(answered) + len(rerun)


def test_a_stored_run_killed_during_the_save_leaves_no_half_meeting(tmp_path: Path) -> None:
    # Every call but the TL;DR is answered and recorded; the TL;DR is answered a few seconds
    # late, and meanwhile the test takes the database's write lock: the save (one
    # transaction) then starts and waits inside it, and the kill lands there. The TL;DR's
    # ledger row and cache entry wait behind the same lock and die with the process: that
    # one call is asked again (one ledger row, not two).
    hold_s = 5.0
    with FakeLLMServer() as srv:
        env, db, transcript = _setup(tmp_path, srv)
        last = threading.Event()

        def respond(req: RecordedRequest) -> str | Fault:
            if stage_of(req) == "tldr" and not last.is_set():
                last.set()
                return Fault.stall(hold_s, then=good_model(req))
            return good_model(req)

        srv.default_reply = respond
        proc = subprocess.Popen(_summarize(transcript, "-o", "json"), env=env)
        lock = sqlite3.connect(db, timeout=60, isolation_level=None)
        try:
            assert last.wait(120), "the TL;DR request never came"
            held_at = time.monotonic()
            answered = srv.requests[:-1]
            _wait_for(lambda: _count(db, PAID) == len(answered), hold_s, "the ledger rows")
            time.sleep(0.3)  # the cache entries, written as the ledger rows are
            lock.execute("BEGIN IMMEDIATE")  # the store's writers wait from here
            assert time.monotonic() - held_at < hold_s, "too slow: the TL;DR came back first"
            time.sleep(hold_s + 1.5)  # the TL;DR is back; the save waits on the lock
            assert proc.poll() is None, "the run ended although the store was locked"
        finally:
            proc.kill()
            proc.wait(30)
            lock.execute("ROLLBACK")
            lock.close()
        _assert_no_meeting(db)
        assert _count(db, PAID) == len(answered)

        rerun = _rerun(srv, env, db, transcript)
        assert not {_request_key(r) for r in answered} & {_request_key(r) for r in rerun}
        assert [stage_of(r) for r in rerun] == ["tldr"]
        assert _count(db, PAID) == len(answered) + 1


# --- batch runs --------------------------------------------------------------------------------


def _collect(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _minutes("batch", "collect", "--wait", "--poll", "0.1"),
        env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip


def _assert_batch_run_finished_once(db: Path, srv: FakeLLMServer) -> None:
    submitted = [cid for ids in srv.batch_custom_ids().values() for cid in ids]
    assert submitted and len(submitted) == len(set(submitted)), "a request was submitted twice"
    assert srv.calls(api="openai") == 0  # everything went through the Batch API
    succeeded = _count(db, "SELECT count(*) FROM batch_requests WHERE status = 'succeeded'")
    # Each answer the provider gave is ingested once, with one paid ledger row.
    assert succeeded == srv.calls(api="openai-batch") == len(submitted)
    assert _count(db, PAID) == succeeded
    assert _count(db, "SELECT count(*) FROM meetings") == 1
    assert _count(db, "SELECT count(*) FROM notes") == 1
    assert _count(db, "SELECT count(*) FROM batch_runs WHERE status != 'done'") == 0


def test_a_batch_run_killed_at_submit_finds_its_batch_again(tmp_path: Path) -> None:
    with FakeLLMServer() as srv:
        env, db, transcript = _setup(tmp_path, srv)
        srv.default_reply = good_model
        # The provider has the batch; the process dies before it hears the batch's id.
        srv.batch_create_delay = 600
        proc = subprocess.Popen(_summarize(transcript, "--batch"), env=env)
        try:
            _wait_for(lambda: len(srv.batch_ids()) == 1, 120, "the batch")
        finally:
            proc.kill()
        proc.wait(30)
        assert _count(db, "SELECT count(*) FROM batch_jobs WHERE provider_batch_id IS NULL") == 1
        srv.batch_create_delay = 0

        done = _collect(env)
        assert done.returncode == 0, done.stderr
        with sqlite3.connect(db) as conn:
            rounds = conn.execute("SELECT round, provider_batch_id FROM batch_jobs ORDER BY round")
            jobs = list(rounds)
        # The batch sent before the kill was found and adopted, not sent again; the resumed
        # run's rounds go on from it.
        assert jobs[0] == (1, srv.batch_ids()[0])
        assert [r for r, _ in jobs] == list(range(1, len(jobs) + 1))
        _assert_batch_run_finished_once(db, srv)

        # Stored now: a new --batch run skips it, submits nothing, and still prints its notes.
        again = subprocess.run(
            _summarize(transcript, "--batch", "-o", "json"), env=env, capture_output=True,
            text=True, timeout=120,
        )  # fmt: skip
        assert again.returncode == 0, again.stderr
        assert MeetingNotes.model_validate_json(again.stdout).engine == "llm"
        _assert_batch_run_finished_once(db, srv)


@pytest.mark.parametrize(
    ("stage", "delay"),
    [("map", 0.0), ("map", 0.4), ("narrative", 0.0), ("tldr", 0.2)],
    ids=["round-1-results", "round-1-ingest", "round-2-results", "last-round"],
)
def test_a_batch_run_killed_during_collect_ingests_nothing_twice(
    tmp_path: Path, stage: str, delay: float
) -> None:
    with FakeLLMServer() as srv:
        env, db, transcript = _setup(tmp_path, srv)
        srv.default_reply = good_model
        submit = subprocess.run(
            _summarize(transcript, "--batch"), env=env, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        assert submit.returncode == 0, submit.stderr
        assert len(srv.batch_ids()) == 1
        reached = threading.Event()

        def respond(req: RecordedRequest) -> str:
            # Batch requests are answered when the collector's poll finds the batch ended.
            if stage_of(req) == stage:
                reached.set()
            return good_model(req)

        srv.default_reply = respond
        proc = subprocess.Popen(_minutes("batch", "collect", "--wait", "--poll", "0.1"), env=env)
        try:
            assert reached.wait(180), f"the {stage} requests were never answered"
            time.sleep(delay)
        finally:
            proc.kill()
        proc.wait(30)
        assert _count(db, "SELECT count(*) FROM notes") <= 1

        srv.default_reply = good_model
        done = _collect(env)
        assert done.returncode == 0, done.stderr
        _assert_batch_run_finished_once(db, srv)
