"""``minutes keys``, ``minutes budgets`` and ``minutes serve`` as a user runs them: a key
printed once and stored hashed, a tenant's budget that its jobs obey, and the one-machine
start (a real ``minutes serve`` process, SQLite, jobs in the process) answering over HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from minutes.cli import app, main
from minutes.store.db import open_store
from minutes.store.models import ApiKey

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "minutes" / "examples"


def test_a_key_is_printed_once_and_only_its_hash_is_kept() -> None:
    made = runner.invoke(app, ["keys", "create", "--tenant", "acme", "--name", "ci"])
    assert made.exit_code == 0, made.output
    key = made.stdout.splitlines()[0].strip()
    assert key.startswith("mk_") and len(key) > 40
    store = open_store(os.environ["MINUTES_DATABASE_URL"])
    with store.read() as session:
        rows = session.query(ApiKey).all()
    store.close()
    assert len(rows) == 1 and key not in {rows[0].key_hash, rows[0].prefix}
    listed = runner.invoke(app, ["keys", "list", "--json"])
    assert listed.exit_code == 0 and key not in listed.stdout
    assert json.loads(listed.stdout)[0]["tenant"] == "acme"
    revoked = runner.invoke(app, ["keys", "revoke", rows[0].prefix])
    assert revoked.exit_code == 0 and "revoked" in revoked.stdout
    assert json.loads(runner.invoke(app, ["keys", "list", "--json"]).stdout)[0]["revoked_at"]


def _main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str]:
    """Through main(), the console script, which maps errors to exit codes."""
    capsys.readouterr()
    monkeypatch.setattr("sys.argv", ["minutes", *args])
    with pytest.raises(SystemExit) as info:
        main()
    code = info.value.code
    return (code if isinstance(code, int) else 0), " ".join(capsys.readouterr().err.split())


def test_bad_tenants_amounts_and_keys_are_usage_errors(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, said = _main(monkeypatch, capsys, "keys", "create", "--tenant", "a b/c")
    assert code == 2 and "--tenant" in said
    code, said = _main(monkeypatch, capsys, "budgets", "set", "--tenant", "x", "--daily", "lots")
    assert code == 2 and "--daily" in said
    code, said = _main(monkeypatch, capsys, "keys", "revoke", "mk_nothing")
    assert code == 10 and "no API key" in said


def test_budgets_are_set_and_listed_per_tenant() -> None:
    done = runner.invoke(
        app, ["budgets", "set", "--tenant", "acme", "--daily", "2.50", "--on-exceed", "fail"]
    )
    assert done.exit_code == 0, done.output
    rows = json.loads(runner.invoke(app, ["budgets", "list", "--json"]).stdout)
    assert rows == [
        {
            "tenant": "acme",
            "daily_usd": "2.500000",
            "monthly_usd": None,
            "on_exceed": "fail",
            "updated_at": rows[0]["updated_at"],
        }
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_minutes_serve_alone_takes_a_transcript_and_makes_its_notes(tmp_path: Path) -> None:
    key = runner.invoke(app, ["keys", "create", "--tenant", "acme"]).stdout.split()[0]
    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "minutes", "serve", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=os.environ.copy(),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise AssertionError((tmp_path / "serve.log").read_text())
        auth = {"Authorization": f"Bearer {key}"}
        with (EXAMPLES / "one_on_one.txt").open("rb") as fh:
            submitted = httpx.post(
                f"{base}/v1/meetings",
                files={"file": ("one_on_one.txt", fh, "text/plain")},
                headers=auth,
            )
        assert submitted.status_code == 202, submitted.text
        job_url = f"{base}/v1/jobs/{submitted.json()['job_id']}"
        job: dict = {}
        while time.monotonic() < deadline:
            job = httpx.get(job_url, headers=auth).json()
            if job["status"] in ("done", "failed"):
                break
            time.sleep(0.2)
        assert job["status"] == "done", job
        notes = httpx.get(
            f"{base}/v1/meetings/{submitted.json()['meeting_id']}/notes?format=md", headers=auth
        )
        assert notes.status_code == 200 and "## TL;DR" in notes.text
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    logged = (tmp_path / "serve.log").read_text()
    assert key not in logged  # keys never reach the log
    assert "Maya" not in logged  # nor the transcript
