"""The ``minutes`` command line (Typer). Errors become one line on stderr and an exit code."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from minutes.config import load_settings
from minutes.errors import MinutesError
from minutes.llm.providers import check_all
from minutes.llm.registry import load_registry

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


def main() -> None:
    """Console-script entry point: known errors become one clear line and their exit code."""
    try:
        app()
    except MinutesError as exc:
        err.print(f"[bold red]error:[/bold red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
