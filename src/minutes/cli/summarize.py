"""``minutes summarize``: one meeting, several, a batch run, or a dry run's estimate.

This module parses arguments and prints; what runs a meeting is ``minutes.runs``.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from minutes.cli._checks import (
    check_format,
    check_model_choice,
    check_timezone,
    check_transcript_paths,
    parse_date,
)
from minutes.cli._console import (
    cost_ceiling,
    err,
    out,
    print_json,
    run_async,
    usd,
    write_atomically,
)
from minutes.cli._outputs import NAMING_HELP, check_out_file
from minutes.errors import ConfigError, NotesNotSaved, TranscriptError
from minutes.examples import EXAMPLES
from minutes.pipeline.choices import EngineChoice, Extraction, Strategy

if TYPE_CHECKING:
    from minutes.config import Settings
    from minutes.notes import MeetingNotes
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
            help="transcript files (.txt .md .vtt .srt .json) or directories of them; "
            "- reads one transcript from standard input",
            show_default=False,
        ),
    ] = None,
    example: Annotated[
        str | None, typer.Option(help="summarize a bundled example instead: " + ", ".join(EXAMPLES))
    ] = None,
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="force the input format of one transcript: text, vtt, srt, json "
            "(else the extension decides, else the content)",
        ),
    ] = None,
    title: Annotated[str | None, typer.Option(help="meeting title")] = None,
    date: Annotated[
        str | None,
        typer.Option(
            metavar="YYYY-MM-DD", help="meeting date; relative due dates resolve against it"
        ),
    ] = None,
    timezone: Annotated[
        str | None, typer.Option(help="IANA timezone of the meeting, e.g. Europe/Paris")
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--output", "-o", help="md or json")
    ] = OutputFormat.md,
    as_json: Annotated[bool, typer.Option("--json", help="the same as -o json")] = False,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="write here instead of stdout: a file for one meeting; a directory for "
            f"several, {NAMING_HELP}. An existing file is replaced atomically; links, FIFOs "
            "and devices are refused. With --batch: the documents of meetings stored before "
            "and of those done when the command returns (--wait: all of them)",
        ),
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="registry model to use first (`minutes models`)")
    ] = None,
    provider: Annotated[str | None, typer.Option(help="only models of this provider")] = None,
    max_cost: Annotated[
        str | None, typer.Option("--max-cost", help="ceiling on a model's $ per 1K tokens in+out")
    ] = None,
    max_usd: Annotated[
        str | None,
        typer.Option(
            "--max-usd",
            help="what one meeting's LLM calls may cost together, in $ (past it: a cheaper "
            "model, else the extractive engine for the stage)",
        ),
    ] = None,
    strategy: Annotated[Strategy, typer.Option(help="map_reduce, refine or stuff")] = "map_reduce",
    extraction: Annotated[
        Extraction,
        typer.Option(
            help="one-pass: one call per chunk for its key points, action items and decisions "
            "(the transcript read once); stages: a prompt per stage and chunk"
        ),
    ] = "stages",
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
    at the end; the exit code is non-zero only when a meeting failed. A meeting stored before
    with the same content is not summarized again (--force does): its stored notes are
    printed or written instead, so every transcript yields one document."""
    from minutes.config import load_settings
    from minutes.pipeline.options import ONE_PASS_REFINE, PipelineOptions

    # Everything the user typed is checked before a transcript is read or a model called.
    if bool(paths) == (example is not None):
        raise ConfigError("give a transcript PATH or --example NAME (one of them)")
    if extraction == "one-pass" and strategy == "refine":
        raise ConfigError(ONE_PASS_REFINE)
    meeting_date = parse_date(date)
    format = check_format(format)
    timezone = check_timezone(timezone)
    settings = load_settings()
    check_model_choice(settings, model, provider)
    given = paths or []
    from_stdin = STDIN in given
    several = bool(given) and (batch or len(given) > 1 or given[0].is_dir())
    if from_stdin and several:
        raise ConfigError("- (standard input) can only be the one transcript of a run")
    if several and dry_run:
        # Not ignored: the run would then call the models for real and pay for it.
        raise ConfigError("--dry-run estimates one transcript; give one file, not several")
    if several and format is not None:
        raise ConfigError(
            "--format applies to one transcript; with several, each is read by its extension"
        )
    options = PipelineOptions(
        engine=engine,
        strategy=strategy,
        extraction=extraction,
        model=model,
        provider=provider,
        max_cost=cost_ceiling(max_cost),
        max_usd=cost_ceiling(max_usd, option="--max-usd"),
        meeting_date=meeting_date,
        timezone=timezone,
        title=title,
    )
    as_json = as_json or output is OutputFormat.json
    if several:
        from minutes.cli.batch import summarize_several

        summarize_several(
            given,
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
    if from_stdin:
        path = Path("stdin")
    else:
        path = paths[0] if paths else _example(example)
        check_transcript_paths([path])
    if out_file is not None and not dry_run:
        check_out_file(out_file, inputs=[] if from_stdin else [path])
    if example is not None:
        # SRT cannot state a title or date: the example's own metadata fills them in.
        title = title or EXAMPLES[example].title
        meeting_date = meeting_date or EXAMPLES[example].date
        options = options.model_copy(update={"title": title, "meeting_date": meeting_date})

    from minutes.transcripts import load_transcript

    if from_stdin:
        transcript = _stdin_transcript(format=format, title=title, date=meeting_date, tz=timezone)
    else:
        transcript = load_transcript(
            path, format=format, title=title, date=meeting_date, timezone=timezone
        )
    if dry_run:
        from minutes.runs.dry import estimate_run

        estimate = run_async(estimate_run(transcript, options, settings, with_ledger=True))
        print_estimate(estimate, as_json=as_json)
        return
    _summarize_one(transcript, options, settings, path, store, cache, as_json, quotes, out_file)


STDIN = Path("-")


def _stdin_transcript(
    *, format: str | None, title: str | None, date: dt.date | None, tz: str | None
) -> Transcript:
    """The transcript piped to standard input: format from --format, else sniffed; titled
    "stdin" unless --title or the content says otherwise."""
    from minutes.transcripts import load_transcript
    from minutes.transcripts.loader import DEFAULT_MAX_BYTES

    stream = sys.stdin
    if stream is None or stream.isatty():
        # Reading a terminal would look like a hang; say what - is for instead.
        raise TranscriptError(
            "- reads the transcript from standard input, but nothing is piped in "
            "(e.g. `cat meeting.vtt | minutes summarize -`)"
        )
    data = stream.buffer.read(DEFAULT_MAX_BYTES + 1)  # one byte more tells "too large"
    # Through a file named "stdin", so that standard input gets exactly the decoding, size
    # limit and checks a file gets, and no extension forces a format.
    with tempfile.TemporaryDirectory(prefix="minutes-stdin-") as folder:
        file = Path(folder) / "stdin"
        file.write_bytes(data)
        transcript = load_transcript(file, format=format, title=title, date=date, timezone=tz)
    if title is None and transcript.title == "Stdin":
        # No title given or stated in the content: the file name's, which is the stream's.
        transcript = transcript.model_copy(update={"title": "stdin"})
    return transcript


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

        try:
            outcome = run_async(
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
        except NotesNotSaved as exc:
            # The work is done and paid for: hand the notes over, then say what failed.
            _emit(exc.notes, as_json, quotes, out_file)
            raise
    notes = outcome.notes
    _emit(notes, as_json, quotes, out_file)
    flag = " (degraded)" if notes.degraded else ""
    stored = f" · stored as {outcome.meeting_id[:8]}" if outcome.meeting_id else ""
    err.print(
        f"engine: {notes.engine}{flag} · {outcome.llm_calls} LLM call(s) · "
        f"{outcome.cache_hits} cache hit(s) · {outcome.tokens:,} tokens · "
        f"cost ${notes.cost_usd:.4f}{stored}",
        highlight=False,
    )


def _emit(notes: MeetingNotes, as_json: bool, quotes: bool, out_file: Path | None) -> None:
    from minutes.render import to_markdown

    text = notes.model_dump_json(indent=2) + "\n" if as_json else to_markdown(notes, quotes=quotes)
    if out_file is not None:
        write_atomically(out_file, text)
    else:
        sys.stdout.write(text)


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
    table = Table(title="Dry run: estimated cost (upper bound: every answer at its output ceiling)")
    for name, justify in (
        ("stage (task)", "left"),
        ("prompt", "left"),
        ("model", "left"),
        ("calls", "right"),
        ("input tok", "right"),
        ("max output tok", "right"),
        ("upper bound", "right"),
        ("expected", "right"),
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
            usd(s.expected_usd) if s.expected_usd is not None else "–",
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
        usd(estimate.expected_usd) if estimate.expected_usd is not None else "–",
    )
    out.print(table)
    if estimate.expected_usd is not None:
        err.print(
            f"expected: each task's mean output over {estimate.expected_from_calls:,} past "
            "calls in the ledger",
            highlight=False,
        )
    for name, left in estimate.budget_remaining.items():
        err.print(f"{name} budget left: {usd(left)}", highlight=False)
