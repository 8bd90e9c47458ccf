"""``minutes models``: the registry, and why each model is or is not available."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer

from minutes.cli._console import JsonFlag, out, run_async

if TYPE_CHECKING:
    from minutes.llm.registry import ModelEntry

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
            reuse_s=settings.resilience.availability_reuse_s,
        )
    )
    if as_json:
        rows = [
            {
                **entry.model_dump(mode="json"),
                "available": availability[name].available,
                "reason": availability[name].reason,
                "use": _use(entry),
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
    table.add_column("status", overflow="fold")
    table.add_column("available", overflow="fold")
    for name, e in registry.items():
        a = availability[name]
        mark = f"[red]no[/red]: {a.reason}"
        if a.available:
            # "yes" alone would contradict a run's notes that say no model is reachable:
            # these are not picked unless named.
            named = "" if _use(e) == "auto" else ", used only when named"
            mark = f"[green]yes[/green]{named}"
        kind = " (embedding)" if e.kind == "embedding" else ""
        table.add_row(
            name,
            f"{e.provider} / {e.model_id}{kind}",
            e.tier,
            f"{e.input_per_1k} / {e.output_per_1k}",
            f"{e.context_window:,}",
            _status(e),
            mark,
        )
    out.print(table)
    if any(_use(e) != "auto" for e in registry.values()):
        out.print(
            'legacy and retired models, and those marked "used only when named" (such as '
            "local), run only when named (--model, the task map or the fallback chain); the "
            "router picks by itself among the others"
        )


def _use(e: ModelEntry) -> str:
    """How a chat model gets used: "auto" (the router may pick it) or "only when named".
    Embedding models are "auto": the embedding task uses its configured one."""
    return "auto" if e.auto_route or e.kind != "chat" else "only when named"


def _status(e: ModelEntry) -> str:
    if e.status == "current":
        return f"current, {e.priced_on}" if e.priced_on else "current"
    colour = "yellow" if e.status == "legacy" else "red"
    use = f" → {e.replacement}" if e.replacement else ""
    return f"[{colour}]{e.status}[/{colour}]{use}"
