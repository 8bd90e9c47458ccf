"""The README says what the commands do: its exit-code table holds every error's code, its
examples run commands and options that exist, and what it says about ``--json`` holds."""

from __future__ import annotations

import inspect
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer

from minutes import errors
from minutes.cli import app

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
ROOT = typer.main.get_command(app)
# Commands that print no data, only one line on stderr saying what they did.
NO_JSON = {
    "done",
    "forget",
    "cache clear",
    "batch cancel",
    "keys revoke",
    "budgets set",
    "export ics",
}
# Commands that run until stopped.
SERVERS = {"serve", "worker", "mcp"}


def exit_code_table() -> dict[int, str]:
    section = README.split("### Exit codes", 1)[1].split("\n## ", 1)[0]
    return {int(m[1]): m[2] for m in re.finditer(r"^\| (\d+) \| (.+) \|$", section, re.M)}


def leaf_commands(group: Any = ROOT, prefix: str = "") -> dict[str, Any]:
    """Every command by its full name ("cache stats"). Duck-typed: Typer ships its own copy
    of Click, so its groups are not ``click.Group`` instances."""
    found: dict[str, Any] = {}
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found |= leaf_commands(command, f"{prefix}{name} ")
            if command.invoke_without_command and command.params:  # `prompts` lists alone
                found[f"{prefix}{name}"] = command
        else:
            found[f"{prefix}{name}"] = command
    return found


def test_the_exit_code_table_has_every_errors_code() -> None:
    table = exit_code_table()
    codes = {
        cls.exit_code
        for cls in vars(errors).values()
        if inspect.isclass(cls) and issubclass(cls, errors.MinutesError)
    }
    assert codes <= set(table), codes - set(table)
    assert "no such meeting" in table[errors.NotFound.exit_code]
    assert "cannot be opened" in table[errors.StoreError.exit_code]
    assert "`--model`" in table[errors.ConfigError.exit_code]
    assert "cannot be read" in table[errors.TranscriptError.exit_code]


def readme_examples() -> list[list[str]]:
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", README, re.S):
        for line in block.splitlines():
            line = line.split(" #", 1)[0].strip()
            if line.startswith("cat ") and "| minutes" in line:
                line = line.split("|", 1)[1].strip()
            if line.startswith("minutes "):
                lines.append(shlex.split(line)[1:])
    return lines


@pytest.mark.parametrize("args", readme_examples(), ids=" ".join)
def test_every_readme_example_names_a_command_and_options_that_exist(args: list[str]) -> None:
    commands = leaf_commands()
    words = [a for a in args if not a.startswith("-")]
    name = next((n for n in sorted(commands, key=len, reverse=True) if words[: n.count(" ") + 1]
                 == n.split()), None)  # fmt: skip
    if name is None:  # only root options, such as --version
        command: Any = ROOT
    else:
        command = commands[name]
    known = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
    known |= {"-h", "--help"}
    if command is ROOT:
        known |= {"--version"}
    for arg in args:
        if arg.startswith("-") and arg != "-":
            assert arg.split("=", 1)[0] in known, (args, arg)


def test_commands_that_print_data_take_json_and_the_readme_names_those_that_do_not() -> None:
    for name, command in leaf_commands().items():
        if name in SERVERS:
            assert f"`{name}`" in README, name
            continue
        options = {opt for p in command.params for opt in p.opts}
        if name in NO_JSON:
            assert "--json" not in options, name
            assert f"`{name}`" in README, name
        else:
            assert "--json" in options, name
    said = README.split("Every command that prints data takes `--json`", 1)[1].split("\n\n")[0]
    for name in NO_JSON:
        assert f"`{name}`" in said
