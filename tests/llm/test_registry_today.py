"""The bundled registry holds the models the providers serve today, priced with a date; the
design's 2024 models stay as named legacy or retired entries with their replacement; the
default task map and fallback chain use only current models, and the router never picks a
legacy one on its own."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from minutes.config import RouterSettings, Settings
from minutes.errors import ConfigError
from minutes.llm.providers.availability import Availability
from minutes.llm.registry import load_registry
from minutes.llm.router import Router
from scripted_replies import DESIGN_MODELS

REG = load_registry()


def test_the_design_models_stay_named_with_a_current_replacement_of_their_kind() -> None:
    for name in DESIGN_MODELS:
        entry = REG[name]
        assert entry.status in ("legacy", "retired"), name
        assert not entry.auto_route, name
        assert entry.replacement is not None, name
        replacement = REG[entry.replacement]
        assert replacement.status == "current", name
        assert replacement.kind == entry.kind, name


def test_every_current_remote_model_has_its_prices_dated() -> None:
    current = [e for e in REG.values() if e.status == "current" and e.provider != "local"]
    assert {e.provider for e in current} == {"openai", "anthropic", "deepseek", "ollama"}
    for e in current:
        assert e.priced_on is not None, e.name


def test_anthropic_cache_writes_cost_a_quarter_more_than_input_and_reads_a_tenth() -> None:
    for e in REG.values():
        if e.provider == "anthropic" and e.status == "current":
            assert e.cache_write_per_1k == e.input_per_1k * Decimal("1.25"), e.name
            assert e.cached_input_per_1k == e.input_per_1k / 10, e.name


def test_the_default_task_map_and_fallback_chain_name_only_current_models() -> None:
    settings = Settings()
    named = [r.model for r in settings.router.tasks.values()] + settings.router.fallback_chain
    for name in named:
        assert REG[name].status == "current", name
    # one model of each remote provider in the chain, so a missing key or an outage is covered
    assert {REG[n].provider for n in settings.router.fallback_chain} == {
        "openai",
        "anthropic",
        "deepseek",
        "ollama",
    }


def test_the_router_picks_among_current_models_even_when_legacy_ones_are_available() -> None:
    avail = {n: Availability(True, "test") for n in REG}
    router = Router(REG, RouterSettings(), avail)
    for task_type, complexity in [
        ("extraction", "complex"),
        ("extraction", "moderate"),
        ("summarization", "simple"),
        ("classification", "simple"),
    ]:
        assert router.select_model(task_type, complexity).status == "current"


def test_with_only_an_openai_key_every_default_task_goes_to_a_current_openai_model() -> None:
    avail = {n: Availability(REG[n].provider == "openai", "test") for n in REG}
    router = Router(REG, RouterSettings(), avail)
    for task in RouterSettings().tasks:
        if task == "generate_embeddings":
            continue
        head = router.chain(task)[0]
        assert (head.provider, head.status) == ("openai", "current"), task


def test_a_replacement_that_is_not_in_the_registry_is_one_config_error(tmp_path: Path) -> None:
    path = tmp_path / "models.toml"
    path.write_text('[models."gpt-4-turbo"]\nreplacement = "gpt-9"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="replacement 'gpt-9'"):
        load_registry(path)
