"""``minutes summarize``: one meeting, several, a batch run, or a dry run's estimate.

This module parses arguments and prints; what runs a meeting is ``minutes.runs``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from minutes.cli._console import cost_ceiling, err, out, print_json, usd, write_atomically
from minutes.errors import ConfigError
from minutes.examples import EXAMPLES
from minutes.pipeline.choices import EngineChoice, Strategy

if TYPE_CHECKING:
    from minutes.config import Settings
    from minutes.pipeline.options import PipelineOptions
    from minutes.runs.dry import RunEstimate
    from minutes.transcripts.models import Transcript

commands = typer.Typer()


class OutputFormat(StrEnum):
    md = "md"
    json = "json"


@commands.command()
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
    from minutes.config import load_settings
    from minutes.pipeline.options import PipelineOptions

    if bool(paths) == (example is not None):
        raise ConfigError("give a transcript PATH or --example NAME (one of them)")
    meeting_date = date.date() if date else None
    options = PipelineOptions(
        engine=engine,
        strategy=strategy,
        model=model,
        provider=provider,
        max_cost=cost_ceiling(max_cost),
        meeting_date=meeting_date,
        timezone=timezone,
        title=title,
    )
    as_json = output is OutputFormat.json
    if paths and (batch or len(paths) > 1 or paths[0].is_dir()):
        from minutes.cli.batch import summarize_several

        summarize_several(
            paths,
            options,
            batch=batch,
            wait=wait,
            force=force,
            jobs=jobs,
            as_json=as_json,
            out_dir=out_file,
            quotes=quotes,
            store=store,
            cache=cache,
        )
        return
    path = paths[0] if paths else _example(example)
    if example is not None:
        # SRT cannot state a title or date: the example's own metadata fills them in.
        title = title or EXAMPLES[example].title
        meeting_date = meeting_date or EXAMPLES[example].date
        options = options.model_copy(update={"title": title, "meeting_date": meeting_date})

    from minutes.transcripts import load_transcript

    transcript = load_transcript(
        path, format=format, title=title, date=meeting_date, timezone=timezone
    )
    settings = load_settings()
    if dry_run:
        from minutes.runs.dry import estimate_run

        estimate = asyncio.run(estimate_run(transcript, options, settings, with_ledger=True))
        print_estimate(estimate, as_json=as_json)
        return
    _summarize_one(transcript, options, settings, path, store, cache, as_json, quotes, out_file)


def _example(name: str | None) -> Path:
    from minutes.examples import example_path

    if name not in EXAMPLES:
        raise ConfigError(f"no bundled example {name!r}; choose one of: {', '.join(EXAMPLES)}")
    return example_path(name)


def _summarize_one(
    transcript: Transcript,
    options: PipelineOptions,
    settings: Settings,
    path: Path,
    store: bool,
    cache: bool,
    as_json: bool,
    quotes: bool,
    out_file: Path | None,
) -> None:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from minutes.render import to_markdown
    from minutes.runs.stored import run_stored

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

        outcome = asyncio.run(
            run_stored(
                transcript,
                options,
                settings,
                store_meeting=store,
                use_cache=cache,
                source_path=path,
                on_progress=on_progress,
            )
        )
    notes = outcome.notes
    text = notes.model_dump_json(indent=2) + "\n" if as_json else to_markdown(notes, quotes=quotes)
    if out_file is not None:
        write_atomically(out_file, text)
    else:
        sys.stdout.write(text)
    flag = " (degraded)" if notes.degraded else ""
    stored = f" · stored as {outcome.meeting_id[:8]}" if outcome.meeting_id else ""
    err.print(
        f"engine: {notes.engine}{flag} · {outcome.llm_calls} LLM call(s) · "
        f"{outcome.cache_hits} cache hit(s) · {outcome.tokens:,} tokens · "
        f"cost ${notes.cost_usd:.4f}{stored}",
        highlight=False,
    )


def print_estimate(estimate: RunEstimate, *, as_json: bool = False) -> None:
    """The table of ``summarize --dry-run``."""
    from rich.table import Table

    if as_json:
        print_json(estimate)
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
            usd(s.cost_usd),
        )
    table.add_section()
    table.add_row(
        "total",
        "",
        "",
        str(sum(s.calls for s in estimate.stages)),
        "",
        "",
        usd(estimate.total_usd),
    )
    out.print(table)
    for name, left in estimate.budget_remaining.items():
        err.print(f"{name} budget left: {usd(left)}", highlight=False)
