"""The CLI as a user runs it: a real process, its exit code, stdout and stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from minutes.notes import MeetingNotes
from minutes.testing import FakeLLMServer


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "minutes", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def assert_one_clean_error(proc: subprocess.CompletedProcess[str], code: int, words: str) -> None:
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    assert words in proc.stderr
    assert proc.stdout == ""


def test_models_lists_the_registry_and_why_models_are_unavailable() -> None:
    proc = run("models")
    assert proc.returncode == 0, proc.stderr
    assert "gpt-4-turbo" in proc.stdout and "claude-3-opus-20240229" in proc.stdout
    assert "OPENAI_API_KEY is not set" in proc.stdout
    # the design's names, with what replaces them; today's, with the date of their prices
    assert "retired → claude-opus-4-5" in proc.stdout
    assert "current, 2026-12-07" in proc.stdout


def test_models_json_with_a_key_present() -> None:
    proc = run("models", "--json", env={"OPENAI_API_KEY": "sk-x"})
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    assert rows["gpt-4-turbo"]["available"] is True
    assert rows["claude-3-opus"]["available"] is False
    assert rows["claude-3-opus"]["reason"] == "ANTHROPIC_API_KEY is not set"


def test_summarize_an_example_offline_gives_labelled_extractive_notes() -> None:
    proc = run("summarize", "--example", "standup")
    assert proc.returncode == 0, proc.stderr
    md = proc.stdout
    assert md.startswith("# Platform team stand-up")
    assert "Extractive notes (no LLM)" in md
    for heading in ("## TL;DR", "## Summary", "## Key points", "## Decisions", "## Action items"):
        assert heading in md
    assert "- [ ] **" in md  # at least one assigned action item
    assert "engine: extractive" in proc.stderr and "cost $0.0000" in proc.stderr


def test_summarize_json_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "notes" / "incident.json"
    proc = run("summarize", "--example", "incident_review", "-o", "json", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    notes = MeetingNotes.model_validate_json(out.read_text())
    assert notes.engine == "extractive" and notes.action_items and notes.date is not None
    assert not list(out.parent.glob(".*"))  # no temp file left behind


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["summarize", "no/such/file.vtt"], 3, "no/such/file.vtt"),
        (["summarize", "--example", "nope"], 2, "no bundled example 'nope'"),
        (["summarize"], 2, "give a transcript PATH or --example NAME"),
        (["summarize", "--example", "standup", "--max-cost", "cheap"], 2, "--max-cost"),
        (["summarize", "--example", "standup", "--model", "gpt-4-turbo"], 4, "OPENAI_API_KEY"),
        (["summarize", "--example", "standup", "--engine", "llm"], 4, "no LLM is available"),
    ],
)
def test_bad_input_is_one_line_and_an_exit_code(args: list[str], code: int, words: str) -> None:
    assert_one_clean_error(run(*args), code, words)


def test_binary_and_empty_files_are_clean_errors(tmp_path: Path) -> None:
    binary = tmp_path / "meeting.vtt"
    binary.write_bytes(b"\x00\x01\x02WEBVTT\x00" * 100)
    assert_one_clean_error(run("summarize", str(binary)), 3, "meeting.vtt")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert_one_clean_error(run("summarize", str(empty)), 3, "empty")


def test_an_existing_output_file_survives_a_failed_run(tmp_path: Path) -> None:
    out = tmp_path / "notes.md"
    out.write_text("precious")
    proc = run("summarize", str(tmp_path / "missing.txt"), "--out", str(out))
    assert proc.returncode == 3
    assert out.read_text() == "precious"


def test_summarize_through_an_llm_configured_by_file(tmp_path: Path) -> None:
    with FakeLLMServer() as srv:
        srv.default_reply = lambda req: (
            '{"points": [], "items": [], "decisions": [], "priority": "low"}'
        )
        config = tmp_path / "config.toml"
        config.write_text(
            f"""
[router]
fallback_chain = []

[models."gpt-4-turbo"]
base_url = "{srv.openai_base_url}"
"""
        )
        proc = run(
            "summarize",
            "--example",
            "one_on_one",
            "--model",
            "gpt-4-turbo",
            "-o",
            "json",
            env={"MINUTES_CONFIG": str(config), "OPENAI_API_KEY": "sk-test"},
        )
        assert proc.returncode == 0, proc.stderr
        notes = MeetingNotes.model_validate_json(proc.stdout)
        assert notes.engine == "llm" and not notes.degraded
        assert {p.model for p in notes.provenance} == {"gpt-4-turbo"}
        assert srv.calls() >= 6
        assert "engine: llm" in proc.stderr


def test_models_and_offline_notes_agree_on_models_used_only_when_named() -> None:
    # No provider key at all: the notes say no model is reachable, so `models` must not call
    # local plainly "available" (the router never picks it by itself).
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env["COLUMNS"] = "250"  # one table row per line

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "minutes", *args],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )

    rows = {r["name"]: r for r in json.loads(cli("models", "--json").stdout)}
    assert rows["local"]["use"] == "only when named"
    assert rows["gpt-4.1-nano"]["use"] == "auto" and rows["gpt-4.1-nano"]["available"] is False
    table = cli("models").stdout
    local_row = next(line for line in table.splitlines() if "smollm2" in line)
    expected = "yes, used only when named" if rows["local"]["available"] else "no: "
    assert expected in local_row, local_row
    assert "router picks by itself" in table
    proc = cli("summarize", "--example", "standup", "--json", "--no-store")
    assert proc.returncode == 0, proc.stderr
    notes = MeetingNotes.model_validate_json(proc.stdout)
    assert notes.engine == "extractive"
    reason = " ".join(notes.warnings)
    assert "used without being named" in reason and "--model" in reason, reason
