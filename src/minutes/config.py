"""Settings from environment variables (``MINUTES_*``) and a TOML file (pydantic-settings).

Precedence, highest first: init arguments, environment variables, the TOML file
(``MINUTES_CONFIG`` or ``<user config dir>/minutes/config.toml``), defaults.
Provider keys are read from the providers' usual variables (``OPENAI_API_KEY`` …) by the
provider layer, not stored here, so that they never end up in a dumped config.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from minutes.errors import ConfigError

Complexity = Literal["simple", "moderate", "complex", "critical"]


class TaskRoute(BaseModel):
    """Which model a pipeline task prefers, and how hard the task is."""

    model: str
    complexity: Complexity = "moderate"
    task_type: Literal["summarization", "extraction", "classification", "reasoning", "long_context"]


def _default_tasks() -> dict[str, TaskRoute]:
    # Each pipeline task with its preferred model and complexity, on models served today.
    # The design's map (2024) sent extraction to gpt-4-turbo at $10/$30 per million tokens;
    # gpt-4.1-mini reads the same transcript for a twenty-fifth of that input price, which is
    # what brings a meeting near a cent. A user who wants more care on extraction names
    # gpt-4.1 or claude-sonnet-4-5 for extract_actions / extract_decisions in the config.
    return {
        "chunk_key_points": TaskRoute(
            model="gpt-4.1-nano", complexity="simple", task_type="summarization"
        ),
        "consolidate_key_points": TaskRoute(
            model="gpt-4.1-mini", complexity="moderate", task_type="summarization"
        ),
        "generate_narrative": TaskRoute(
            model="gpt-4.1-mini", complexity="moderate", task_type="summarization"
        ),
        "extract_actions": TaskRoute(
            model="gpt-4.1-mini", complexity="moderate", task_type="extraction"
        ),
        "extract_decisions": TaskRoute(
            model="gpt-4.1-mini", complexity="moderate", task_type="extraction"
        ),
        "generate_tldr": TaskRoute(
            model="gpt-4.1-nano", complexity="simple", task_type="summarization"
        ),
        "classify_action_priority": TaskRoute(
            model="gpt-4.1-nano", complexity="simple", task_type="classification"
        ),
        "classify_priority": TaskRoute(
            model="deepseek-chat", complexity="simple", task_type="classification"
        ),
        "generate_embeddings": TaskRoute(
            model="text-embedding-3-small", complexity="simple", task_type="extraction"
        ),
    }


class RouterSettings(BaseModel):
    # One model of each provider, so that one provider's outage or a missing key is covered.
    fallback_chain: list[str] = Field(
        default_factory=lambda: [
            "gpt-4.1-mini",
            "claude-haiku-4-5",
            "deepseek-chat",
            "llama3.1-8b",
        ]
    )
    tasks: dict[str, TaskRoute] = Field(default_factory=_default_tasks)


class ResilienceSettings(BaseModel):
    max_attempts: int = Field(3, ge=1, le=10, description="attempts per model, first included")
    backoff_initial_s: float = Field(0.5, ge=0)
    backoff_max_s: float = Field(20.0, ge=0)
    max_retry_after_s: float = Field(
        60.0, ge=0, description="a longer Retry-After moves on to the next model instead"
    )
    timeout_s: float = Field(60.0, gt=0, description="per request")
    breaker_threshold: int = Field(5, ge=1, description="consecutive failures that open it")
    breaker_cooldown_s: float = Field(30.0, ge=0)
    availability_probe_timeout_s: float = Field(0.5, gt=0)
    availability_reuse_s: float = Field(
        10.0,
        ge=0,
        description="a server's answer to a probe is reused by later runs in this process for "
        "this long (a worker's jobs); 0 asks every run",
    )


class SemanticCacheOverride(BaseModel):
    """Per-model semantic cache settings; unset fields keep the section's value."""

    threshold: float | None = Field(None, gt=0, le=1)
    ttl_hours: float | None = Field(None, gt=0)
    enabled: bool | None = None


class SemanticCacheSettings(BaseModel):
    enabled: bool = True
    threshold: float = Field(0.95, gt=0, le=1, description="cosine similarity needed for a hit")
    ttl_hours: float = Field(24.0, gt=0, description="older entries never answer a lookup")
    embedding_model: str = Field(
        "local-minilm", description="registry embedding model for the cache's vectors"
    )
    per_model: dict[str, SemanticCacheOverride] = Field(default_factory=dict)


class CacheSettings(BaseModel):
    enabled: bool = True
    exact_ttl_hours: float | None = Field(
        None, gt=0, description="exact entries older than this do not answer; None: no expiry"
    )
    semantic: SemanticCacheSettings = Field(default_factory=SemanticCacheSettings)


class BudgetSettings(BaseModel):
    """Spending limits in USD per UTC day and month, checked before each call."""

    daily_usd: Decimal | None = Field(None, ge=0)
    monthly_usd: Decimal | None = Field(None, ge=0)
    max_usd_per_meeting: Decimal | None = Field(
        None, ge=0, description="what one meeting's calls may cost together"
    )
    on_exceed: Literal["downgrade", "extractive", "fail"] = Field(
        "downgrade",
        description="downgrade: a cheaper model that fits, else the extractive engine; "
        "extractive: the extractive engine; fail: stop with BudgetExceeded",
    )
    ceilings_from_history: bool = Field(
        True,
        description="ask each task for what its past answers took (1.5x their 99th "
        "percentile, once the ledger holds 30) instead of the stage's fixed max_tokens; an "
        "answer cut short is asked again with the fixed one",
    )


class Limits(BaseModel):
    """Limits on calls to one model; None: no limit of that kind."""

    max_concurrency: int | None = Field(None, gt=0, description="requests in flight at once")
    requests_per_minute: int | None = Field(None, gt=0)
    tokens_per_minute: int | None = Field(
        None, gt=0, description="counted prompt tokens plus the reply's max_tokens, per minute"
    )


def _default_provider_limits() -> dict[str, Limits]:
    # Fallbacks for models whose registry entry sets no limit: roughly the providers' entry
    # tiers, so that an unconfigured model cannot start a 429 storm. Local servers take few
    # requests at once (Ollama serves 1-4 in parallel; the in-process model one).
    return {
        "openai": Limits(max_concurrency=16, requests_per_minute=500, tokens_per_minute=200_000),
        "anthropic": Limits(max_concurrency=8, requests_per_minute=50, tokens_per_minute=40_000),
        "deepseek": Limits(max_concurrency=16),
        "ollama": Limits(max_concurrency=2),
        "local": Limits(max_concurrency=1),
    }


class SchedulerSettings(BaseModel):
    """The one scheduler every LLM call of the process goes through.

    A model's limits are its registry fields (``max_concurrency``, ``requests_per_minute``,
    ``tokens_per_minute``), field by field over this section's ``providers`` fallbacks, and
    ``models`` overrides both.
    """

    enabled: bool = Field(True, description="False: no limits at all (for comparison)")
    providers: dict[str, Limits] = Field(default_factory=_default_provider_limits)
    models: dict[str, Limits] = Field(
        default_factory=dict, description="registry model name -> limits that win over all"
    )
    burst_s: float = Field(
        2.0,
        gt=0,
        description="seconds' worth of a minute's request rate that may go at once; providers "
        "enforce per-minute limits over shorter windows, so a whole minute's burst is refused",
    )
    coalesce_max_items: int = Field(
        20, ge=1, description="items of one list-taking prompt combined into one request"
    )


class PromptSettings(BaseModel):
    """Which version of each prompt the pipeline uses, and where more prompt files live."""

    selected: dict[str, str] = Field(
        default_factory=dict,
        description="prompt name -> version; a prompt not named here uses its latest version",
    )
    extra_dirs: list[Path] = Field(
        default_factory=list, description="folders of more prompt files (*.toml) to load"
    )


class ServiceSettings(BaseModel):
    """``minutes serve`` and ``minutes worker``."""

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    max_body_mb: float = Field(20.0, gt=0, description="larger request bodies get 413")
    requests_per_minute: int = Field(
        600, gt=0, description="per API key, unless the key sets its own; more get 429"
    )
    jobs_in_process: int = Field(
        4, ge=1, le=256, description="meetings run at once by serve's own runner (no broker)"
    )
    worker_concurrency: int = Field(4, ge=1, le=256, description="meetings per worker at once")
    job_stale_after_s: float = Field(
        60.0, gt=0, description="a running job silent this long was lost and may be taken over"
    )
    heartbeat_s: float = Field(10.0, gt=0, description="how often a running job says it lives")
    visibility_timeout_s: int = Field(
        7200,
        gt=0,
        description="Redis broker: an unacknowledged job goes back to the queue after this; "
        "longer than any meeting takes",
    )
    job_max_retries: int = Field(5, ge=0, description="when the store cannot be reached")
    requeue_after_s: float = Field(
        900.0,
        gt=0,
        description="with a broker: a job still queued this long after it was sent (its "
        "message lost, or its retries spent while the store was down), or running with a "
        "heartbeat this old, is sent to the broker again by serve's sweeper",
    )
    webhook_attempts: int = Field(5, ge=1, le=20)
    webhook_timeout_s: float = Field(10.0, gt=0)
    webhook_backoff_s: float = Field(1.0, ge=0, description="first wait; doubles per attempt")


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir("minutes")) / "config.toml"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MINUTES_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    models_file: Path | None = Field(
        None, description="a TOML file of models that extends or overrides the bundled registry"
    )
    models: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="registry entries given inline in the config file"
    )
    router: RouterSettings = Field(default_factory=RouterSettings)
    resilience: ResilienceSettings = Field(default_factory=ResilienceSettings)
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the store (MINUTES_DATABASE_URL); "
        "a SQLite file in the user data directory when unset",
    )
    cache: CacheSettings = Field(default_factory=CacheSettings)
    budget: BudgetSettings = Field(default_factory=BudgetSettings)
    prompts: PromptSettings = Field(default_factory=PromptSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    broker_url: str | None = Field(
        None,
        description="MINUTES_BROKER_URL: redis://… or amqp://…; jobs go to minutes worker "
        "processes through it. Unset: minutes serve runs jobs itself",
    )
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    people: dict[str, list[str]] = Field(
        default_factory=dict,
        description='aliases of people: [people] "Tom Okafor" = ["Tom", "tom@acme.com"]',
    )
    tenant: str = Field(
        "default",
        min_length=1,
        max_length=64,
        description="whose meetings, ledger rows, caches and budget a run uses (the service "
        "sets it per request from the API key; the CLI's runs are the default tenant's)",
    )

    def for_tenant(self, tenant: str, budget: BudgetSettings | None = None) -> Settings:
        """These settings for one tenant, with its own budget when it has one."""
        update: dict[str, Any] = {"tenant": tenant}
        if budget is not None:
            update["budget"] = budget
        return self.model_copy(update=update)

    def without_cache(self) -> Settings:
        """These settings with the response cache off (``--no-cache``)."""
        return self.model_copy(update={"cache": self.cache.model_copy(update={"enabled": False})})

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = config_path().expanduser()
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=path),
        )


def config_path() -> Path:
    """The TOML file settings are read from: ``MINUTES_CONFIG``, else the default path."""
    return Path(os.environ.get("MINUTES_CONFIG") or default_config_path())


def _check_named_config() -> None:
    # pydantic-settings skips a TOML file that does not exist. That is right for the default
    # path (most users have no config file), but a MINUTES_CONFIG with a typo in it would
    # then be ignored without a word, and the run would go on with other settings.
    named = os.environ.get("MINUTES_CONFIG")
    if not named:
        return
    path = Path(named).expanduser()
    if not path.exists():
        why = "a broken symlink" if path.is_symlink() else "there is no such file"
        raise ConfigError(f"MINUTES_CONFIG names {named}, but {why}")
    if path.is_dir():
        raise ConfigError(f"MINUTES_CONFIG names {named}, which is a directory, not a TOML file")


def load_settings(**overrides: Any) -> Settings:
    """Settings, with any error in the environment or the TOML file as one ``ConfigError``.

    A ``MINUTES_CONFIG`` naming a file that does not exist is an error; the default path's
    absence is not."""
    _check_named_config()
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(f"invalid settings: {_describe(exc)}") from None
    except (OSError, ValueError) as exc:  # unreadable or malformed TOML
        raise ConfigError(f"cannot read the config file: {exc}") from None


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(root)"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)
