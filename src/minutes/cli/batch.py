"""``minutes summarize`` over several files or directories (live, concurrently) or through the
providers' Batch APIs, and the ``minutes batch`` group: status, collect, cancel.

Parses and prints only: the runs are ``minutes.runs.many`` and ``minutes.runs.batch``.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from minutes.cli._checks import check_transcript_paths
from minutes.cli._console import (
    JsonFlag,
    err,
    open_configured_store,
    print_json,
    run_async,
    write_atomically,
)
from minutes.cli._outputs import check_out_dir, document_names
from minutes.errors import NotFound, TranscriptError

if TYPE_CHECKING:
    from minutes.config import Settings
    from minutes.notes import MeetingNotes
    from minutes.pipeline.options import PipelineOptions
    from minutes.runs.many import MeetingOutcome
    from minutes.store.batches import RunView
    from minutes.store.db import Store

commands = typer.Typer()
batch_app = typer.Typer(help="Provider Batch API runs: status, collect, cancel.")
commands.add_typer(batch_app, name="batch")

STAGES = ["key_points", "action_items", "decisions", "narrative", "tldr", "priority"]


def summarize_several(
    paths: list[Path],
    options: PipelineOptions,
    *,
    batch: bool,
    wait: bool,
    force: bool,
    jobs: int,
    as_json: bool,
    out_dir: Path | None,
    quotes: bool,
    store: bool,
    cache: bool,
) -> None:
    from minutes.config import load_settings
    from minutes.runs.many import expand_inputs
    from minutes.store.db import open_store

    check_transcript_paths(paths)
    try:
        files = expand_inputs(paths)
    except OSError as exc:  # a folder listed a moment ago, unreadable or gone now
        raise TranscriptError(f"cannot read the folder {exc.filename}: {exc.strerror}") from None
    if not files:
        raise TranscriptError(f"no transcript files in {', '.join(map(str, paths))}")
    check_transcript_paths(files)
    names = document_names(files, ".json" if as_json else ".md")
    if out_dir is not None:
        check_out_dir(out_dir, names, inputs=files)
    settings = load_settings()
    if not cache:
        settings = settings.without_cache()
    db = open_store(settings.database_url)
    try:
        if batch:
            view, documents = _start_batch(settings, db, files, options, force=force, wait=wait)
        else:
            outcomes = _run_live(settings, db, files, options, save=store, force=force, jobs=jobs)
            documents = _documents(db, outcomes)
    finally:
        db.close()
    _write_notes(documents, names, as_json=as_json, out_dir=out_dir, quotes=quotes)
    if batch:
        _report_batch(view)
        return
    _print_table(outcomes)
    if any(notes is None for notes in documents):  # a meeting failed: the others are written
        raise typer.Exit(1)


def _documents(db: Store, outcomes: list[MeetingOutcome]) -> list[MeetingNotes | None]:
    """Each meeting's notes, in input order: a skipped meeting's are its stored ones, so that
    a run yields one document per transcript; None for a meeting that failed."""
    from minutes.store.meetings import get_meeting

    documents: list[MeetingNotes | None] = []
    for o in outcomes:
        notes = o.notes
        if notes is None and o.status == "skipped" and o.meeting_id:
            try:
                with db.read() as session:
                    notes = get_meeting(session, o.meeting_id).notes
            except NotFound as exc:  # forgotten while this run went on
                err.print(f"{Path(o.source).name}: stored notes unavailable: {exc}")
        documents.append(notes)
    return documents


def _run_live(
    settings: Settings,
    db: Store,
    files: list[Path],
    options: PipelineOptions,
    *,
    save: bool,
    force: bool,
    jobs: int,
) -> list[MeetingOutcome]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from minutes.runs.many import summarize_many

    with Progress(
        TextColumn("{task.description:<14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as progress:
        bars = {s: progress.add_task(s.replace("_", " "), total=len(files)) for s in STAGES}
        meetings = progress.add_task("meetings", total=len(files))
        seen: dict[int, set[str]] = {}

        def on_progress(position: int, stage: str) -> None:
            # A stage's bar counts the meetings that reached it; a finished meeting fills
            # whatever it skipped (a failed or extractive one).
            reached = seen.setdefault(position, set())
            if stage in bars and stage not in reached:
                reached.add(stage)
                progress.advance(bars[stage])
            if stage in ("done", "failed", "skipped"):
                for s in STAGES:
                    if s not in reached:
                        reached.add(s)
                        progress.advance(bars[s])
                progress.advance(meetings)

        return run_async(
            summarize_many(
                files,
                options,
                settings,
                db,
                save=save,
                force=force,
                max_meetings=jobs,
                on_progress=on_progress,
            )
        )


def _write_notes(
    documents: list[MeetingNotes | None],
    names: list[str],
    *,
    as_json: bool,
    out_dir: Path | None,
    quotes: bool,
) -> None:
    from minutes.render import to_markdown

    for notes, name in zip(documents, names, strict=True):
        if notes is None:
            continue
        text = notes.model_dump_json() if as_json else to_markdown(notes, quotes=quotes)
        if out_dir is not None:
            write_atomically(out_dir / name, text + "\n")
        elif as_json:
            sys.stdout.write(text + "\n")  # JSON Lines: one meeting per line
        else:
            sys.stdout.write(text + "\n---\n\n")


def _print_table(outcomes: list[MeetingOutcome]) -> None:
    from rich.table import Table

    from minutes.units import from_micros

    table = Table(title="Meetings", title_justify="left")
    for col, just in (
        ("meeting", "left"),
        ("engine / model", "left"),
        ("items", "right"),
        ("cost", "right"),
        ("seconds", "right"),
        ("status", "left"),
    ):
        table.add_column(col, justify=just, overflow="fold")  # type: ignore[arg-type]
    for o in outcomes:
        engine = f"{o.notes.engine} / {o.models or '-'}" if o.notes else "-"
        status = {
            "done": "[green]done[/green]",
            "skipped": "skipped: stored before, stored notes used (--force re-runs)",
        }.get(o.status, f"[red]failed[/red]: {o.error}")
        table.add_row(
            Path(o.source).name,
            engine,
            str(o.items_found) if o.notes else "-",
            f"${o.cost_usd:.4f}",
            f"{o.seconds:.1f}",
            status,
        )
    err.print(table)
    counts = Counter(o.status for o in outcomes)
    total = sum((o.cost_usd for o in outcomes), start=from_micros(0))
    err.print(
        f"{counts['done']} done · {counts['skipped']} skipped · {counts['failed']} failed · "
        f"cost ${total:.4f}",
        highlight=False,
    )


# --- batch ----------------------------------------------------------------------------------


def _start_batch(
    settings: Settings,
    db: Store,
    files: list[Path],
    options: PipelineOptions,
    *,
    force: bool,
    wait: bool,
) -> tuple[RunView, list[MeetingNotes | None]]:
    """Start the run and move it as far as it goes now; returns its state and each input's
    document, in input order: the stored notes of a meeting skipped as stored and of one
    done by now (all of them with ``wait``), None for one still pending or failed."""
    from minutes.runs.batch import advance_run, inputs_from_paths, start_run
    from minutes.store.meetings import get_meeting

    inputs = inputs_from_paths(files, options)
    run_id, skipped = start_run(db, inputs, options, force=force)
    for s in skipped:
        why = "stored already with this content (--force)" if s.stored else "given twice"
        err.print(f"skipped {s.input.source_path}: {why}")
    view = run_async(advance_run(settings, db, run_id, wait=wait, on_event=lambda m: err.print(m)))
    # The run's meetings are the inputs not skipped, in input order (their positions).
    standing_for = {id(s.input): s.meeting_id for s in skipped}
    in_run = iter(view.meetings)
    status = {m.meeting_id: m.status for m in view.meetings}
    documents: list[MeetingNotes | None] = []
    for item in inputs:
        meeting_id = standing_for.get(id(item)) or next(in_run).meeting_id
        notes = None
        if status.get(meeting_id, "done") == "done":
            try:
                with db.read() as session:
                    notes = get_meeting(session, meeting_id).notes
            except NotFound as exc:  # forgotten while this run went on
                err.print(f"{item.source_path}: stored notes unavailable: {exc}")
        documents.append(notes)
    return view, documents


def _report_batch(view: RunView) -> None:
    _print_run(view)
    if view.status != "done":
        err.print(f"follow up with: minutes batch collect {view.id[:12]}", highlight=False)
    if any(m.status == "failed" for m in view.meetings):
        raise typer.Exit(1)


def _print_run(view: Any) -> None:
    from rich.table import Table

    from minutes.units import from_micros

    table = Table(title=f"Batch run {view.id[:12]} · {view.status}", title_justify="left")
    for col in ("meeting", "status", "cost"):
        table.add_column(col, overflow="fold")
    for m in view.meetings:
        name = Path(m.source_path).name if m.source_path else m.meeting_id[:8]
        table.add_row(
            name,
            m.status + (f": {m.error}" if m.error else ""),
            f"${from_micros(m.cost_micros):.4f}",
        )
    err.print(table)
    jobs = Table(title="Provider batches", title_justify="left")
    for col in ("round", "model", "batch id", "requests", "status"):
        jobs.add_column(col, overflow="fold")
    for j in view.jobs:
        jobs.add_row(
            str(j.round), j.model, j.provider_batch_id or "-", str(j.request_count), j.status
        )
    err.print(jobs)
    requests = ", ".join(f"{n} {s}" for s, n in sorted(view.requests.items())) or "none"
    err.print(
        f"requests: {requests} · billed ${from_micros(view.cost_micros):.4f} (batch prices)",
        highlight=False,
    )


RunArg = Annotated[
    str | None, typer.Argument(help="run id or prefix; the newest run when left out")
]


def _run_id(db: Store, run: str | None) -> str:
    from minutes.store.batches import resolve_run_id

    with db.read() as session:
        return resolve_run_id(session, run)


@batch_app.command("status")
def batch_status(run: RunArg = None, as_json: JsonFlag = False) -> None:
    """Where a batch run stands: its meetings, its provider batches, its requests."""
    from minutes.store.batches import load_run

    with open_configured_store() as db, db.read() as session:
        view = load_run(session, _run_id(db, run))
    if as_json:
        print_json(view)
        return
    _print_run(view)


@batch_app.command("collect")
def batch_collect(
    run: RunArg = None,
    wait: Annotated[bool, typer.Option("--wait", help="poll until every meeting is done")] = False,
    poll: Annotated[float, typer.Option(help="seconds between polls with --wait")] = 30.0,
    as_json: JsonFlag = False,
) -> None:
    """Fetch ended batches, go on with the meetings, submit their next stage (resumable)."""
    from minutes.config import load_settings
    from minutes.runs.batch import advance_run

    settings = load_settings()
    with open_configured_store() as db:
        run_id = _run_id(db, run)
        view = run_async(
            advance_run(
                settings, db, run_id, wait=wait, poll_s=poll, on_event=lambda m: err.print(m)
            )
        )
    if as_json:
        print_json(view)
    else:
        _print_run(view)
    if any(m.status == "failed" for m in view.meetings):
        raise typer.Exit(1)


@batch_app.command("cancel")
def batch_cancel(run: RunArg = None) -> None:
    """Ask the providers to cancel a run's open batches (what ended already stays billed)."""
    from minutes.config import load_settings
    from minutes.runs.batch import cancel_run

    settings = load_settings()
    with open_configured_store() as db:
        n = run_async(cancel_run(settings, db, _run_id(db, run)))
    err.print(f"asked to cancel {n} batch(es)")
