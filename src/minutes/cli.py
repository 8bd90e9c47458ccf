"""The ``minutes`` command line (Typer). Errors become one line on stderr and an exit code."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import sys
import tempfile
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from minutes.config import load_settings
from minutes.errors import ConfigError, MinutesError
from minutes.examples import EXAMPLES
from minutes.llm.providers import check_all
from minutes.llm.registry import load_registry
from minutes.pipeline.options import EngineChoice, Strategy

app = typer.Typer(
    name="minutes",
    help="Meeting intelligence: transcripts in, grounded structured notes out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Piped output keeps a wide table rather than Rich's 80-column default.
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log what happens")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@app.command()
def models(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
) -> None:
    """List the model registry with each model's availability, and why not."""
    settings = load_settings()
    registry = load_registry(settings.models_file, settings.models)
    availability = asyncio.run(
        check_all(
            list(registry.values()),
            probe_timeout=settings.resilience.availability_probe_timeout_s,
        )
    )
    if as_json:
        rows = [
            {
                **entry.model_dump(mode="json"),
                "available": availability[name].available,
                "reason": availability[name].reason,
            }
            for name, entry in registry.items()
        ]
        out.print_json(json.dumps(rows))
        return
    table = Table(title="Model registry")
    table.add_column("name", no_wrap=True)
    table.add_column("provider / id", overflow="fold")
    table.add_column("tier")
    table.add_column("$/1K in / out", no_wrap=True)
    table.add_column("context", justify="right")
    table.add_column("available", overflow="fold")
    for name, e in registry.items():
        a = availability[name]
        mark = "[green]yes[/green]" if a.available else f"[red]no[/red]: {a.reason}"
        kind = " (embedding)" if e.kind == "embedding" else ""
        table.add_row(
            name,
            f"{e.provider} / {e.model_id}{kind}",
            e.tier,
            f"{e.input_per_1k} / {e.output_per_1k}",
            f"{e.context_window:,}",
            mark,
        )
    out.print(table)


class OutputFormat(StrEnum):
    md = "md"
    json = "json"


def _write_atomically(path: Path, text: str) -> None:
    # Write beside the target and rename, so an interrupted run never leaves half a file.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@app.command()
def summarize(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="transcript files (.txt .vtt .srt .json) or directories of them",
            show_default=False,
        ),
    ] = None,
    example: Annotated[
        str | None, typer.Option(help="summarize a bundled example instead: " + ", ".join(EXAMPLES))
    ] = None,
    format: Annotated[
        str | None, typer.Option("--format", help="force the input format: text, vtt, srt, json")
    ] = None,
    title: Annotated[str | None, typer.Option(help="meeting title")] = None,
    date: Annotated[
        dt.datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"], help="meeting date; relative due dates resolve against it"
        ),
    ] = None,
    timezone: Annotated[str | None, typer.Option(help="IANA timezone of the meeting")] = None,
    output: Annotated[
        OutputFormat, typer.Option("--output", "-o", help="md or json")
    ] = OutputFormat.md,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out", help="write here instead of stdout (a directory with several meetings)"
        ),
    ] = None,
    model: Annotated[str | None, typer.Option(help="registry model to use first")] = None,
    provider: Annotated[str | None, typer.Option(help="only models of this provider")] = None,
    max_cost: Annotated[
        str | None, typer.Option("--max-cost", help="ceiling on a model's $ per 1K tokens in+out")
    ] = None,
    strategy: Annotated[Strategy, typer.Option(help="map_reduce, refine or stuff")] = "map_reduce",
    engine: Annotated[
        EngineChoice, typer.Option(help="auto, llm (fail without one) or extractive (no LLM)")
    ] = "auto",
    quotes: Annotated[bool, typer.Option(help="show supporting quotes in Markdown")] = True,
    store: Annotated[
        bool, typer.Option("--store/--no-store", help="keep the meeting and its notes")
    ] = True,
    cache: Annotated[bool, typer.Option("--cache/--no-cache", help="use the LLM cache")] = True,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="print the estimated cost per stage; call nothing")
    ] = False,
    batch: Annotated[
        bool,
        typer.Option(
            "--batch",
            help="send the calls through the providers' Batch APIs (half price, up to 24 h); "
            "follow up with `minutes batch status` / `minutes batch collect`",
        ),
    ] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="with --batch: poll until every meeting is done")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="summarize meetings already stored with this content")
    ] = False,
    jobs: Annotated[int, typer.Option(min=1, help="meetings summarized at once")] = 8,
) -> None:
    """Turn meeting transcripts into notes: TL;DR, summary, key points, decisions, action items.

    Several files or a directory run concurrently within the scheduler's limits, with a table
    at the end; the exit code is non-zero only when a meeting failed."""
    from minutes.examples import example_path
    from minutes.pipeline.options import PipelineOptions
    from minutes.pipeline.runner import run_pipeline
    from minutes.render import to_markdown
    from minutes.transcripts import load_transcript

    if bool(paths) == (example is not None):
        raise ConfigError("give a transcript PATH or --example NAME (one of them)")
    path = paths[0] if paths else None
    if paths and (batch or len(paths) > 1 or paths[0].is_dir()):
        from minutes.cli_batch import summarize_several

        summarize_several(
            paths,
            batch=batch,
            wait=wait,
            force=force,
            jobs=jobs,
            as_json=output is OutputFormat.json,
            out_dir=out_file,
            quotes=quotes,
            store=store,
            cache=cache,
            options_args={
                "engine": engine,
                "strategy": strategy,
                "model": model,
                "provider": provider,
                "max_cost": _cost_ceiling(max_cost),
                "meeting_date": date.date() if date else None,
                "timezone": timezone,
            },
        )
        return
    if example is not None:
        if example not in EXAMPLES:
            raise ConfigError(
                f"no bundled example {example!r}; choose one of: {', '.join(EXAMPLES)}"
            )
        path = example_path(example)
        # SRT cannot state a title or date: the example's own metadata fills them in.
        title = title or EXAMPLES[example].title
        date = date or dt.datetime.combine(EXAMPLES[example].date, dt.time())
    assert path is not None
    cost_ceiling = _cost_ceiling(max_cost)
    meeting_date = date.date() if date else None
    transcript = load_transcript(
        path, format=format, title=title, date=meeting_date, timezone=timezone
    )
    options = PipelineOptions(
        engine=engine,
        strategy=strategy,
        model=model,
        provider=provider,
        max_cost=cost_ceiling,
        meeting_date=meeting_date,
        timezone=timezone,
        title=title,
    )
    settings = load_settings()
    if dry_run:
        from minutes.cli_store import print_estimate
        from minutes.dry_run import estimate_run

        print_estimate(
            asyncio.run(estimate_run(transcript, options, settings, with_ledger=True)),
            as_json=output is OutputFormat.json,
        )
        return
    from minutes.stored_run import StoredRun

    # The ledger records every attempt; the meeting is saved, in one transaction, at the end.
    with StoredRun(settings, transcript, store_meeting=store, use_cache=cache) as run:
        options = options.model_copy(update={"meeting_id": run.meeting_id})
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        ) as progress:
            task = progress.add_task(f"summarizing {path.name}", total=None)

            def on_progress(stage: str) -> None:
                progress.update(task, description=f"{path.name}: {stage.replace('_', ' ')}")

            notes = asyncio.run(
                run_pipeline(
                    transcript, options=options, gateway=run.gateway, on_progress=on_progress
                )
            )
        meeting_id = run.save(notes, source_path=path)
        calls, hits = run.tally.by_cache["none"], run.tally.cache_hits
    text = (
        notes.model_dump_json(indent=2) + "\n"
        if output is OutputFormat.json
        else to_markdown(notes, quotes=quotes)
    )
    if out_file is not None:
        _write_atomically(out_file, text)
    else:
        sys.stdout.write(text)
    tokens = sum(p.input_tokens + p.output_tokens for p in notes.provenance)
    flag = " (degraded)" if notes.degraded else ""
    stored = f" · stored as {meeting_id[:8]}" if meeting_id else ""
    err.print(
        f"engine: {notes.engine}{flag} · {calls} LLM call(s) · {hits} cache hit(s) · "
        f"{tokens:,} tokens · cost ${notes.cost_usd:.4f}{stored}",
        highlight=False,
    )


def _cost_ceiling(max_cost: str | None) -> Decimal | None:
    try:
        return Decimal(max_cost) if max_cost is not None else None
    except InvalidOperation:
        raise ConfigError(f"--max-cost must be a number of dollars, not {max_cost!r}") from None


def main() -> None:
    """Console-script entry point: known errors become one clear line and their exit code."""
    try:
        app()
    except MinutesError as exc:
        err.print(f"[bold red]error:[/bold red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)


# Importing these modules registers their commands on ``app``.
from minutes import cli_batch, cli_eval, cli_store  # noqa: E402,F401
