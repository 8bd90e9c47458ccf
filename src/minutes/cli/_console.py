"""What every command shares: the two consoles, progress bars, atomic writes, small
formatters, and the one place that turns a ``MinutesError`` into its line and exit code.

Light on purpose: ``minutes --help`` imports this module, so nothing here may pull in the
gateway, LangChain or SQLAlchemy.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

from minutes.errors import ConfigError, MinutesError

if TYPE_CHECKING:
    from minutes.store.db import Store

# Piped output keeps a wide table rather than Rich's 80-column default.
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]


def fail(exc: MinutesError) -> NoReturn:
    """The one place an error becomes what the user sees: one line on stderr, its exit code."""
    err.print(f"[bold red]error:[/bold red] {exc}", highlight=False, soft_wrap=True)
    sys.exit(exc.exit_code)


def write_atomically(path: Path, text: str) -> None:
    """Write beside the target and rename, so an interrupted run never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def open_configured_store() -> Iterator[Store]:
    """The configured store (``MINUTES_DATABASE_URL``, else the user's SQLite file)."""
    from minutes.config import load_settings
    from minutes.store.db import open_store

    store = open_store(load_settings().database_url)
    try:
        yield store
    finally:
        store.close()


def print_json(value: Any) -> None:
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        text = value.model_dump_json()
    elif isinstance(value, list):
        text = json.dumps(
            [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
        )
    else:
        text = json.dumps(value, default=str)
    out.print_json(text)


def usd(value: Decimal) -> str:
    return f"${value:.4f}"


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f} ms"


def day_start(text: str, option: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option} wants a date (YYYY-MM-DD) or ISO time, not {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def cost_ceiling(max_cost: str | None) -> Decimal | None:
    try:
        return Decimal(max_cost) if max_cost is not None else None
    except InvalidOperation:
        raise ConfigError(f"--max-cost must be a number of dollars, not {max_cost!r}") from None
