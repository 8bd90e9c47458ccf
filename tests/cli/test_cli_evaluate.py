"""`minutes eval` and `minutes prompts` as a user runs them (real processes, the local MiniLM
matcher, a SQLite store): the figures are printed, stored per prompt version, and listed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evaluation.test_eval_runner import model, write_dataset
from minutes.testing import FakeLLMServer


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "minutes", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **env},
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"MINUTES_DATABASE_URL": f"sqlite:///{tmp_path / 'minutes.db'}"}


def test_eval_through_an_llm_stores_figures_that_prompts_lists(
    tmp_path: Path, env: dict[str, str]
) -> None:
    data = write_dataset(tmp_path / "set")
    report = tmp_path / "report.md"
    with FakeLLMServer() as srv:
        srv.default_reply = model
        config = tmp_path / "config.toml"
        config.write_text(
            f'[router]\nfallback_chain = []\n\n[models."gpt-4-turbo"]\n'
            f'base_url = "{srv.openai_base_url}"\n'
        )
        env = {**env, "MINUTES_CONFIG": str(config), "OPENAI_API_KEY": "sk-test"}
        proc = run(
            "eval",
            str(data),
            "--model",
            "gpt-4-turbo",
            "--prompt",
            "action_item_extraction@2.0",
            "--report",
            str(report),
            env=env,
        )
    assert proc.returncode == 0, proc.stderr
    # MiniLM matches these identical texts as the exact matcher of the runner test did
    assert "Action items F1" in proc.stdout and "0.667" in proc.stdout
    assert "stored 6 row(s)" in proc.stderr  # 7 prompts, but no meeting needed a reduce
    assert "| Action items precision | 0.667 |" in report.read_text()

    listing = run("prompts", "--json", env=env)
    assert listing.returncode == 0, listing.stderr
    rows = {(p["name"], p["version"]): p for p in json.loads(listing.stdout)["prompts"]}
    measured = rows[("action_item_extraction", "2.0")]["evaluations"]
    assert [(e["dataset"], e["model"], e["samples"]) for e in measured] == [
        ("set", "gpt-4-turbo", 2)
    ]
    assert measured[0]["metrics"]["figures"]["due_date.accuracy"] == 1.0
    assert rows[("action_item_extraction", "2.1")]["evaluations"] == []  # not the one measured

    table = run("prompts", env=env)
    assert table.returncode == 0, table.stderr
    assert "set · gpt-4-turbo · P 0.67 R 0.67 F1 0.67 assignee 0.50 due 1.00" in table.stdout
    assert "not evaluated" in table.stdout  # 2.1 and the refine prompt

    show = run("prompts", "show", "action_item_extraction@2.0", env=env)
    assert show.returncode == 0, show.stderr
    assert "action_item_extraction@2.0" in show.stdout and "List every action item" in show.stdout
    assert "Evaluations of action_item_extraction@2.0" in show.stdout


def test_extractive_eval_is_the_baseline_and_json_goes_to_stdout(
    tmp_path: Path, env: dict[str, str]
) -> None:
    data = write_dataset(tmp_path / "set")
    proc = run(
        "eval", str(data), "--engine", "extractive", "--json", "--report", str(tmp_path / "r.md"),
        env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["dataset"] == "set" and result["prompts_used"] == []
    assert result["summary"]["meetings"] == 2 and result["similarity"].startswith("all-MiniLM")
    listing = run("prompts", env=env)
    assert "Extractive engine (the no-LLM baseline)" in listing.stdout
    assert "set · extractive · actions F1" in listing.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["eval", "/nowhere/at/all", "--no-store"], "does not exist"),
        (["eval", "dev", "--prompt", "action_item_extraction@9.9"], "has no version 9.9"),
        (["eval", "dev", "--prompt", "action_item_extraction"], "needs NAME@VERSION"),
        (["prompts", "show", "no_such_prompt"], "no prompt named 'no_such_prompt'"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(args: list[str], words: str, env: dict[str, str]) -> None:
    proc = run(*args, env=env)
    assert proc.returncode == 2, proc.stderr
    assert words in proc.stderr and "Traceback" not in proc.stderr
