"""The stored meetings as Model Context Protocol tools (the official SDK's ``MCPServer``),
served on stdio by ``minutes mcp``.

Each tool is a thin wrapper over the memory and store functions the CLI commands use:
search, ask, person, the decision log, open action items, one meeting's notes. Their
results are JSON objects; a ``MinutesError`` (an unknown meeting, a bad date) reaches the
client as the tool's error result, in one line, and the server goes on answering.

The SDK, SQLAlchemy and the gateway are imported when the server is built or a tool runs,
not when this module is imported.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

from minutes.errors import MinutesError

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from minutes.config import Settings
    from minutes.memory.search import EmbedFn
    from minutes.store.db import Store

NAME = "minutes"
INSTRUCTIONS = (
    "The user's stored meetings: search transcripts and notes, ask questions answered with "
    "cited quotes, look up a person's commitments, the decision log, open action items, and "
    "one meeting's notes. Dates are YYYY-MM-DD; a meeting is named by its id or a unique "
    "prefix of at least four characters."
)


@contextmanager
def _tool_errors() -> Iterator[None]:
    """A ``MinutesError`` becomes the SDK's ``ToolError``: its message reaches the client as
    an error result (any other exception is reported by the SDK as a crash, without text)."""
    try:
        yield
    except MinutesError as exc:
        from mcp.server.mcpserver.exceptions import ToolError

        raise ToolError(str(exc)) from exc


def _day(value: str | None, argument: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        from minutes.errors import ConfigError

        raise ConfigError(f"{argument}: {value!r} is not a date (YYYY-MM-DD)") from None


def _between(value: int, low: int, high: int, argument: str) -> int:
    if not low <= value <= high:
        from minutes.errors import ConfigError

        raise ConfigError(f"{argument}: {value} is not between {low} and {high}")
    return value


class _Archive:
    """The settings and the store the tools share: the store opens on the first call (so a
    store that cannot be opened is that call's error, not a server that will not start) and
    closes when the server stops."""

    def __init__(self, settings: Settings, store_url: str | None) -> None:
        self.settings = settings
        self.url = store_url if store_url is not None else settings.database_url
        self._store: Store | None = None
        self._embed: EmbedFn | None = None
        self._embed_checked = False
        self._lock = threading.Lock()  # sync tools run on worker threads

    def store(self) -> Store:
        with self._lock:
            if self._store is None:
                from minutes.store.db import open_store

                self._store = open_store(self.url)
            return self._store

    def embedder(self) -> EmbedFn | None:
        """The query embedder when the store holds vectors and the local embedder is
        installed (the CLI's default, without ``--semantic``)."""
        from minutes.memory.search import local_embedder, vectors_stored

        store = self.store()
        with store.read() as session:
            if not vectors_stored(session):
                return None
        with self._lock:
            if not self._embed_checked:
                self._embed = local_embedder()
                self._embed_checked = True
            return self._embed

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


def build_server(store_url: str | None = None) -> MCPServer[None]:
    """The MCP server of the stored meetings: ``store_url``, else the configured store
    (``MINUTES_DATABASE_URL``, else the user's SQLite file). Settings load now, so a bad
    config file stops it before it serves."""
    import anyio.to_thread
    from mcp.server.mcpserver import MCPServer

    from minutes.config import load_settings

    archive = _Archive(load_settings(), store_url)

    @asynccontextmanager
    async def lifespan(_server: MCPServer[None]) -> AsyncIterator[None]:
        try:
            yield None
        finally:
            archive.close()

    server: MCPServer[None] = MCPServer(NAME, instructions=INSTRUCTIONS, lifespan=lifespan)

    @server.tool()
    async def search_meetings(
        query: str,
        since: str | None = None,
        until: str | None = None,
        participant: str | None = None,
        meeting: str | None = None,
        limit: int = 10,
    ) -> dict[str, Any]:
        """Search transcripts and notes across the stored meetings (full text, fused with
        vector similarity when the store holds vectors). since/until: meeting dates
        YYYY-MM-DD (inclusive); participant: only meetings this person attended (any of
        their names); meeting: only this meeting (id or prefix); limit: 1 to 200 hits.
        Each hit has the meeting's id, title and date, the speaker, the time into the
        meeting, and the text with the matching words marked **like this**."""
        from minutes.memory.search import search

        with _tool_errors():
            first, last = _day(since, "since"), _day(until, "until")
            _between(limit, 1, 200, "limit")
            embed = await anyio.to_thread.run_sync(archive.embedder)
            vector = (await embed([query]))[0] if embed else None

            def run() -> list[dict[str, Any]]:
                with archive.store().read() as session:
                    hits = search(
                        session,
                        query,
                        since=first,
                        until=last,
                        participant=participant,
                        meeting=meeting,
                        limit=limit,
                        query_vector=vector,
                        people=archive.settings.people,
                    )
                return [h.model_dump(mode="json") for h in hits]

            return {"query": query, "hits": await anyio.to_thread.run_sync(run)}

    @server.tool()
    async def ask_meetings(question: str, limit: int = 8, offline: bool = False) -> dict[str, Any]:
        """Answer a question from the stored meetings, each claim cited with the meeting and a
        verbatim quote of its transcript. limit: passages to retrieve (1 to 30). offline:
        no language model, the best passages ranked and cited (also the answer when no model
        answers)."""
        from minutes.memory.ask import ask

        with _tool_errors():
            _between(limit, 1, 30, "limit")
            store = await anyio.to_thread.run_sync(archive.store)
            embed = await anyio.to_thread.run_sync(archive.embedder)
            gateway = None
            if not offline:
                from minutes.llm.gateway import Gateway

                gateway = Gateway(archive.settings, store=store)
            try:
                answer = await ask(
                    store,
                    question,
                    gateway=gateway,
                    limit=limit,
                    embed=embed,
                    people=archive.settings.people,
                )
            finally:
                if gateway is not None:
                    await anyio.to_thread.run_sync(gateway.close)
            return answer.model_dump(mode="json")

    @server.tool()
    def person(name: str) -> dict[str, Any]:
        """One person across the meetings, by a name, first name or e-mail address: their
        open commitments (overdue first), done ones, the decisions they made, the meetings
        they attended."""
        from minutes.memory.people import person_report

        with _tool_errors(), archive.store().read() as session:
            report = person_report(session, name, config=archive.settings.people)
            return report.model_dump(mode="json")

    @server.tool()
    def decision_log(meeting: str | None = None, limit: int = 50) -> dict[str, Any]:
        """The decision log across meetings, newest meeting first, each decision with the
        earlier decisions it revises (same subject, earlier meeting). meeting: only this
        meeting's decisions (id or prefix); limit: how many (1 to 1000)."""
        from minutes.memory.series import decision_log as log
        from minutes.store.meetings import resolve_meeting_id

        with _tool_errors():
            _between(limit, 1, 1000, "limit")
            with archive.store().read() as session:
                meeting_id = resolve_meeting_id(session, meeting) if meeting else None
                decisions = log(session, meeting_id=meeting_id, limit=limit)
                return {"decisions": [d.model_dump(mode="json") for d in decisions]}

    @server.tool()
    def open_action_items(assignee: str | None = None, overdue: bool = False) -> dict[str, Any]:
        """Open action items across the stored meetings, newest meeting first. assignee: only
        this person's items (any of their names); overdue: only those whose due date has
        passed."""
        from minutes.memory.people import resolve_person
        from minutes.store.meetings import list_actions

        with _tool_errors(), archive.store().read() as session:
            names = (
                resolve_person(session, assignee, config=archive.settings.people).names
                if assignee
                else None
            )
            items = list_actions(
                session,
                assignees=names,
                open_only=True,
                due_before=dt.date.today() if overdue else None,
            )
            return {"action_items": [a.model_dump(mode="json") for a in items]}

    @server.tool()
    def meeting_notes(meeting: str) -> dict[str, Any]:
        """The latest stored notes of one meeting (its id or a unique prefix of at least four
        characters): the meeting's title, date and participants, the notes (TL;DR, key
        points, decisions, action items, with their supporting quotes) and the action items'
        current status."""
        from minutes.store.meetings import get_meeting

        with _tool_errors(), archive.store().read() as session:
            return get_meeting(session, meeting).model_dump(mode="json")

    return server


def serve_stdio(store_url: str | None = None) -> None:
    """Serve the tools on standard input and output until the client closes them."""
    build_server(store_url).run("stdio")
