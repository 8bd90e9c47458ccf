"""``minutes mcp`` as a real subprocess, driven by the MCP SDK's stdio client: the six tools
over the bundled example meetings, stored in the SQLite file MINUTES_DATABASE_URL names."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import CallToolResult, TextContent

from minutes.memory.series import decision_log
from minutes.store.db import open_store
from minutes.store.meetings import list_actions
from stored_examples import store_examples

TOOLS = {
    "search_meetings",
    "ask_meetings",
    "person",
    "decision_log",
    "open_action_items",
    "meeting_notes",
}
# What the isolating fixture of tests/conftest.py set; the stdio client passes on only these
# (and its short list of safe variables such as PATH).
PASSED_ON = ("MINUTES_DATABASE_URL", "MINUTES_CONFIG", "XDG_DATA_HOME", "OLLAMA_HOST")


@pytest.fixture
def ids() -> dict[str, str]:
    store = open_store(os.environ["MINUTES_DATABASE_URL"])
    try:
        return store_examples(store)
    finally:
        store.close()


@pytest.fixture
def server_log(tmp_path: Path) -> Path:
    return tmp_path / "server.log"


@asynccontextmanager
async def connected(home: Path, log: Path) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "minutes", "mcp"],
        env={**{k: os.environ[k] for k in PASSED_ON}, "HOME": str(home)},
        cwd=home,
    )
    with log.open("w", encoding="utf-8") as errlog:
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            yield session


def logged(log: Path) -> str:
    """What the server wrote on stderr."""
    return log.read_text(encoding="utf-8")


def error_text(result: CallToolResult) -> str:
    """The one line an error result carries."""
    assert result.is_error and len(result.content) == 1
    block = result.content[0]
    assert isinstance(block, TextContent)
    return block.text


async def call(session: ClientSession, tool: str, **arguments: Any) -> Any:
    result = await session.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    return result.structured_content


async def test_lists_the_six_tools(ids: dict[str, str], tmp_path: Path, server_log: Path) -> None:
    async with connected(tmp_path, server_log) as session:
        listed = await session.list_tools()
    assert {t.name for t in listed.tools} == TOOLS
    assert all(t.description for t in listed.tools)


async def test_search_finds_a_stored_meeting(
    ids: dict[str, str], tmp_path: Path, server_log: Path
) -> None:
    async with connected(tmp_path, server_log) as session:
        found = await call(session, "search_meetings", query="Dynamics connector", limit=3)
        none = await call(
            session, "search_meetings", query="Dynamics connector", until="2025-03-31"
        )
    hits = found["hits"]
    assert len(hits) == 3 and hits[0]["meeting_id"] == ids["sales_call"]
    assert "**Dynamics**" in hits[0]["marked"] and hits[0]["meeting_date"] == "2025-04-03"
    assert none["hits"] == []


async def test_decision_log_and_open_action_items_are_the_stored_ones(
    ids: dict[str, str], tmp_path: Path, server_log: Path
) -> None:
    store = open_store(os.environ["MINUTES_DATABASE_URL"])
    try:
        with store.read() as session:
            decisions = [d.id for d in decision_log(session, limit=50)]
            standup = [d.id for d in decision_log(session, meeting_id=ids["standup"])]
            items = [a.id for a in list_actions(session, open_only=True)]
    finally:
        store.close()
    assert decisions and standup and items
    async with connected(tmp_path, server_log) as session:
        log = await call(session, "decision_log")
        one = await call(session, "decision_log", meeting=ids["standup"][:8])
        open_items = await call(session, "open_action_items")
        overdue = await call(session, "open_action_items", overdue=True)
        toms = await call(session, "open_action_items", assignee="tom")
    assert [d["id"] for d in log["decisions"]] == decisions
    assert [d["id"] for d in one["decisions"]] == standup
    assert [a["id"] for a in open_items["action_items"]] == items
    # The examples are dated 2025: every item with a due date is overdue.
    assert overdue["action_items"] and all(a["due_date"] for a in overdue["action_items"])
    assert toms["action_items"]
    assert all(a["assignee"] == "Tom Okafor" for a in toms["action_items"])


async def test_an_unknown_meeting_is_an_error_result_and_the_server_goes_on(
    ids: dict[str, str], tmp_path: Path, server_log: Path
) -> None:
    async with connected(tmp_path, server_log) as session:
        bad = await session.call_tool("meeting_notes", {"meeting": "ffffffffff"})
        bad_day = await session.call_tool("search_meetings", {"query": "Redis", "since": "monday"})
        good = await call(session, "meeting_notes", meeting=ids["standup"])
    text = error_text(bad)
    assert "no meeting 'ffffffffff'" in text and "\n" not in text
    assert "since: 'monday' is not a date (YYYY-MM-DD)" in error_text(bad_day)
    assert good["summary"]["id"] == ids["standup"]
    assert good["notes"]["action_items"] and good["actions"]
    assert "Traceback" not in logged(server_log)


async def test_ask_offline_cites_passages(
    ids: dict[str, str], tmp_path: Path, server_log: Path
) -> None:
    async with connected(tmp_path, server_log) as session:
        answer = await call(
            session,
            "ask_meetings",
            question="When will the staging Redis upgrade be done?",
            offline=True,
        )
        report = await call(session, "person", name="Tom")
    assert answer["mode"] == "extractive" and answer["label"]
    cited = {(c["meeting_id"], c["segment"]) for cl in answer["claims"] for c in cl["citations"]}
    assert (ids["standup"], 6) in cited
    assert report["person"]["name"] == "Tom Okafor"
    assert {m["id"] for m in report["meetings"]} == {ids["standup"], ids["one_on_one"]}
