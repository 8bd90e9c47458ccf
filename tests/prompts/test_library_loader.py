from pathlib import Path

import pytest

from minutes.errors import ConfigError
from minutes.prompts import load_library

PIPELINE_PROMPTS = {
    "key_points_map": "1.0",
    "key_points_reduce": "1.0",
    "key_points_refine": "1.0",
    "action_item_extraction": "2.1",
    "decision_extraction": "1.2",
    "narrative_summary": "1.1",
    "tldr_generation": "1.0",
    "priority_classification": "1.0",
}


def test_every_pipeline_prompt_is_bundled_at_its_latest_version() -> None:
    lib = load_library()
    for name, version in PIPELINE_PROMPTS.items():
        assert lib.get(name).version == version
    assert lib.versions("action_item_extraction") == ["2.0", "2.1"]
    assert "2.0:" in lib.get("action_item_extraction").changelog


def test_config_selects_a_version_and_a_missing_one_is_an_error() -> None:
    lib = load_library(selected={"action_item_extraction": "2.0"})
    assert lib.get("action_item_extraction").version == "2.0"
    with pytest.raises(ConfigError, match="does not exist"):
        load_library(selected={"action_item_extraction": "9.9"})


def test_rendering_checks_variables_and_keeps_braces_in_values() -> None:
    p = load_library().get("key_points_map")
    _system, user = p.render(title="T", chunk='[0] A: JSON like {"a": 1}')
    assert '{"a": 1}' in user and '{"points"' in user
    with pytest.raises(ConfigError, match="missing"):
        p.render(title="T")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('input_variables = ["x"]\ntemplate = "{x} {y}"', "undeclared variable"),
        ('input_variables = ["x", "z"]\ntemplate = "{x}"', "never used"),
        ('input_variables = ["x"]\ntemplate = "{x"', "not a valid format string"),
    ],
)
def test_a_mistyped_variable_is_an_error_at_load_time(
    tmp_path: Path, body: str, message: str
) -> None:
    (tmp_path / "bad@1.0.toml").write_text(
        f'name = "bad"\nversion = "1.0"\ntask = "t"\nchangelog = "c"\n{body}\n'
    )
    with pytest.raises(ConfigError, match=message):
        load_library([tmp_path])
