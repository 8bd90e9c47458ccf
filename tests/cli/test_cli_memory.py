"""The memory commands through the CLI, on the store MINUTES_DATABASE_URL names: search,
ask --offline, person, people merge, actions --assignee/--overdue/--due-before."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from typer.testing import CliRunner

from minutes.cli import app
from minutes.store.db import open_store
from stored_examples import store_examples

runner = CliRunner()


@pytest.fixture
def ids() -> dict[str, str]:
    store = open_store(os.environ["MINUTES_DATABASE_URL"])
    try:
        return store_examples(store)
    finally:
        store.close()


def run_json(*args: str) -> Any:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_search_finds_marks_and_filters(ids: dict[str, str]) -> None:
    hits = run_json("search", "Dynamics connector", "--limit", "3")
    assert len(hits) == 3
    assert hits[0]["meeting_id"] == ids["sales_call"]
    assert "**Dynamics**" in hits[0]["marked"] and hits[0]["speaker"] == "Emily Carter"
    assert hits[0]["meeting_date"] == "2025-04-03" and hits[0]["time"] == "0:02:01"
    none = run_json("search", "Dynamics connector", "--until", "2025-03-31")
    assert none == []
    tom = run_json("search", "Redis", "--participant", "Tom")
    assert tom and {h["meeting_id"] for h in tom} <= {ids["standup"], ids["one_on_one"]}
    table = runner.invoke(app, ["search", "Dynamics connector"])
    assert table.exit_code == 0 and "Emily Carter" in table.stdout


def test_search_rejects_a_bad_date(ids: dict[str, str]) -> None:
    result = runner.invoke(app, ["search", "Redis", "--since", "last week"])
    assert result.exit_code != 0
    assert "not a date" in str(result.exception or result.output)


def test_ask_offline_cites_passages(ids: dict[str, str]) -> None:
    answer = run_json("ask", "When will the staging Redis upgrade be done?", "--offline")
    assert answer["mode"] == "extractive" and answer["label"]
    cited = {(c["meeting_id"], c["segment"]) for cl in answer["claims"] for c in cl["citations"]}
    assert (ids["standup"], 6) in cited


def test_actions_by_alias_overdue_and_due_before(ids: dict[str, str]) -> None:
    exact = run_json("actions", "--assignee", "Tom Okafor")
    by_first_name = run_json("actions", "--assignee", "tom")
    assert exact and [a["id"] for a in by_first_name] == [a["id"] for a in exact]
    overdue = run_json("actions", "--overdue")  # the examples are dated 2025: all past
    assert overdue and all(a["status"] == "open" and a["due_date"] for a in overdue)
    before = run_json("actions", "--due-before", "2025-03-13")
    assert before and all(a["due_date"] < "2025-03-13" for a in before)
    assert len(before) < len(overdue)


def test_person_and_people_merge(ids: dict[str, str]) -> None:
    report = run_json("person", "Tom")
    assert report["person"]["name"] == "Tom Okafor"
    assert {m["id"] for m in report["meetings"]} == {ids["standup"], ids["one_on_one"]}
    assert report["open_actions"]
    merged = run_json("people", "merge", "Tom Okafor", "tokafor@acme.com")
    assert "tokafor@acme.com" in merged["names"]
    by_mail = run_json("actions", "--assignee", "tokafor@acme.com")
    mine = {a["id"] for a in report["open_actions"] + report["done_actions"]}
    assert {a["id"] for a in by_mail} == mine
    assert all(a["assignee"] == "Tom Okafor" for a in by_mail) and by_mail
    listed = run_json("people", "list")
    assert sum(p["name"] == "Tom Okafor" for p in listed) == 1
    text = runner.invoke(app, ["person", "Tom"])
    assert text.exit_code == 0 and "Open commitments" in text.stdout
