from decimal import Decimal

import pytest

from minutes.config import RouterSettings
from minutes.errors import (
    ContextTooLong,
    NoModelAvailable,
)
from minutes.llm.providers.availability import Availability
from minutes.llm.registry import load_registry
from minutes.llm.router import Router
from scripted_replies import DESIGN_ROUTING

# The routing logic, tested on the design's six models (legacy now, so made routable here)
# and its task map; the bundled defaults of today are tested in test_registry_today.py.
ALL = (
    "gpt-4-turbo",
    "gpt-3.5-turbo",
    "claude-3-opus",
    "claude-3-sonnet",
    "deepseek-v2",
    "llama-3-70b",
)
REG = load_registry(None, {n: {"auto_route": True} for n in ALL})


def router(*available: str, settings: RouterSettings | None = None) -> Router:
    avail = {n: Availability(n in available, "test") for n in REG}
    return Router(REG, settings or RouterSettings.model_validate(DESIGN_ROUTING), avail)


def test_complex_extraction_prefers_a_complex_model_strong_at_extraction() -> None:
    assert router(*ALL).select_model("extraction", "complex").name == "gpt-4-turbo"


def test_simple_classification_takes_the_cheapest_strong_simple_model() -> None:
    # gpt-3.5 is the simple-tier model strong at classification; opus would be waste.
    assert router(*ALL).select_model("classification", "simple").name == "gpt-3.5-turbo"


def test_critical_maps_onto_complex() -> None:
    chosen = router("claude-3-opus", "deepseek-v2").select_model("reasoning", "critical")
    assert chosen.name == "claude-3-opus"


def test_only_available_models_are_considered() -> None:
    assert router("claude-3-opus").select_model("extraction", "complex").name == "claude-3-opus"


def test_cost_ceiling_filters_by_input_plus_output_price() -> None:
    r = router(*ALL)
    # gpt-4-turbo costs 0.04 per 1K in+out, opus 0.09: a 0.05 ceiling leaves gpt-4-turbo.
    assert r.select_model("reasoning", "complex", max_cost=Decimal("0.05")).name == "gpt-4-turbo"


def test_nothing_fits_picks_the_cheapest_available_model_not_a_hardcoded_one() -> None:
    r = router("claude-3-opus", "claude-3-sonnet")
    # no complex model under $0.001: cheapest available is sonnet
    assert (
        r.select_model("reasoning", "complex", max_cost=Decimal("0.001")).name == "claude-3-sonnet"
    )


def test_require_provider() -> None:
    r = router(*ALL)
    assert (
        r.select_model("extraction", "complex", require_provider="anthropic").name
        == "claude-3-opus"
    )
    with pytest.raises(NoModelAvailable, match="provider 'ollama'"):
        router("gpt-4-turbo").select_model("summarization", "simple", require_provider="ollama")


def test_nothing_available_is_a_typed_error_saying_why() -> None:
    with pytest.raises(NoModelAvailable, match="no LLM is available"):
        router().select_model("summarization", "simple")


def test_local_model_is_never_auto_routed_but_usable_when_named() -> None:
    r = router("local")
    with pytest.raises(NoModelAvailable):
        r.select_model("classification", "simple")
    assert [e.name for e in r.chain("classify_priority", model="local")] == ["local"]


def test_context_window_check_skips_models_the_prompt_does_not_fit() -> None:
    r = router("gpt-3.5-turbo", "claude-3-sonnet")
    # 20K tokens do not fit gpt-3.5's 16K window: sonnet is chosen without any call.
    chosen = r.select_model("summarization", "simple", prompt_tokens=20_000)
    assert chosen.name == "claude-3-sonnet"
    with pytest.raises(ContextTooLong):
        r.select_model("summarization", "simple", prompt_tokens=300_000)


def test_chain_is_task_model_then_configured_fallbacks_skipping_unavailable() -> None:
    r = router("gpt-4-turbo", "deepseek-v2", "llama-3-70b")
    names = [e.name for e in r.chain("extract_actions")]
    assert names == ["gpt-4-turbo", "deepseek-v2", "llama-3-70b"]


def test_chain_when_the_task_model_is_unavailable_uses_select_model_head() -> None:
    r = router("claude-3-opus", "deepseek-v2")
    names = [e.name for e in r.chain("extract_actions")]
    assert names == ["claude-3-opus", "deepseek-v2"]


def test_chain_drops_fallbacks_the_prompt_does_not_fit() -> None:
    r = router(*ALL)
    names = [e.name for e in r.chain("extract_actions", prompt_tokens=10_000)]
    assert "llama-3-70b" not in names  # 8K window
    assert names[0] == "gpt-4-turbo"


def test_task_map_is_overridable_by_config() -> None:
    settings = RouterSettings.model_validate(
        {
            "tasks": {
                "generate_tldr": {
                    "model": "deepseek-v2",
                    "complexity": "simple",
                    "task_type": "summarization",
                }
            },
            "fallback_chain": ["claude-3-sonnet"],
        }
    )
    r = router(*ALL, settings=settings)
    assert [e.name for e in r.chain("generate_tldr")] == ["deepseek-v2", "claude-3-sonnet"]


def test_provider_and_cost_limits_bind_the_fallbacks_too() -> None:
    r = router(*ALL)
    names = [e.name for e in r.chain("extract_actions", max_cost=Decimal("0.001"))]
    assert all(REG[n].price_per_1k <= Decimal("0.001") for n in names)
    names = [e.name for e in r.chain("extract_actions", require_provider="anthropic")]
    assert {REG[n].provider for n in names} == {"anthropic"}
