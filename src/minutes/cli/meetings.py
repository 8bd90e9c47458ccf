"""Commands over stored meetings: meetings, show, actions, done, forget.

Every command reads the configured store (``MINUTES_DATABASE_URL``, else the SQLite file in
the user data directory), migrating it on first use; a database problem is one ``StoreError``
line (exit 9), an id that matches nothing one ``NotFound`` line (exit 10), never a traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from minutes.cli._console import JsonFlag, err, open_configured_store, out, print_json, usd
from minutes.errors import NotFound

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

commands = typer.Typer()


@commands.command()
def meetings(
    limit: Annotated[int, typer.Option(help="how many, newest first")] = 50,
    as_json: JsonFlag = False,
) -> None:
    """List stored meetings, newest first."""
    from minutes.store.meetings import list_meetings

    with open_configured_store() as store, store.read() as session:
        rows = list_meetings(session, limit=limit)
    if as_json:
        print_json(rows)
        return
    if not rows:
        err.print("no meetings stored yet: run `minutes summarize FILE`")
        return
    table = Table(title=f"Meetings ({len(rows)})")
    for name, justify in (
        ("id", "left"),
        ("date", "left"),
        ("title", "left"),
        ("participants", "left"),
        ("runs", "right"),
        ("actions", "right"),
        ("decisions", "right"),
        ("cost", "right"),
    ):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for m in rows:
        table.add_row(
            m.id[:8],
            m.date.isoformat() if m.date else "–",
            m.title or "–",
            ", ".join(m.participants),
            str(m.runs),
            str(m.action_items),
            str(m.decisions),
            usd(m.cost_usd),
        )
    out.print(table)


@commands.command()
def show(
    meeting_id: Annotated[str, typer.Argument(help="meeting id or a unique prefix (4+ chars)")],
    as_json: JsonFlag = False,
    quotes: Annotated[bool, typer.Option(help="show supporting quotes")] = True,
) -> None:
    """Print a stored meeting's latest notes."""
    from minutes.render import to_markdown
    from minutes.store.meetings import get_meeting

    with open_configured_store() as store, store.read() as session:
        detail = get_meeting(session, meeting_id)
    if as_json:
        print_json(
            {
                "id": detail.summary.id,
                "runs": detail.summary.runs,
                "created_at": detail.summary.created_at.isoformat(),
                "notes": detail.notes.model_dump(mode="json"),
                "actions": [a.model_dump(mode="json") for a in detail.actions],
            }
        )
        return
    s = detail.summary
    err.print(
        f"meeting {s.id} · {s.runs} run(s) · stored {s.created_at:%Y-%m-%d %H:%M} UTC · "
        f"notes cost {usd(s.cost_usd)}",
        highlight=False,
    )
    out.print(to_markdown(detail.notes, quotes=quotes), markup=False, highlight=False)


@commands.command()
def actions(
    assignee: Annotated[
        str | None, typer.Option(help="only this person's items (any of their names)")
    ] = None,
    open_only: Annotated[bool, typer.Option("--open", help="only items still open")] = False,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="only open items whose due date has passed")
    ] = False,
    due_before: Annotated[str | None, typer.Option(help="only items due before YYYY-MM-DD")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List action items across all stored meetings."""
    import datetime as dt

    from minutes.cli.memory import parse_day
    from minutes.config import load_settings
    from minutes.memory.people import resolve_person
    from minutes.store.meetings import list_actions

    before = parse_day(due_before, "--due-before")
    if overdue:
        today = dt.date.today()
        before = min(before, today) if before else today
    with open_configured_store() as store, store.read() as session:
        names = (
            resolve_person(session, assignee, config=load_settings().people).names
            if assignee
            else None
        )
        rows = list_actions(
            session,
            assignees=names,
            open_only=open_only or overdue,
            due_before=before,
        )
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"Action items ({len(rows)})")
    for name in ("id", "meeting", "task", "assignee", "due", "priority", "status"):
        table.add_column(name, overflow="fold")
    for a in rows:
        due = a.due_date.isoformat() if a.due_date else (a.due_text or "–")
        table.add_row(
            str(a.id),
            f"{a.meeting_title or '–'} ({a.meeting_id[:8]})",
            a.task,
            a.assignee or "–",
            due,
            a.priority,
            "[green]done[/green]" if a.status == "done" else "open",
        )
    out.print(table)


@commands.command()
def done(
    action: Annotated[
        str,
        typer.Argument(
            help="the action item's id (the id column of `actions`), or the meeting's id "
            "prefix (the meeting column) when that meeting has one item to change",
            show_default=False,
        ),
    ],
    undo: Annotated[bool, typer.Option("--undo", help="mark it open again")] = False,
) -> None:
    """Mark an action item done (or open again with --undo)."""
    from minutes.store.meetings import set_action_status

    with open_configured_store() as store, store.transaction() as session:
        item = set_action_status(session, _action_id(session, action, undo=undo), done=not undo)
    err.print(f"action {item.id} is {item.status}: {item.task}", highlight=False)


def _action_id(session: Session, given: str, *, undo: bool) -> int:
    """The action item ``given`` names: a number is its id; a meeting id prefix names the one
    item of that meeting that would change (the open one, or with --undo the done one)."""
    from minutes.store.meetings import MIN_PREFIX, list_actions, resolve_meeting_id

    wanted = given.strip()
    if wanted.isdigit() and list_actions(session, action_id=int(wanted)):
        return int(wanted)
    no_item = f"no action item {wanted} (the ids are the id column of `minutes actions`)"
    if len(wanted) < MIN_PREFIX or not all(c in "0123456789abcdefABCDEF" for c in wanted):
        if wanted.isdigit():
            raise NotFound(no_item)
        raise NotFound(
            f"{given!r} is neither an action item id (a number from the id column of "
            f"`minutes actions`) nor a meeting id prefix ({MIN_PREFIX}+ hex characters)"
        )
    try:
        meeting_id = resolve_meeting_id(session, wanted)
    except NotFound as exc:
        # Digits may be either: say both were looked for.
        if wanted.isdigit():
            raise NotFound(f"{no_item}; as a meeting id prefix: {exc}") from None
        raise
    items = list_actions(session, meeting_id=meeting_id)
    state = "done" if undo else "open"
    candidates = [a for a in items if a.status == state]
    if len(candidates) == 1:
        return candidates[0].id
    if not items:
        raise NotFound(f"meeting {meeting_id[:8]} has no action items")
    if not candidates:
        target = "open" if undo else "done"
        raise NotFound(f"every action item of meeting {meeting_id[:8]} is {target} already")
    listed = "; ".join(f"{a.id} ({a.task})" for a in candidates)
    raise NotFound(
        f"meeting {meeting_id[:8]} has {len(candidates)} {state} action items; give one's id: "
        f"{listed}"
    )


@commands.command()
def forget(
    meeting_id: Annotated[str, typer.Argument(help="meeting id or a unique prefix (4+ chars)")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")] = False,
) -> None:
    """Delete a meeting and everything derived from it, cache entries included.

    Its ledger rows stay, without the link: money spent stays counted."""
    from minutes.store.meetings import forget_meeting, resolve_meeting_id

    with open_configured_store() as store:
        with store.read() as session:
            full_id = resolve_meeting_id(session, meeting_id)
        if not yes:
            typer.confirm(f"forget meeting {full_id} and everything derived from it?", abort=True)
        with store.transaction() as session:
            result = forget_meeting(session, full_id)
    err.print(
        f"forgot meeting {result.meeting_id}: {result.notes} notes, "
        f"{result.action_items} action items, {result.decisions} decisions, "
        f"{result.cache_entries} cache entries; {result.ledger_rows_detached} ledger rows kept "
        "without the link",
        highlight=False,
    )
