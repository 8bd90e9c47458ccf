"""Prompt options: few-shot examples from a file (at most N) and compression to a token target
measured with the real tokenizer; config's [prompts] section selects versions."""

from __future__ import annotations

from pathlib import Path

import pytest

from minutes.config import PromptSettings, Settings
from minutes.errors import ConfigError
from minutes.items.grounding import locate_quote
from minutes.prompts import configured_library, load_library
from minutes.prompts.compression import compress, drop_disfluencies
from minutes.tokens import count_tokens
from minutes.transcripts.models import Segment, Transcript

HEAD = 'name = "ex"\nversion = "1.0"\ntask = "extract_actions"\nchangelog = "1.0: first"\n'
EXAMPLES = "\n".join(
    f'[[examples]]\ninput = "[0] Bob: I will do thing {i}."\noutput = \'{{"items": [{i}]}}\''
    for i in (1, 2, 3)
)


def write_prompt(folder: Path, body: str, examples: str | None = EXAMPLES) -> Path:
    (folder / "ex@1.0.toml").write_text(HEAD + body)
    if examples is not None:
        (folder / "ex.examples.toml").write_text(examples)
    return folder


def test_few_shot_shows_at_most_n_examples_from_the_file(tmp_path: Path) -> None:
    write_prompt(
        tmp_path,
        'input_variables = ["chunk"]\n'
        'few_shot = { file = "ex.examples.toml", max_examples = 2 }\n'
        'template = "Examples:\\n{examples}\\n\\nNow:\\n{chunk}"\n',
    )
    prompt = load_library([tmp_path]).get("ex")
    assert len(prompt.few_shot.examples) == 3 and len(prompt.examples) == 2
    _, user = prompt.render(chunk="[0] Ann: hello")
    assert 'Example 1\nInput:\n[0] Bob: I will do thing 1.\nOutput:\n{"items": [1]}' in user
    assert "thing 2" in user and "thing 3" not in user
    assert user.endswith("Now:\n[0] Ann: hello")


@pytest.mark.parametrize(
    ("body", "examples", "message"),
    [
        (  # few_shot without a place to put the examples
            'input_variables = ["chunk"]\nfew_shot = { file = "ex.examples.toml" }\n'
            'template = "{chunk}"\n',
            EXAMPLES,
            "no {examples} field",
        ),
        (  # the examples file is missing
            'input_variables = ["chunk"]\nfew_shot = { file = "gone.toml" }\n'
            'template = "{examples} {chunk}"\n',
            None,
            "cannot read few-shot file gone.toml",
        ),
        (  # an example without its output
            'input_variables = ["chunk"]\nfew_shot = { file = "ex.examples.toml" }\n'
            'template = "{examples} {chunk}"\n',
            '[[examples]]\ninput = "x"\n',
            "examples.0.output",
        ),
        (  # {examples} used without few_shot is an undeclared variable
            'input_variables = ["chunk"]\ntemplate = "{examples} {chunk}"\n',
            None,
            "undeclared variable",
        ),
        (  # compression of a variable the prompt does not have
            'input_variables = ["chunk"]\ntemplate = "{chunk}"\n'
            'compression = { target_tokens = 500, variables = ["transcript"] }\n',
            None,
            "compression names undeclared",
        ),
    ],
)
def test_option_mistakes_are_errors_at_load_time(
    tmp_path: Path, body: str, examples: str | None, message: str
) -> None:
    write_prompt(tmp_path, body, examples)
    with pytest.raises(ConfigError, match=message):
        load_library([tmp_path])


def chunk_lines(n: int) -> str:
    lines = []
    for i in range(n):
        if i % 3 == 2:
            lines.append(f"[{i}] Bob: Okay.")
        else:
            lines.append(
                f"[{i}] Ann: Um, so so I I think   we should, uh, move the release of "
                f"feature {i} to the week after the customer review."
            )
    return "\n".join(lines)


def compressed_prompt(tmp_path: Path, target: int, few_shot: bool = False) -> object:
    options = 'few_shot = { file = "ex.examples.toml", max_examples = 3 }\n' if few_shot else ""
    template = "{examples}\\n\\n{chunk}" if few_shot else "Notes:\\n{chunk}"
    write_prompt(
        tmp_path,
        f'input_variables = ["chunk"]\n{options}template = "{template}"\n'
        f'compression = {{ target_tokens = {target}, variables = ["chunk"] }}\n',
    )
    return load_library([tmp_path]).get("ex")


def test_compression_meets_the_token_target_in_real_tokens(tmp_path: Path) -> None:
    text = chunk_lines(30)
    assert count_tokens(text) > 600
    for target in (600, 300, 120):
        system, user = compressed_prompt(tmp_path, target).render(chunk=text)
        assert count_tokens(system) + count_tokens(user) <= target
        body = user.removeprefix("Notes:\n")
        # what is left are whole segment lines (the last may be cut), numbers in order
        numbers = [int(line[1 : line.index("]")]) for line in body.splitlines()]
        assert numbers == sorted(numbers) and numbers


def test_light_compression_loses_no_words_that_grounding_needs(tmp_path: Path) -> None:
    text = chunk_lines(6)
    target = count_tokens("Notes:\n" + drop_disfluencies(text)) + 5
    _, user = compressed_prompt(tmp_path, target).render(chunk=text)
    # only fillers, stutters and blanks went: every line is still there ...
    assert len(user.splitlines()) == 1 + 6
    assert "[0] Ann: so I think we should, move the release of feature 0" in user
    assert " um" not in user.lower() and "uh," not in user
    # ... and a quote copied from the compressed text still grounds in the original
    original = Transcript(
        segments=[Segment(index=0, speaker="Ann", text=text.splitlines()[0].split(": ", 1)[1])]
    )
    found = locate_quote(original, "so I think we should, move the release of feature 0")
    assert found is not None and found.segment == 0


def test_examples_go_before_the_transcript_is_cut(tmp_path: Path) -> None:
    text = chunk_lines(4)
    prompt = compressed_prompt(tmp_path, 10_000, few_shot=True)
    full = count_tokens(prompt.render(chunk=drop_disfluencies(text))[1])
    one_example = count_tokens("Example 3\nInput:\n[0] Bob: I will do thing 3.\nOutput:\n")
    tight = compressed_prompt(tmp_path, full - one_example, few_shot=True)
    _, user = tight.render(chunk=text)
    assert "thing 1" in user and "thing 3" not in user
    assert drop_disfluencies(text) in user  # the transcript itself is whole


def test_compress_returns_text_unchanged_when_it_fits() -> None:
    text = "[0] Ann: um  hello"
    assert compress(text, lambda t: True) == text


def test_config_section_selects_versions_and_adds_folders(tmp_path: Path) -> None:
    write_prompt(tmp_path, 'input_variables = ["chunk"]\ntemplate = "{chunk}"\n', None)
    settings = Settings(
        prompts=PromptSettings(selected={"action_item_extraction": "2.0"}, extra_dirs=[tmp_path])
    )
    lib = configured_library(settings)
    assert lib.get("action_item_extraction").version == "2.0"
    assert lib.get("ex").ref == "ex@1.0"


def test_config_section_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINUTES_PROMPTS__SELECTED", '{"action_item_extraction": "2.0"}')
    assert configured_library().get("action_item_extraction").version == "2.0"
    monkeypatch.setenv("MINUTES_PROMPTS__SELECTED", '{"action_item_extraction": "7.0"}')
    with pytest.raises(ConfigError, match="does not exist"):
        configured_library()


async def test_the_pipeline_uses_the_configured_version_and_says_so(
    make_gateway, fake_server
) -> None:
    from minutes.pipeline.runner import run_pipeline
    from scripted_replies import scripted

    fake_server.default_reply = scripted
    gateway = make_gateway()
    gateway.settings = gateway.settings.model_copy(
        update={"prompts": PromptSettings(selected={"action_item_extraction": "2.0"})}
    )
    transcript = Transcript(
        segments=[Segment(index=0, speaker="Ann", text="I will send the deck on Friday.")]
    )
    notes = await run_pipeline(transcript, gateway=gateway)
    stage = next(p for p in notes.provenance if p.stage == "action_items")
    assert (stage.engine, stage.prompt_name, stage.prompt_version) == (
        "llm",
        "action_item_extraction",
        "2.0",
    )
    asked = [r for r in fake_server.requests if "List every action item" in str(r.messages)]
    assert asked and "Skip ideas nobody took on" not in str(asked[0].messages)  # 2.1's words
