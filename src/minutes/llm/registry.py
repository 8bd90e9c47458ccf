"""The model registry, kept as data: the bundled ``models.toml`` merged with the user's.

Entries are validated by pydantic; a bad user file is one ``ConfigError`` naming the entry
and the field.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterator, Mapping
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from minutes.errors import ConfigError

Provider = Literal["openai", "anthropic", "deepseek", "ollama", "local"]
Tier = Literal["simple", "moderate", "complex"]
Status = Literal["current", "legacy", "retired"]
TaskType = Literal["summarization", "extraction", "classification", "reasoning", "long_context"]

TIER_RANK: dict[str, int] = {"simple": 0, "moderate": 1, "complex": 2, "critical": 2}

# The providers' usual environment variables.
DEFAULT_KEY_ENV: dict[str, str | None] = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "ollama": None,
    "local": None,
}
DEFAULT_BASE_URL_ENV: dict[str, str | None] = {
    "openai": "OPENAI_BASE_URL",
    "anthropic": "ANTHROPIC_BASE_URL",
    "deepseek": "DEEPSEEK_BASE_URL",
    "ollama": "OLLAMA_HOST",
    "local": None,
}


class ModelEntry(BaseModel):
    """One model the gateway may call."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    provider: Provider
    model_id: str = Field(description="the provider's own id for the model")
    kind: Literal["chat", "embedding"] = "chat"
    tier: Tier
    input_per_1k: Decimal = Field(ge=0)
    output_per_1k: Decimal = Field(Decimal(0), ge=0)
    cached_input_per_1k: Decimal | None = Field(
        None, ge=0, description="price of cache-read input tokens; the input price when unset"
    )
    cache_write_per_1k: Decimal | None = Field(
        None,
        ge=0,
        description="price of input tokens written to the provider's prompt cache (Anthropic "
        "charges 1.25x its input price); the input price when unset",
    )
    batch_discount: Decimal = Field(
        Decimal(0), ge=0, le=1, description="share taken off by the provider's Batch API"
    )
    context_window: int = Field(gt=0)
    max_output_tokens: int = Field(4096, gt=0)
    strengths: tuple[TaskType, ...] = ()
    base_url: str | None = None
    api_key_env: str | None = Field(
        None, description="env var holding the key; the provider's usual one when unset"
    )
    requires_key: bool = True
    auto_route: bool = Field(
        True, description="may the router pick it on its own; False: only when named"
    )
    status: Status = Field(
        "current",
        description="current; legacy: still served, superseded; retired: no longer served",
    )
    replacement: str | None = Field(
        None, description="the registry model to use instead of a legacy or retired one"
    )
    priced_on: dt.date | None = Field(
        None, description="when its prices were read from the provider's pricing page"
    )
    model_path: str | None = Field(None, description="GGUF file, for provider 'local'")
    embedding_dimensions: int | None = Field(None, gt=0)
    max_concurrency: int | None = Field(None, gt=0)
    requests_per_minute: int | None = Field(None, gt=0)
    tokens_per_minute: int | None = Field(None, gt=0)

    @field_validator("strengths", mode="before")
    @classmethod
    def _strengths_tuple(cls, v: Any) -> Any:
        return tuple(v) if isinstance(v, list) else v

    @property
    def key_env(self) -> str | None:
        return self.api_key_env or DEFAULT_KEY_ENV[self.provider]

    @property
    def price_per_1k(self) -> Decimal:
        """Input plus output price per 1K tokens: what a cost ceiling is compared with."""
        return self.input_per_1k + self.output_per_1k

    def handles(self, complexity: str) -> bool:
        return TIER_RANK[self.tier] >= TIER_RANK[complexity]


class Registry(Mapping[str, ModelEntry]):
    """An immutable name → entry mapping."""

    def __init__(self, entries: Mapping[str, ModelEntry]) -> None:
        self._entries = dict(entries)

    def __getitem__(self, name: str) -> ModelEntry:
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(sorted(self._entries))
            raise ConfigError(f"unknown model {name!r}; the registry has: {known}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def chat_models(self) -> list[ModelEntry]:
        return [e for e in self._entries.values() if e.kind == "chat"]

    def embedding_models(self) -> list[ModelEntry]:
        return [e for e in self._entries.values() if e.kind == "embedding"]


def _bundled_tables() -> dict[str, dict[str, Any]]:
    text = resources.files("minutes.llm").joinpath("models.toml").read_text("utf-8")
    return tomllib.loads(text)["models"]


def _read_user_file(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"models file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read models file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"models file {path} is not valid TOML: {exc}") from None
    models = data.get("models", {})
    if not isinstance(models, dict):
        raise ConfigError(f"models file {path}: [models] must be a table of tables")
    return models


def load_registry(
    user_file: Path | None = None,
    inline: Mapping[str, Mapping[str, Any]] | None = None,
) -> Registry:
    """The bundled registry, then ``user_file``'s tables, then ``inline`` ones, merged by name."""
    tables = {name: dict(t) for name, t in _bundled_tables().items()}
    layers: list[tuple[str, Mapping[str, Any]]] = []
    if user_file is not None:
        layers.append((str(user_file), _read_user_file(user_file)))
    if inline:
        layers.append(("config", inline))
    for origin, layer in layers:
        for name, table in layer.items():
            if not isinstance(table, Mapping):
                raise ConfigError(f"{origin}: models.{name} must be a table")
            tables[name] = {**tables.get(name, {}), **table}
    entries: dict[str, ModelEntry] = {}
    for name, table in tables.items():
        try:
            entries[name] = ModelEntry(name=name, **{k: v for k, v in table.items() if k != "name"})
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or name}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigError(f"model {name!r} is invalid: {problems}") from None
    for entry in entries.values():
        replacement = entries.get(entry.replacement) if entry.replacement else None
        if entry.replacement and (replacement is None or replacement.kind != entry.kind):
            raise ConfigError(
                f"model {entry.name!r}: its replacement {entry.replacement!r} is not a "
                f"{entry.kind} model of the registry"
            )
    return Registry(entries)
