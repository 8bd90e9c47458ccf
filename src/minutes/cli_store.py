"""Commands over the store: meetings, show, actions, done, forget, costs, metrics, and
``cache stats`` / ``cache clear``. Registered on ``minutes.cli.app`` when that module loads.

Every command reads the configured store (``MINUTES_DATABASE_URL``, else the SQLite file in
the user data directory), migrating it on first use; a database problem is one ``StoreError``
line (exit 9), never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from minutes.cli import app, err, out
from minutes.config import load_settings
from minutes.errors import ConfigError, StoreError
from minutes.store.db import Store, open_store

cache_app = typer.Typer(help="The LLM response cache: stats and clear.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")

JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]


@contextmanager
def _store() -> Iterator[Store]:
    store = open_store(load_settings().database_url)
    try:
        yield store
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StoreError(f"database error on {store.display_url}: {reason}") from None
    finally:
        store.close()


def _print_json(value: Any) -> None:
    if isinstance(value, BaseModel):
        text = value.model_dump_json()
    elif isinstance(value, list):
        text = json.dumps(
            [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
        )
    else:
        text = json.dumps(value, default=str)
    out.print_json(text)


def _usd(value: Decimal) -> str:
    return f"${value:.4f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f} ms"


def _day_start(text: str, option: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option} wants a date (YYYY-MM-DD) or ISO time, not {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


# --- meetings -----------------------------------------------------------------------------


@app.command()
def meetings(
    limit: Annotated[int, typer.Option(help="how many, newest first")] = 50,
    as_json: JsonFlag = False,
) -> None:
    """List stored meetings, newest first."""
    from minutes.store.meetings import list_meetings

    with _store() as store, store.read() as session:
        rows = list_meetings(session, limit=limit)
    if as_json:
        _print_json(rows)
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
            _usd(m.cost_usd),
        )
    out.print(table)


@app.command()
def show(
    meeting_id: Annotated[str, typer.Argument(help="meeting id or a unique prefix (4+ chars)")],
    as_json: JsonFlag = False,
    quotes: Annotated[bool, typer.Option(help="show supporting quotes")] = True,
) -> None:
    """Print a stored meeting's latest notes."""
    from minutes.render import to_markdown
    from minutes.store.meetings import get_meeting

    with _store() as store, store.read() as session:
        detail = get_meeting(session, meeting_id)
    if as_json:
        _print_json(
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
        f"notes cost {_usd(s.cost_usd)}",
        highlight=False,
    )
    out.print(to_markdown(detail.notes, quotes=quotes), markup=False, highlight=False)


@app.command()
def actions(
    assignee: Annotated[str | None, typer.Option(help="only this person's items")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="only items still open")] = False,
    as_json: JsonFlag = False,
) -> None:
    """List action items across all stored meetings."""
    from minutes.store.meetings import list_actions

    with _store() as store, store.read() as session:
        rows = list_actions(session, assignee=assignee, open_only=open_only)
    if as_json:
        _print_json(rows)
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


@app.command()
def done(
    action_id: Annotated[int, typer.Argument(help="the action item's id (from `actions`)")],
    undo: Annotated[bool, typer.Option("--undo", help="mark it open again")] = False,
) -> None:
    """Mark an action item done (or open again with --undo)."""
    from minutes.store.meetings import set_action_status

    with _store() as store, store.transaction() as session:
        item = set_action_status(session, action_id, done=not undo)
    err.print(f"action {item.id} is {item.status}: {item.task}", highlight=False)


@app.command()
def forget(
    meeting_id: Annotated[str, typer.Argument(help="meeting id or a unique prefix (4+ chars)")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")] = False,
) -> None:
    """Delete a meeting and everything derived from it, cache entries included.

    Its ledger rows stay, without the link: money spent stays counted."""
    from minutes.store.meetings import forget_meeting, resolve_meeting_id

    with _store() as store:
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


# --- costs and metrics ----------------------------------------------------------------------


class GroupBy(StrEnum):
    day = "day"
    model = "model"
    task = "task"
    provider = "provider"


@app.command()
def costs(
    since: Annotated[
        str | None, typer.Option(help="from this UTC date or time (YYYY-MM-DD)")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="up to this UTC date (inclusive) or time (exclusive)")
    ] = None,
    by: Annotated[
        GroupBy, typer.Option(help="group by day, model, task or provider")
    ] = GroupBy.day,
    as_json: JsonFlag = False,
) -> None:
    """LLM spend from the ledger: requests, tokens, cache hits and cost per group."""
    from minutes.store import ledger

    start = _day_start(since, "--since") if since else None
    end = None
    if until:
        end = _day_start(until, "--until")
        if len(until) == 10:  # a bare date: the whole of that day
            end += dt.timedelta(days=1)
    with _store() as store, store.read() as session:
        rows = ledger.costs(session, since=start, until=end, by=by.value)
    total = sum((r.cost_usd for r in rows), Decimal(0))
    if as_json:
        _print_json(
            {
                "by": by.value,
                "rows": [r.model_dump(mode="json") for r in rows],
                "total_usd": str(total),
            }
        )
        return
    table = Table(title=f"LLM costs by {by.value}")
    table.add_column(by.value)
    for name in (
        "requests",
        "failed",
        "cache hits",
        "input tok",
        "output tok",
        "cached tok",
        "cost",
    ):
        table.add_column(name, justify="right")
    for r in rows:
        table.add_row(
            r.key,
            f"{r.requests:,}",
            f"{r.failures:,}",
            f"{r.cache_hits:,}",
            f"{r.input_tokens:,}",
            f"{r.output_tokens:,}",
            f"{r.cached_tokens:,}",
            _usd(r.cost_usd),
        )
    table.add_section()
    table.add_row("total", *[""] * 6, _usd(total))
    out.print(table)


@app.command()
def metrics(
    hours: Annotated[float, typer.Option(help="the last N hours")] = 24.0,
    model: Annotated[str | None, typer.Option(help="only this registry model")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Requests, p50/p95 latency, success rate, tokens, cost, cache hit rate per model.

    Latency and success rate count provider calls, not cache hits."""
    from minutes.store import ledger

    since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)
    with _store() as store, store.read() as session:
        rows = ledger.metrics(session, since=since, model=model)
    if as_json:
        _print_json({"hours": hours, "rows": [r.model_dump(mode="json") for r in rows]})
        return
    if not rows:
        err.print(f"no LLM calls in the last {hours:g} hours")
        return
    table = Table(title=f"LLM metrics, last {hours:g} h")
    table.add_column("model")
    for name in (
        "requests",
        "p50",
        "p95",
        "success",
        "tokens in/out",
        "cost",
        "cache hits",
        "hit rate",
    ):
        table.add_column(name, justify="right")
    for r in rows:
        if r.model == "(all)":
            table.add_section()
        table.add_row(
            r.model,
            f"{r.requests:,}",
            _ms(r.p50_latency_ms),
            _ms(r.p95_latency_ms),
            _pct(r.success_rate),
            f"{r.input_tokens:,} / {r.output_tokens:,}",
            _usd(r.cost_usd),
            f"{r.exact_hits} exact · {r.semantic_hits} semantic",
            _pct(r.cache_hit_rate),
        )
    out.print(table)


# --- cache --------------------------------------------------------------------------------


@cache_app.command("stats")
def cache_stats(
    hours: Annotated[
        float | None, typer.Option(help="hit rates over the last N hours (default: all)")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Entries in the cache, the vector search in use, and hit rates by kind."""
    from minutes.store.cache_store import CacheStore
    from minutes.store.ledger import cache_hit_counts

    settings = load_settings().cache
    since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours) if hours else None
    with _store() as store:
        stats = CacheStore(store).stats()
        with store.read() as session:
            counts = cache_hit_counts(session, since=since)
        url = store.display_url
    requests = sum(counts.values())

    def rate(kind: str) -> float | None:
        return counts[kind] / requests if requests else None

    report = {
        "database": url,
        "vector_search": stats.backend,
        "entries": stats.entries,
        "entries_with_embedding": stats.with_embedding,
        "by_model": stats.by_model,
        "oldest": stats.oldest.isoformat() if stats.oldest else None,
        "newest": stats.newest.isoformat() if stats.newest else None,
        "requests": requests,
        "hits": {"exact": counts["exact"], "semantic": counts["semantic"]},
        "hit_rate": {"exact": rate("exact"), "semantic": rate("semantic")},
        "settings": {
            "enabled": settings.enabled,
            "semantic": settings.semantic.enabled,
            "threshold": settings.semantic.threshold,
            "ttl_hours": settings.semantic.ttl_hours,
            "embedding_model": settings.semantic.embedding_model,
            "exact_ttl_hours": settings.exact_ttl_hours,
        },
    }
    if as_json:
        _print_json(report)
        return
    window = f"last {hours:g} h" if hours else "all time"
    lines = [
        f"database        {url}",
        f"vector search   {stats.backend}",
        f"entries         {stats.entries:,} ({stats.with_embedding:,} with an embedding)",
    ]
    lines += [f"  {name} {n:,}" for name, n in stats.by_model.items()]
    lines += [
        f"requests        {requests:,} ({window})",
        f"exact hits      {counts['exact']:,} ({_pct(rate('exact'))})",
        f"semantic hits   {counts['semantic']:,} ({_pct(rate('semantic'))})",
        f"semantic        {'on' if settings.semantic.enabled else 'off'}: similarity >= "
        f"{settings.semantic.threshold}, TTL {settings.semantic.ttl_hours:g} h, "
        f"embeddings {settings.semantic.embedding_model}",
    ]
    out.print("\n".join(lines), highlight=False)


@cache_app.command("clear")
def cache_clear(
    model: Annotated[str | None, typer.Option(help="only this model's entries")] = None,
) -> None:
    """Delete cache entries (all, or one model's)."""
    from minutes.store.cache_store import CacheStore

    with _store() as store:
        n = CacheStore(store).clear(model=model)
    err.print(f"deleted {n:,} cache entr{'y' if n == 1 else 'ies'}")


# --- summarize --dry-run ------------------------------------------------------------------


def print_estimate(estimate: Any, *, as_json: bool = False) -> None:
    """The table of ``summarize --dry-run`` (a ``minutes.dry_run.RunEstimate``)."""
    if as_json:
        _print_json(estimate)
        return
    if not estimate.stages:
        err.print("dry run: no LLM would be called (extractive engine): $0")
        for note in estimate.notes:
            err.print(f"  {note}", highlight=False)
        return
    table = Table(title="Dry run: estimated cost (upper bound: output at max_tokens)")
    for name, justify in (
        ("stage (task)", "left"),
        ("prompt", "left"),
        ("model", "left"),
        ("calls", "right"),
        ("input tok", "right"),
        ("max output tok", "right"),
        ("est. cost", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for s in estimate.stages:
        table.add_row(
            s.task,
            s.prompt or "–",
            s.model,
            str(s.calls),
            f"{s.input_tokens:,}",
            f"{s.output_tokens:,}",
            _usd(s.cost_usd),
        )
    table.add_section()
    table.add_row(
        "total",
        "",
        "",
        str(sum(s.calls for s in estimate.stages)),
        "",
        "",
        _usd(estimate.total_usd),
    )
    out.print(table)
    for name, left in estimate.budget_remaining.items():
        err.print(f"{name} budget left: {_usd(left)}", highlight=False)
