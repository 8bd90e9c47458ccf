"""``minutes eval`` and ``minutes prompts`` (with ``show``): measure prompt versions on a
labelled dataset, store the figures, and list them beside the prompts. Registered on
``minutes.cli.app`` when that module loads."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from minutes.cli._checks import check_model_choice
from minutes.cli._console import err, out, run_async, write_atomically
from minutes.cli._outputs import check_out_file, check_out_folder
from minutes.errors import ConfigError, MinutesError
from minutes.pipeline.choices import EngineChoice, Extraction, Strategy

if TYPE_CHECKING:
    from minutes.config import Settings
    from minutes.prompts import Prompt, PromptLibrary

commands = typer.Typer()
prompts_app = typer.Typer(
    help="The prompt library: every version, and its latest measured figures.",
    invoke_without_command=True,
)
commands.add_typer(prompts_app, name="prompts")

JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON instead of tables")]


def parse_ref(ref: str) -> tuple[str, str | None]:
    """``NAME`` or ``NAME@VERSION``."""
    name, sep, version = ref.partition("@")
    if not name or (sep and not version):
        raise ConfigError(f"expected NAME or NAME@VERSION, not {ref!r}")
    return name, version or None


def _selected_versions(library: PromptLibrary, refs: list[str]) -> dict[str, str]:
    chosen: dict[str, str] = {}
    for ref in refs:
        name, version = parse_ref(ref)
        if version is None:
            raise ConfigError(f"--prompt needs NAME@VERSION, not {ref!r}")
        chosen[name] = library.get(name, version).version  # an unknown one fails here
    return chosen


def _report_path(dataset: str, when: dt.datetime) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", dataset).strip("_") or "dataset"
    return Path(f"eval-{safe}-{when:%Y%m%d-%H%M%S}.md")


def _eval_gateway(settings: Settings, store: Any) -> Any:
    from minutes.llm.gateway import Gateway

    # No response cache: a cached answer costs nothing and returns at once, which would
    # make the cost and latency figures meaningless. Calls still go to the ledger.
    return Gateway(settings.without_cache(), store=store)


@commands.command("eval")
def eval_command(
    dataset: Annotated[
        str,
        typer.Argument(
            help="a dataset folder (transcripts + <id>.labels.json), 'dev' (bundled) or 'ami' "
            "(../shared/data/ami-dev, or $MINUTES_AMI_DIR)",
            show_default=False,
        ),
    ],
    engine: Annotated[
        EngineChoice, typer.Option(help="auto, llm (fail without one) or extractive (no LLM)")
    ] = "auto",
    model: Annotated[str | None, typer.Option(help="registry model to use first")] = None,
    provider: Annotated[str | None, typer.Option(help="only models of this provider")] = None,
    strategy: Annotated[Strategy, typer.Option(help="map_reduce, refine or stuff")] = "map_reduce",
    extraction: Annotated[
        Extraction,
        typer.Option(
            help="one-pass: one call per chunk for its key points, action items and decisions "
            "(the transcript read once); stages: a prompt per stage and chunk"
        ),
    ] = "stages",
    prompt: Annotated[
        list[str] | None,
        typer.Option(
            "--prompt", help="NAME@VERSION to evaluate instead of the selected one (repeatable)"
        ),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            min=0.0, max=1.0, help="cosine similarity for a predicted item to match a gold one"
        ),
    ] = None,
    concurrency: Annotated[int, typer.Option(min=1, max=32, help="meetings at once")] = 4,
    limit: Annotated[int | None, typer.Option(min=1, help="only the first N meetings")] = None,
    report: Annotated[
        Path | None,
        typer.Option(help="Markdown report file [default: ./eval-DATASET-TIME.md]"),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print the whole result as JSON on stdout")
    ] = False,
    store: Annotated[
        bool, typer.Option("--store/--no-store", help="save the figures in the database")
    ] = True,
) -> None:
    """Run the pipeline on every meeting of a labelled dataset and score the notes."""
    from minutes.config import load_settings
    from minutes.evaluation.dataset import load_dataset
    from minutes.evaluation.records import records_of
    from minutes.evaluation.report import figures_table, to_json, to_markdown
    from minutes.evaluation.runner import DEFAULT_THRESHOLD, evaluate
    from minutes.evaluation.similarity import MINILM_NAME, minilm_similarity
    from minutes.pipeline.options import ONE_PASS_REFINE, PipelineOptions
    from minutes.prompts import configured_library

    if extraction == "one-pass" and strategy == "refine":
        raise ConfigError(ONE_PASS_REFINE)
    settings = load_settings()
    check_model_choice(settings, model, provider)
    # The report is written after every meeting ran: a place it cannot go is refused first.
    if report is not None:
        check_out_file(report, label="--report")
    else:
        check_out_folder(Path.cwd(), "the report (./eval-DATASET-TIME.md)")
    library = configured_library(settings)
    versions = _selected_versions(library, prompt or [])
    data = load_dataset(dataset, limit=limit)
    similarity = minilm_similarity()
    db = None
    if store:
        from minutes.store.db import open_store

        db = open_store(settings.database_url)
    gateway = _eval_gateway(settings, db) if engine != "extractive" else None
    options = PipelineOptions(
        engine=engine,
        model=model,
        provider=provider,
        strategy=strategy,
        extraction=extraction,
        prompt_versions=versions,
    )
    try:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        ) as progress:
            task = progress.add_task(f"evaluating on {data.name}", total=len(data))
            run = run_async(
                evaluate(
                    data,
                    similarity=similarity,
                    similarity_name=MINILM_NAME,
                    threshold=DEFAULT_THRESHOLD if threshold is None else threshold,
                    options=options,
                    gateway=gateway,
                    prompts=library,
                    concurrency=concurrency,
                    on_meeting=lambda _: progress.advance(task),
                )
            )
        path = report or _report_path(run.dataset, run.finished_at)
        write_atomically(path, to_markdown(run))
        stored = 0
        if db is not None:
            from minutes.store.evaluations import save_evaluations

            records = records_of(run)
            with db.transaction() as session:
                save_evaluations(session, records)
            stored = len(records)
    finally:
        if gateway is not None:
            gateway.close()
        if db is not None:
            db.close()

    if as_json:
        sys.stdout.write(to_json(run))
    else:
        table = Table(title=f"{run.dataset}: {run.summary.meetings} meetings")
        table.add_column("figure")
        table.add_column("value", justify="right")
        table.add_column("detail")
        for row in figures_table(run):
            table.add_row(*row)
        out.print(table)
    where = f"stored {stored} row(s) in the database" if db is not None else "not stored"
    err.print(f"report: {path} · {where}", highlight=False)


# --- minutes prompts ------------------------------------------------------------------------


def _evaluations() -> tuple[list[Any], str | None]:
    """The latest stored figures, or none and why (a listing must work without a database)."""
    from minutes.config import load_settings
    from minutes.store.db import open_store
    from minutes.store.evaluations import latest_evaluations

    try:
        db = open_store(load_settings().database_url)
    except MinutesError as exc:
        return [], str(exc)
    try:
        with db.read() as session:
            return latest_evaluations(session), None
    finally:
        db.close()


def _figure_lines(records: list[Any], *, baseline: bool = False) -> str:
    from minutes.evaluation.records import format_figures

    return "\n".join(
        escape(
            f"{r.dataset} · {r.model} · {format_figures(r, baseline=baseline)} "
            f"({r.samples} mtg, {r.created_at:%Y-%m-%d})"
        )
        for r in records
    )


@prompts_app.callback(invoke_without_command=True)
def prompts_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List every prompt version (* = the one the pipeline uses) with its latest figures."""
    if ctx.invoked_subcommand is not None:
        return
    from minutes.evaluation.records import BASELINE
    from minutes.prompts import configured_library

    library = configured_library()
    records, problem = _evaluations()
    by_ref: dict[tuple[str, str], list[Any]] = {}
    for r in records:
        by_ref.setdefault((r.prompt_name, r.prompt_version), []).append(r)
    baselines = [r for r in records if r.prompt_name == BASELINE]
    if as_json:
        rows = [
            {
                **_prompt_summary(library, p),
                "evaluations": [
                    r.model_dump(mode="json") for r in by_ref.get((p.name, p.version), [])
                ],
            }
            for p in _all_prompts(library)
        ]
        baseline_rows = [r.model_dump(mode="json") for r in baselines]
        out.print_json(json.dumps({"prompts": rows, "extractive_baseline": baseline_rows}))
        return
    table = Table(title="Prompt library (* = selected)")
    table.add_column("prompt", no_wrap=True)
    table.add_column("version", no_wrap=True)
    table.add_column("task")
    table.add_column("intended model")
    table.add_column("latest figures: dataset · model · figures", overflow="fold")
    for p in _all_prompts(library):
        mark = " *" if library.get(p.name).version == p.version else ""
        found = by_ref.get((p.name, p.version), [])
        table.add_row(
            p.name,
            p.version + mark,
            p.task,
            p.intended_model or "",
            _figure_lines(found) or "[dim]not evaluated[/dim]",
        )
    out.print(table)
    if baselines:
        base = Table(title="Extractive engine (the no-LLM baseline)")
        base.add_column("minutes version")
        base.add_column("figures", overflow="fold")
        for r in baselines:
            base.add_row(r.prompt_version, _figure_lines([r], baseline=True))
        out.print(base)
    if problem:
        err.print(f"figures unavailable: {problem}", highlight=False)


def _all_prompts(library: PromptLibrary) -> list[Prompt]:
    return [library.get(n, v) for n in library.names() for v in library.versions(n)]


def _prompt_summary(library: PromptLibrary, p: Prompt) -> dict[str, Any]:
    return {
        "name": p.name,
        "version": p.version,
        "selected": library.get(p.name).version == p.version,
        "task": p.task,
        "intended_model": p.intended_model,
        "input_variables": list(p.input_variables),
        "changelog": p.changelog,
        "few_shot": (
            {"file": p.few_shot.file, "max_examples": p.few_shot.max_examples}
            if p.few_shot
            else None
        ),
        "compression": p.compression.model_dump() if p.compression else None,
    }


@prompts_app.command("show")
def prompts_show(
    ref: Annotated[str, typer.Argument(help="NAME or NAME@VERSION", show_default=False)],
    as_json: JsonFlag = False,
) -> None:
    """One prompt version in full (the selected one without @VERSION) and its figures."""
    from minutes.config import load_settings
    from minutes.evaluation.records import format_figures
    from minutes.prompts import configured_library
    from minutes.store.db import open_store
    from minutes.store.evaluations import evaluation_history

    name, version = parse_ref(ref)
    library = configured_library()
    p = library.get(name, version)
    history: list[Any] = []
    problem = None
    try:
        db = open_store(load_settings().database_url)
        try:
            with db.read() as session:
                history = evaluation_history(session, p.name, p.version)
        finally:
            db.close()
    except MinutesError as exc:
        problem = str(exc)
    if as_json:
        data = {
            **_prompt_summary(library, p),
            "system": p.system,
            "template": p.template,
            "evaluations": [r.model_dump(mode="json") for r in history],
        }
        out.print_json(json.dumps(data))
        return
    selected = " (selected)" if library.get(p.name).version == p.version else ""
    out.print(f"[bold]{p.ref}[/bold]{selected}", highlight=False)
    out.print(f"task: {p.task} · intended model: {p.intended_model or '-'}", highlight=False)
    out.print(f"input variables: {', '.join(p.input_variables)}", highlight=False)
    if p.few_shot:
        out.print(
            f"few-shot: {len(p.examples)} of {len(p.few_shot.examples)} example(s) "
            f"from {p.few_shot.file}",
            highlight=False,
        )
    if p.compression:
        out.print(
            f"compression: {', '.join(p.compression.variables)} to "
            f"{p.compression.target_tokens} tokens",
            highlight=False,
        )
    out.print("\n[bold]changelog[/bold]", highlight=False)
    out.print(p.changelog, highlight=False, markup=False)
    if p.system:
        out.print("\n[bold]system[/bold]", highlight=False)
        out.print(p.system, highlight=False, markup=False)
    out.print("\n[bold]template[/bold]", highlight=False)
    out.print(p.template, highlight=False, markup=False)
    if history:
        table = Table(title=f"Evaluations of {p.ref}")
        for col in ("measured (UTC)", "dataset", "model", "meetings", "figures"):
            table.add_column(col, overflow="fold")
        for r in history:
            table.add_row(
                f"{r.created_at:%Y-%m-%d %H:%M}",
                escape(r.dataset),
                r.model,
                str(r.samples),
                format_figures(r),
            )
        out.print(table)
    else:
        out.print("\nnot evaluated yet: minutes eval dev --prompt " + p.ref, highlight=False)
    if problem:
        err.print(f"figures unavailable: {problem}", highlight=False)
