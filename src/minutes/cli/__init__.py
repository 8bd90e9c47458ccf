"""The ``minutes`` command line (Typer): this module makes the app and registers each command
group's module on it; ``_console`` prints and maps errors to exit codes.

Every command module keeps its heavy imports (the gateway, LangChain, SQLAlchemy) inside the
commands, so that ``minutes --help`` starts at once.
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from minutes.cli import batch, evaluate, meetings, memory, models, service, spend, summarize
from minutes.cli._console import fail
from minutes.errors import MinutesError

app = typer.Typer(
    name="minutes",
    help="Meeting intelligence: transcripts in, grounded structured notes out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Click only knows --help; sub-commands and groups inherit the names from here.
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"minutes {version('minutes')}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log what happens")] = False,
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="print the version and exit"
        ),
    ] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


# Each module declares its commands on a Typer of its own; their order here is --help's.
for _module in (summarize, models, meetings, memory, spend, batch, evaluate, service):
    app.registered_commands.extend(_module.commands.registered_commands)
    app.registered_groups.extend(_module.commands.registered_groups)


def main() -> None:
    """Console-script entry point: known errors become one clear line and their exit code."""
    try:
        app()
    except MinutesError as exc:
        fail(exc)


__all__ = ["app", "main"]
