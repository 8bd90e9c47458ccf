"""Load and validate prompt files.

A prompt file (``library/<name>@<version>.toml``) holds: name, version, task (the pipeline
task it serves), intended_model, input_variables, changelog, system and template. Templates
use ``str.format`` fields; a field that is not declared in ``input_variables``, or a declared
variable the template never uses, is an error when the library loads, not when a call is made.

Two options change how a prompt renders, both checked at load time too:

- ``few_shot = { file = "x.examples.toml", max_examples = 2 }``: at most N examples from a
  file beside the prompt file (see :mod:`minutes.prompts.few_shot`; ``*.examples.toml``
  files are not prompts), rendered where the template says ``{examples}`` (a reserved
  field, not an input variable);
- ``compression = { target_tokens = 3000, variables = ["chunk"] }``: when the rendered
  prompt (system + user, counted with the real tokenizer) exceeds the target, the named
  variables are compressed (see :mod:`minutes.prompts.compression`): disfluencies first,
  then few-shot examples dropped from the last, then short lines, then truncation.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Callable, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from minutes.errors import ConfigError
from minutes.prompts.compression import compress
from minutes.prompts.few_shot import Example, FewShot, parse_examples, render_examples
from minutes.tokens import count_tokens

if TYPE_CHECKING:
    from minutes.config import Settings

EXAMPLES_FIELD = "examples"
EXAMPLES_SUFFIX = ".examples.toml"


class Compression(BaseModel):
    """Compress ``variables`` until the rendered prompt is at most ``target_tokens``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    target_tokens: int = Field(ge=100)
    variables: tuple[str, ...] = Field(min_length=1)


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
    few_shot: FewShot | None = None
    compression: Compression | None = None

    @model_validator(mode="after")
    def _variables_match(self) -> Prompt:
        try:
            Version(self.version)
        except InvalidVersion:
            raise ValueError(f"version {self.version!r} is not a version number") from None
        used = _fields(self.template) | _fields(self.system)
        declared = set(self.input_variables)
        if EXAMPLES_FIELD in declared:
            raise ValueError(f"{{{EXAMPLES_FIELD}}} is reserved for few-shot examples")
        if self.few_shot is not None:
            if EXAMPLES_FIELD not in _fields(self.template):
                raise ValueError("few_shot is set but the template has no {examples} field")
            used.discard(EXAMPLES_FIELD)
        if undeclared := used - declared:
            raise ValueError(f"template uses undeclared variable(s): {sorted(undeclared)}")
        if unused := declared - used:
            raise ValueError(f"declared variable(s) never used: {sorted(unused)}")
        if self.compression and (unknown := set(self.compression.variables) - declared):
            raise ValueError(f"compression names undeclared variable(s): {sorted(unknown)}")
        return self

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def examples(self) -> tuple[Example, ...]:
        """The few-shot examples this prompt shows (at most ``max_examples``)."""
        if self.few_shot is None:
            return ()
        return self.few_shot.examples[: self.few_shot.max_examples]

    def render(self, **values: Any) -> tuple[str, str]:
        """(system, user) texts. Every declared variable must be given, and nothing else.

        With ``compression``, the result is at most ``target_tokens`` whenever compressing
        the named variables can get it there."""
        missing = set(self.input_variables) - values.keys()
        extra = values.keys() - set(self.input_variables)
        if missing or extra:
            raise ConfigError(
                f"prompt {self.ref}: missing {sorted(missing)} / unexpected {sorted(extra)}"
            )
        examples = list(self.examples)
        rendered = self._format(values, examples)
        if self.compression is None:
            return rendered
        target = self.compression.target_tokens
        if _tokens(rendered) <= target:
            return rendered
        values = dict(values)

        def fits(name: str) -> Callable[[str], bool]:
            return lambda text: _tokens(self._format({**values, name: text}, examples)) <= target

        for name in self.compression.variables:  # lossless-ish steps first, on every variable
            values[name] = compress(str(values[name]), fits(name), lossy=False)
        while examples and _tokens(self._format(values, examples)) > target:
            examples.pop()  # the last example is the least necessary one
        for name in self.compression.variables:
            values[name] = compress(str(values[name]), fits(name))
        return self._format(values, examples)

    def _format(self, values: Mapping[str, Any], examples: list[Example]) -> tuple[str, str]:
        if self.few_shot is not None:
            values = {**values, EXAMPLES_FIELD: render_examples(tuple(examples))}
        return self.system.format(**values), self.template.format(**values)


def _tokens(rendered: tuple[str, str]) -> int:
    return count_tokens(rendered[0]) + count_tokens(rendered[1])


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
    """One prompt file (a ``Path`` or an importlib ``Traversable``), its few-shot file read."""
    try:
        data = tomllib.loads(path.read_text("utf-8"))
        few_shot = data.get("few_shot")
        if isinstance(few_shot, dict) and isinstance(few_shot.get("file"), str):
            if "examples" in few_shot:
                raise ConfigError(f"prompt file {path.name}: few_shot.examples come from its file")
            examples_file = path.parent.joinpath(few_shot["file"])
            try:
                text = examples_file.read_text("utf-8")
            except OSError as exc:
                raise ConfigError(
                    f"prompt file {path.name}: cannot read few-shot file {few_shot['file']}: "
                    f"{exc.strerror or exc}"
                ) from None
            data["few_shot"] = {**few_shot, "examples": parse_examples(text, few_shot["file"])}
        return Prompt.model_validate(data)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"prompt file {path.name}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc']) or '(file)'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"prompt file {path.name}: {problems}") from None


def _is_prompt_file(name: str) -> bool:
    # Few-shot files live beside the prompts they serve: *.examples.toml, not prompts.
    return name.endswith(".toml") and not name.endswith(EXAMPLES_SUFFIX)


@lru_cache(maxsize=8)
def _bundled() -> tuple[Prompt, ...]:
    folder = resources.files("minutes.prompts").joinpath("library")
    files = sorted((f for f in folder.iterdir() if _is_prompt_file(f.name)), key=lambda f: f.name)
    return tuple(_load_file(f) for f in files)


def load_library(
    extra_dirs: list[Path] | None = None, selected: Mapping[str, str] | None = None
) -> PromptLibrary:
    """The bundled prompts plus any ``*.toml`` in ``extra_dirs``, with config's selections."""
    prompts = list(_bundled())
    for folder in extra_dirs or []:
        files = sorted(f for f in Path(folder).glob("*.toml") if _is_prompt_file(f.name))
        prompts.extend(_load_file(f) for f in files)
    return PromptLibrary(prompts, selected)


def configured_library(settings: Settings | None = None) -> PromptLibrary:
    """The library as the settings' ``[prompts]`` section says: extra folders and the
    version selected for each prompt (``MINUTES_CONFIG``'s file, or ``MINUTES_PROMPTS__*``)."""
    if settings is None:
        from minutes.config import load_settings

        settings = load_settings()
    return load_library(list(settings.prompts.extra_dirs), settings.prompts.selected)


__all__ = ["Compression", "Prompt", "PromptLibrary", "configured_library", "load_library"]
