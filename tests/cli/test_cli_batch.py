"""``minutes summarize`` over several meetings, live and ``--batch``, as a user runs it: a real
process against the fake server; exit codes, JSON Lines, skipping stored meetings, resuming a
batch run in a second process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from minutes.notes import MeetingNotes
from minutes.testing import FakeLLMServer

EXAMPLES = Path(__file__).parents[2] / "src" / "minutes" / "examples"
REPLY = '{"points": [], "items": [], "decisions": [], "priority": "low"}'


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "minutes", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


def configured(tmp_path: Path, srv: FakeLLMServer) -> dict[str, str]:
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[router]
fallback_chain = []

[models."gpt-4-turbo"]
base_url = "{srv.openai_base_url}"
"""
    )
    return {"MINUTES_CONFIG": str(config), "OPENAI_API_KEY": "sk-test"}


def test_a_directory_runs_concurrently_one_failure_is_reported_and_sets_the_exit_code(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "meetings"
    folder.mkdir()
    for name in ("standup.vtt", "sales_call.txt"):
        (folder / name).write_bytes((EXAMPLES / name).read_bytes())
    (folder / "broken.vtt").write_bytes(b"\x00\x01WEBVTT\x00" * 50)
    with FakeLLMServer() as srv:
        srv.default_reply = REPLY
        env = configured(tmp_path, srv)
        proc = run("summarize", str(folder), "--model", "gpt-4-turbo", "-o", "json", env=env)
        assert proc.returncode == 1, proc.stderr
        lines = proc.stdout.splitlines()
        assert len(lines) == 2  # JSON Lines: one document per meeting that worked
        assert all(MeetingNotes.model_validate_json(line).engine == "llm" for line in lines)
        assert "broken.vtt" in proc.stderr and "failed" in proc.stderr
        assert "standup.vtt" in proc.stderr and "gpt-4-turbo" in proc.stderr
        calls = srv.calls()

        # Stored with identical content: skipped, no call made, and the stored notes are the
        # documents (one per input, in input order); --force runs them again.
        good = [str(folder / "standup.vtt"), str(folder / "sales_call.txt")]
        again = run("summarize", *good, "--model", "gpt-4-turbo", "-o", "json", env=env)
        assert again.returncode == 0, again.stderr
        assert again.stderr.count("skipped") >= 2
        stored = [MeetingNotes.model_validate_json(line) for line in again.stdout.splitlines()]
        assert [n.engine for n in stored] == ["llm", "llm"]
        assert [n.model_dump() for n in stored] == [
            MeetingNotes.model_validate_json(line).model_dump() for line in lines[::-1]
        ]
        assert srv.calls() == calls
        out = tmp_path / "out"
        forced = run(
            "summarize", *good, "--force", "--no-cache", "--model", "gpt-4-turbo", "-o", "json",
            "--out", str(out), env=env,
        )  # fmt: skip
        assert forced.returncode == 0, forced.stderr
        assert sorted(p.name for p in out.iterdir()) == ["sales_call.json", "standup.json"]
        assert srv.calls() > calls


def test_batch_submit_then_collect_in_another_process(tmp_path: Path) -> None:
    files = [str(EXAMPLES / "standup.vtt"), str(EXAMPLES / "sales_call.txt")]
    with FakeLLMServer() as srv:
        srv.default_reply = REPLY
        srv.batch_completion_delay = 0.5
        env = configured(tmp_path, srv)
        proc = run("summarize", "--batch", *files, "--model", "gpt-4-turbo", env=env)
        assert proc.returncode == 0, proc.stderr
        assert "minutes batch collect" in proc.stderr and "running" in proc.stderr
        assert len(srv.batch_ids()) == 1

        status = run("batch", "status", env=env)
        assert status.returncode == 0 and "in_progress" in status.stderr

        done = run("batch", "collect", "--wait", "--poll", "0.1", env=env)
        assert done.returncode == 0, done.stderr
        assert "· done" in done.stderr
        assert srv.calls(api="openai") == 0  # everything went through the Batch API
        sent = srv.calls(api="openai-batch")
        again = run("batch", "collect", env=env)  # done already: nothing sent again
        assert again.returncode == 0 and srv.calls(api="openai-batch") == sent
        meetings = run("meetings", "--json", env=env)
        assert meetings.returncode == 0, meetings.stderr
        assert len(json.loads(meetings.stdout)) == 2


def test_batch_still_writes_the_documents_of_meetings_skipped_as_stored(tmp_path: Path) -> None:
    standup, sales = str(EXAMPLES / "standup.vtt"), str(EXAMPLES / "sales_call.txt")
    with FakeLLMServer() as srv:
        srv.default_reply = REPLY
        srv.batch_completion_delay = 0.5
        env = configured(tmp_path, srv)
        first = run("summarize", standup, "--model", "gpt-4-turbo", "-o", "json", env=env)
        assert first.returncode == 0, first.stderr
        stored = MeetingNotes.model_validate_json(first.stdout)

        # Without --wait: the stored meeting's document now, the other one's after collect.
        out = tmp_path / "out"
        proc = run(
            "summarize", "--batch", standup, sales, "--model", "gpt-4-turbo", "-o", "json",
            "--out", str(out), env=env,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        assert "skipped" in proc.stderr and "minutes batch collect" in proc.stderr
        assert proc.stdout == ""
        assert [p.name for p in out.iterdir()] == ["standup.json"]
        written = MeetingNotes.model_validate_json((out / "standup.json").read_text())
        assert written.model_dump() == stored.model_dump()
        assert len(srv.batch_ids()) == 1  # only sales_call was submitted

        # On stdout too, and with --wait every input's document, in input order. (Batches
        # that end at once: `summarize --wait` polls every 30 s, with no option to change it.)
        srv.batch_completion_delay = 0
        done = run(
            "summarize", "--batch", "--wait", standup, sales, "--model", "gpt-4-turbo", "-o",
            "json", "--force", env=env,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        lines = [MeetingNotes.model_validate_json(line) for line in done.stdout.splitlines()]
        assert [n.title for n in lines] == [stored.title, lines[1].title] and len(lines) == 2
        assert lines[1].title != stored.title and all(n.engine == "llm" for n in lines)
