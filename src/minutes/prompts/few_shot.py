"""Few-shot examples for a prompt, from a TOML file beside the prompt file::

    # action_item_extraction.examples.toml
    [[examples]]
    input = '''[3] Bob: I'll send the contract to legal by Friday.'''
    output = '''{"items": [{"task": "Send the contract to legal", "assignee": "Bob", ...}]}'''

A prompt uses them with ``few_shot = { file = "...", max_examples = 2 }`` and an ``{examples}``
field in its template, where the first ``max_examples`` of the file are rendered.
"""

from __future__ import annotations

import tomllib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from minutes.errors import ConfigError


class Example(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    input: str = Field(min_length=1)
    output: str = Field(min_length=1)


class FewShot(BaseModel):
    """The few-shot option of a prompt: where its examples are and how many to show."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str = Field(description="a TOML file of [[examples]], relative to the prompt file")
    max_examples: int = Field(3, ge=1, le=20)
    examples: tuple[Example, ...] = Field(
        (), description="filled from the file when the prompt is loaded"
    )


class _ExamplesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    examples: list[Example] = Field(min_length=1)


def parse_examples(text: str, name: str) -> tuple[Example, ...]:
    """The examples of a few-shot file; any problem is a ``ConfigError`` naming the file."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
        return tuple(_ExamplesFile.model_validate(data).examples)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"few-shot file {name}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc']) or '(file)'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"few-shot file {name}: {problems}") from None


def render_examples(examples: tuple[Example, ...]) -> str:
    if not examples:
        return "(no examples)"
    return "\n\n".join(
        f"Example {i}\nInput:\n{e.input.strip()}\nOutput:\n{e.output.strip()}"
        for i, e in enumerate(examples, 1)
    )
