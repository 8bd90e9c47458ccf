"""Load and validate prompt files.

A prompt file (``library/<name>@<version>.toml``) holds: name, version, task (the pipeline
task it serves), intended_model, input_variables, changelog, system and template. Templates
use ``str.format`` fields; a field that is not declared in ``input_variables``, or a declared
variable the template never uses, is an error when the library loads, not when a call is made.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from minutes.errors import ConfigError


class Prompt(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    version: str
    task: str
    intended_model: str | None = None
    input_variables: tuple[str, ...]
    changelog: str
    system: str = ""
    template: str

    @model_validator(mode="after")
    def _variables_match(self) -> Prompt:
        try:
            Version(self.version)
        except InvalidVersion:
            raise ValueError(f"version {self.version!r} is not a version number") from None
        used = _fields(self.template) | _fields(self.system)
        declared = set(self.input_variables)
        if undeclared := used - declared:
            raise ValueError(f"template uses undeclared variable(s): {sorted(undeclared)}")
        if unused := declared - used:
            raise ValueError(f"declared variable(s) never used: {sorted(unused)}")
        return self

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    def render(self, **values: Any) -> tuple[str, str]:
        """(system, user) texts. Every declared variable must be given, and nothing else."""
        missing = set(self.input_variables) - values.keys()
        extra = values.keys() - set(self.input_variables)
        if missing or extra:
            raise ConfigError(
                f"prompt {self.ref}: missing {sorted(missing)} / unexpected {sorted(extra)}"
            )
        return self.system.format(**values), self.template.format(**values)


def _fields(template: str) -> set[str]:
    try:
        return {f for _, f, _, _ in string.Formatter().parse(template) if f is not None and f}
    except ValueError as exc:  # an unbalanced brace
        raise ValueError(f"template is not a valid format string: {exc}") from None


class PromptLibrary:
    """All versions of all prompts, and which version is selected for each name."""

    def __init__(self, prompts: list[Prompt], selected: Mapping[str, str] | None = None) -> None:
        self._by_ref: dict[str, Prompt] = {}
        for p in prompts:
            if p.ref in self._by_ref:
                raise ConfigError(f"prompt {p.ref} is defined twice")
            self._by_ref[p.ref] = p
        self._selected = dict(selected or {})
        for name, version in self._selected.items():
            if f"{name}@{version}" not in self._by_ref:
                raise ConfigError(
                    f"config selects prompt {name}@{version}, which does not exist; "
                    f"known versions: {', '.join(self.versions(name)) or 'none'}"
                )

    def names(self) -> list[str]:
        return sorted({p.name for p in self._by_ref.values()})

    def versions(self, name: str) -> list[str]:
        found = [p.version for p in self._by_ref.values() if p.name == name]
        return sorted(found, key=Version)

    def get(self, name: str, version: str | None = None) -> Prompt:
        """The selected (or the latest) version of ``name``, or exactly ``version``."""
        versions = self.versions(name)
        if not versions:
            raise ConfigError(f"no prompt named {name!r}; known: {', '.join(self.names())}")
        version = version or self._selected.get(name) or versions[-1]
        try:
            return self._by_ref[f"{name}@{version}"]
        except KeyError:
            raise ConfigError(
                f"prompt {name!r} has no version {version}; known: {', '.join(versions)}"
            ) from None


def _load_file(path: Path | Any) -> Prompt:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
        return Prompt.model_validate(data)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"prompt file {path.name}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc']) or '(file)'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"prompt file {path.name}: {problems}") from None


@lru_cache(maxsize=8)
def _bundled() -> tuple[Prompt, ...]:
    folder = resources.files("minutes.prompts").joinpath("library")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)
    return tuple(_load_file(f) for f in files)


def load_library(
    extra_dirs: list[Path] | None = None, selected: Mapping[str, str] | None = None
) -> PromptLibrary:
    """The bundled prompts plus any ``*.toml`` in ``extra_dirs``, with config's selections."""
    prompts = list(_bundled())
    for folder in extra_dirs or []:
        prompts.extend(_load_file(f) for f in sorted(Path(folder).glob("*.toml")))
    return PromptLibrary(prompts, selected)


__all__ = ["Prompt", "PromptLibrary", "load_library"]
