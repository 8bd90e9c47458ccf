"""What every command shares: the two consoles, progress bars, atomic writes, small
formatters, and the one place that turns a ``MinutesError`` into its line and exit code.

Light on purpose: ``minutes --help`` imports this module, so nothing here may pull in the
gateway, LangChain or SQLAlchemy.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import sys
import tempfile
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console

from minutes.errors import ConfigError, MinutesError

if TYPE_CHECKING:
    from minutes.store.db import Store

T = TypeVar("T")

# Piped output keeps a wide table rather than Rich's 80-column default.
out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]


def run_async(work: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run``, importing asyncio only when a command runs (it is a tenth of
    ``--help``'s start-up)."""
    import asyncio

    return asyncio.run(work)


def fail(exc: MinutesError) -> NoReturn:
    """The one place an error becomes what the user sees: one line on stderr, its exit code."""
    err.print(f"[bold red]error:[/bold red] {exc}", highlight=False, soft_wrap=True)
    sys.exit(exc.exit_code)


def _umask() -> int:
    """The process's umask, without changing it where the system can say (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    # Elsewhere the only way to read it is to set it: for that instant, files made by other
    # threads get a common default rather than none.
    old = os.umask(0o022)
    os.umask(old)
    return old


def _mode_for(path: Path) -> int:
    """The mode the written file gets: an existing file keeps its own, a new one gets what
    ``open()`` would give it (0666 less the umask). Refuses to replace anything but a file."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return 0o666 & ~_umask()
    if not stat.S_ISREG(info.st_mode):
        # The --out checks refuse these before the run; this catches one made since.
        raise ConfigError(
            f"{path} is not a regular file (a link, folder, FIFO or device); not replaced"
        )
    return stat.S_IMODE(info.st_mode)


def write_atomically(path: Path, text: str) -> None:
    """Write beside the target and rename, so an interrupted run never leaves half a file.

    ``mkstemp`` creates its file 0600, which would leave notes unreadable to the user's group
    after the rename; the temporary file is given the target's mode before it is renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _mode_for(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())  # the rename must not land before the bytes do
        os.chmod(tmp, mode)
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
        raise ConfigError(
            f"{option}: {text} is not a date (YYYY-MM-DD) or an ISO time (YYYY-MM-DDTHH:MM)"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def cost_ceiling(max_cost: str | None, *, option: str = "--max-cost") -> Decimal | None:
    if max_cost is None:
        return None
    try:
        value = Decimal(max_cost)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0:
        raise ConfigError(f"{option} must be a number of dollars, not {max_cost!r}")
    return value
