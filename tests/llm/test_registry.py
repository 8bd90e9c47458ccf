from decimal import Decimal
from pathlib import Path

import pytest

from minutes.errors import ConfigError
from minutes.llm.registry import load_registry


def test_bundled_registry_has_the_designs_models_with_real_ids_and_prices() -> None:
    r = load_registry()
    expected = {
        "gpt-4-turbo": ("openai", "0.01", "0.03"),
        "gpt-3.5-turbo": ("openai", "0.0005", "0.0015"),
        "claude-3-opus": ("anthropic", "0.015", "0.075"),
        "claude-3-sonnet": ("anthropic", "0.003", "0.015"),
        "deepseek-v2": ("deepseek", "0.00014", "0.00028"),
        "llama-3-70b": ("ollama", "0", "0"),
        "text-embedding-ada-002": ("openai", "0.0001", "0"),
    }
    for name, (provider, price_in, price_out) in expected.items():
        e = r[name]
        assert e.provider == provider
        assert e.input_per_1k == Decimal(price_in)
        assert e.output_per_1k == Decimal(price_out)
    assert r["claude-3-opus"].model_id == "claude-3-opus-20240229"
    assert r["deepseek-v2"].model_id == "deepseek-chat"
    assert r["llama-3-70b"].model_id == "llama3:70b"
    assert r["text-embedding-ada-002"].kind == "embedding"
    assert r["local"].provider == "local" and not r["local"].auto_route


def test_user_file_adds_and_overrides_field_by_field(tmp_path: Path) -> None:
    f = tmp_path / "models.toml"
    f.write_text(
        """
[models."gpt-4-turbo"]
input_per_1k = "0.02"
base_url = "http://127.0.0.1:9/v1"

[models."my-model"]
provider = "openai"
model_id = "gpt-4o-mini"
tier = "moderate"
input_per_1k = "0.00015"
output_per_1k = "0.0006"
context_window = 128000
strengths = ["extraction"]
"""
    )
    r = load_registry(f)
    assert r["gpt-4-turbo"].input_per_1k == Decimal("0.02")
    assert r["gpt-4-turbo"].output_per_1k == Decimal("0.03")  # kept from the bundled entry
    assert r["gpt-4-turbo"].base_url == "http://127.0.0.1:9/v1"
    assert r["my-model"].model_id == "gpt-4o-mini"
    assert r["my-model"].strengths == ("extraction",)


def test_inline_config_layer_wins_over_the_file(tmp_path: Path) -> None:
    f = tmp_path / "m.toml"
    f.write_text('[models."gpt-4-turbo"]\ninput_per_1k = "0.02"\n')
    r = load_registry(f, {"gpt-4-turbo": {"input_per_1k": "0.05"}})
    assert r["gpt-4-turbo"].input_per_1k == Decimal("0.05")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[models."x"]\nprovider = "openai"\n', "model 'x' is invalid"),
        ('[models."gpt-4-turbo"]\nprovider = "acme"\n', "provider"),
        ('[models."gpt-4-turbo"]\ninput_per_1k = "-1"\n', "input_per_1k"),
        ('[models."gpt-4-turbo"]\ncolour = "blue"\n', "colour"),
        ("[models\nbroken", "not valid TOML"),
    ],
)
def test_bad_user_files_are_one_clear_config_error(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_registry(f)


def test_missing_user_file_and_unknown_model_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_registry(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="unknown model 'gpt-9'"):
        load_registry()["gpt-9"]
