"""``minutes models``: the registry, and why each model is or is not available."""

from __future__ import annotations

import json

import typer

from minutes.cli._console import JsonFlag, out, run_async

commands = typer.Typer()


@commands.command()
def models(as_json: JsonFlag = False) -> None:
    """List the model registry with each model's availability, and why not."""
    from rich.table import Table

    from minutes.config import load_settings
    from minutes.llm.providers.availability import check_all
    from minutes.llm.registry import load_registry

    settings = load_settings()
    registry = load_registry(settings.models_file, settings.models)
    availability = run_async(
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
