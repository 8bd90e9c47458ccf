"""The newcomer's path through the CLI, on SQLite and PostgreSQL: summarize two meetings,
re-run one from the cache, then read meetings, actions, costs, metrics and cache stats back;
forget a meeting; estimate a run without calling anything."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from typer.testing import CliRunner

from minutes.cli import app, main
from minutes.testing import FakeLLMServer, RecordedRequest
from scripted_replies import scripted

runner = CliRunner()


def replies(req: RecordedRequest) -> str:
    text = "\n".join(m["content"] for m in req.messages if m["role"] == "user")
    if '"items"' in text:  # one action item per chunk, quoting the chunk's first segment
        segment = int(m.group(1)) if (m := re.search(r"^\[(\d+)\]", text, re.M)) else 0
        return json.dumps(
            {
                "items": [
                    {
                        "task": "Send the summary to the team",
                        "assignee": "Maya Chen",
                        "due": "by Friday",
                        "segment": segment,
                    }
                ]
            }
        )
    return scripted(req)


@pytest.fixture
def cli_env(
    db_url: str, fake_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> FakeLLMServer:
    """The CLI as a user runs it: keys set, providers at the fake server, the test's store."""
    monkeypatch.setenv("MINUTES_DATABASE_URL", db_url)
    for var, value in {
        "OPENAI_API_KEY": "sk-test",
        "ANTHROPIC_API_KEY": "sk-ant-test",
        "DEEPSEEK_API_KEY": "sk-ds-test",
        "OPENAI_BASE_URL": fake_server.openai_base_url,
        "ANTHROPIC_BASE_URL": fake_server.anthropic_base_url,
        "DEEPSEEK_BASE_URL": fake_server.openai_base_url,
        "OLLAMA_HOST": fake_server.ollama_base_url,
    }.items():
        monkeypatch.setenv(var, value)
    fake_server.default_reply = replies
    return fake_server


def cli(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def said(result: Any) -> str:
    """stderr as one line (Rich wraps at the test terminal's width)."""
    return " ".join(result.stderr.split())


def cli_json(*args: str) -> Any:
    return json.loads(cli(*args, "--json").stdout)


def test_two_meetings_then_costs_metrics_and_a_cached_rerun(cli_env: FakeLLMServer) -> None:
    first = cli("summarize", "--example", "standup", "-o", "json")
    assert json.loads(first.stdout)["engine"] == "llm"
    assert re.search(r"0 cache hit\(s\).*stored as [0-9a-f]{8}", said(first))
    cli("summarize", "--example", "planning")
    calls_after_two = cli_env.calls()
    assert calls_after_two > 0
    cost_after_two = cli_json("costs")["total_usd"]

    again = cli("summarize", "--example", "standup")
    assert cli_env.calls() == calls_after_two  # the re-run called no provider
    assert re.search(r"0 LLM call\(s\) · [1-9]\d* cache hit\(s\).*cost \$0\.0000", said(again))
    assert cli_json("costs")["total_usd"] == cost_after_two

    meetings = cli_json("meetings")
    assert sorted(m["runs"] for m in meetings) == [1, 2]
    standup = next(m for m in meetings if m["runs"] == 2)
    assert standup["title"] == "Platform team stand-up"

    by_model = cli_json("costs", "--by", "model")["rows"]
    assert {r["key"] for r in by_model} >= {"gpt-4.1-mini", "gpt-4.1-nano"}  # the defaults
    assert sum(r["cache_hits"] for r in by_model) > 0

    metrics = cli_json("metrics", "--hours", "1")["rows"]
    total = metrics[-1]
    assert total["model"] == "(all)" and total["exact_hits"] > 0
    assert total["success_rate"] == 1.0 and total["p95_latency_ms"] >= total["p50_latency_ms"] > 0

    stats = cli_json("cache", "stats")
    assert stats["entries"] > 0 and stats["hits"]["exact"] == total["exact_hits"]
    # the test install has the embeddings extra: hnswlib on SQLite
    assert stats["vector_search"] in ("hnswlib", "pgvector", "numpy")

    shown = cli("show", standup["id"][:8])
    assert "# Platform team stand-up" in shown.stdout
    assert "Send the summary to the team" in shown.stdout


def test_actions_done_and_forget(cli_env: FakeLLMServer) -> None:
    cli("summarize", "--example", "standup")
    cli("summarize", "--example", "planning")
    items = cli_json("actions", "--assignee", "maya chen")
    assert items and all(i["assignee"] == "Maya Chen" for i in items)
    cli("done", str(items[0]["id"]))
    still_open = cli_json("actions", "--assignee", "Maya Chen", "--open")
    assert len(still_open) == len(items) - 1

    entries_before = cli_json("cache", "stats")["entries"]
    victim = cli_json("meetings")[0]["id"]
    gone = cli("forget", victim[:6], "--yes")
    assert f"forgot meeting {victim}" in said(gone)
    assert [m["id"] for m in cli_json("meetings")] != [] and victim not in {
        m["id"] for m in cli_json("meetings")
    }
    assert cli_json("cache", "stats")["entries"] < entries_before
    assert cli_json("costs")["total_usd"] != "0.000000"  # the spend stays in the ledger


def test_dry_run_estimates_per_stage_and_calls_nothing(cli_env: FakeLLMServer) -> None:
    result = cli("summarize", "--example", "standup", "--dry-run", "-o", "json")
    assert cli_env.calls() == 0
    estimate = json.loads(result.stdout)
    tasks = {s["task"] for s in estimate["stages"]}
    assert {"extract_actions", "extract_decisions", "generate_tldr"} <= tasks
    assert float(estimate["total_usd"]) > 0
    assert estimate["expected_usd"] is None  # an empty ledger: nothing to expect from
    assert cli_json("meetings") == []


def test_after_real_runs_the_dry_run_expects_each_task_s_usual_output(
    cli_env: FakeLLMServer,
) -> None:
    cli("summarize", "--example", "standup", "--no-cache")
    calls = cli_env.calls()
    result = cli("summarize", "--example", "standup", "--dry-run", "-o", "json")
    assert cli_env.calls() == calls
    estimate = json.loads(result.stdout)
    expected, upper = Decimal(estimate["expected_usd"]), Decimal(estimate["total_usd"])
    # the scripted answers are short: far under the max_tokens ceilings
    assert Decimal(0) < expected < upper
    assert estimate["expected_from_calls"] > 0
    assert all(s["expected_usd"] is not None for s in estimate["stages"])


def test_no_store_keeps_no_meeting_but_the_ledger_still_counts(cli_env: FakeLLMServer) -> None:
    cli("summarize", "--example", "standup", "--no-store", "--no-cache")
    assert cli_json("meetings") == []
    assert cli_json("cache", "stats")["entries"] == 0
    assert float(cli_json("costs")["total_usd"]) > 0


def test_an_unreachable_database_is_one_line_and_exit_9(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MINUTES_DATABASE_URL", "postgresql://nobody:pw@127.0.0.1:9/none")
    monkeypatch.setattr("sys.argv", ["minutes", "meetings"])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 9
    message = capsys.readouterr().err
    assert message.startswith("error: cannot open the database") and "Traceback" not in message
    assert "pw@" not in message


def test_a_meeting_over_its_max_usd_falls_back_stage_by_stage_and_says_why(
    cli_env: FakeLLMServer,
) -> None:
    result = cli("summarize", "--example", "standup", "--max-usd", "0.0001", "-o", "json")
    notes = json.loads(result.stdout)
    reasons = " ".join(notes["degraded_reasons"])
    assert "per-meeting budget of $0.0001 would be crossed" in reasons
    # only calls that fit under the limit were made (the TL;DR's, at a few hundredths of a cent)
    assert Decimal(cli_json("costs")["total_usd"]) <= Decimal("0.0001")
    assert notes["action_items"]  # the extractive engine answered for the stages
