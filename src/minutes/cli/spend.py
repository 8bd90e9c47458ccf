"""What the LLM calls cost and how they went, read back from the ledger: costs, metrics, and
``cache stats`` / ``cache clear``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from minutes.cli._console import (
    JsonFlag,
    day_start,
    err,
    ms,
    open_configured_store,
    out,
    pct,
    print_json,
    usd,
)

commands = typer.Typer()
cache_app = typer.Typer(help="The LLM response cache: stats and clear.", no_args_is_help=True)
commands.add_typer(cache_app, name="cache")


class GroupBy(StrEnum):
    day = "day"
    model = "model"
    task = "task"
    provider = "provider"


@commands.command()
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

    start = day_start(since, "--since") if since else None
    end = None
    if until:
        end = day_start(until, "--until")
        if len(until) == 10:  # a bare date: the whole of that day
            end += dt.timedelta(days=1)
    with open_configured_store() as store, store.read() as session:
        rows = ledger.costs(session, since=start, until=end, by=by.value)
    total = sum((r.cost_usd for r in rows), Decimal(0))
    if as_json:
        print_json(
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
        "cache-write tok",
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
            f"{r.cache_write_tokens:,}",
            usd(r.cost_usd),
        )
    table.add_section()
    table.add_row("total", *[""] * 7, usd(total))
    out.print(table)


@commands.command()
def metrics(
    hours: Annotated[float, typer.Option(help="the last N hours")] = 24.0,
    model: Annotated[str | None, typer.Option(help="only this registry model")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Requests, p50/p95 latency, success rate, tokens, cost, cache hit rate per model.

    Latency and success rate count provider calls, not cache hits."""
    from minutes.store import ledger

    since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)
    with open_configured_store() as store, store.read() as session:
        rows = ledger.metrics(session, since=since, model=model)
    if as_json:
        print_json({"hours": hours, "rows": [r.model_dump(mode="json") for r in rows]})
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
            ms(r.p50_latency_ms),
            ms(r.p95_latency_ms),
            pct(r.success_rate),
            f"{r.input_tokens:,} / {r.output_tokens:,}",
            usd(r.cost_usd),
            f"{r.exact_hits} exact · {r.semantic_hits} semantic",
            pct(r.cache_hit_rate),
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
    from minutes.config import load_settings
    from minutes.store.cache_store import CacheStore
    from minutes.store.ledger import cache_hit_counts

    settings = load_settings().cache
    since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours) if hours else None
    with open_configured_store() as store:
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
        print_json(report)
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
        f"exact hits      {counts['exact']:,} ({pct(rate('exact'))})",
        f"semantic hits   {counts['semantic']:,} ({pct(rate('semantic'))})",
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

    with open_configured_store() as store:
        n = CacheStore(store).clear(model=model)
    err.print(f"deleted {n:,} cache entr{'y' if n == 1 else 'ies'}")
