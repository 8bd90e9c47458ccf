"""The package root: its public names, the error hierarchy exported whole, and a start-up
that loads none of the heavy dependencies."""

from __future__ import annotations

import inspect
import subprocess
import sys

import minutes
from minutes import errors

HEAVY = ("langchain_core", "sqlalchemy", "torch", "openai", "anthropic", "alembic", "tiktoken")


def test_every_public_name_resolves() -> None:
    for name in minutes.__all__:
        assert getattr(minutes, name) is not None, name
    assert set(minutes.__all__) <= set(dir(minutes))


def test_the_whole_error_hierarchy_is_exported() -> None:
    hierarchy = {
        name
        for name, value in vars(errors).items()
        if inspect.isclass(value) and issubclass(value, errors.MinutesError)
    }
    assert hierarchy <= set(minutes.__all__), hierarchy - set(minutes.__all__)
    assert "StoreError" in hierarchy and "AllModelsFailed" in hierarchy


def _loaded_after(code: str) -> list[str]:
    probe = (
        f"{code}\nimport sys\nprint('LOADED:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("LOADED:"))
    return [m for m in line.removeprefix("LOADED:").split(",") if m]


def test_import_minutes_loads_nothing_heavy() -> None:
    assert _loaded_after("import minutes") == []


def test_the_cli_help_loads_nothing_heavy() -> None:
    code = (
        "from minutes.cli import app\n"
        "try:\n"
        "    app(['--help'], standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass"
    )
    assert _loaded_after(code) == []


def test_a_lazy_name_loads_on_first_use() -> None:
    assert _loaded_after("import minutes\nminutes.Gateway") != []


def test_test_modules_have_unique_basenames() -> None:
    # pytest imports test modules by basename (rootdir import mode, no __init__.py): two files
    # of the same name stop collection of the whole suite.
    from collections import Counter
    from pathlib import Path

    names = Counter(p.name for p in Path(__file__).parent.rglob("*.py") if p.name != "conftest.py")
    assert [n for n, k in names.items() if k > 1] == []
