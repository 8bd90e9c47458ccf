import pytest
from pydantic import BaseModel

from minutes.errors import OutputInvalid
from minutes.llm.layers.structured import parse_structured, reask_message, schema_instruction


class Items(BaseModel):
    items: list[str]


class Priority(BaseModel):
    priority: str
    reason: str | None = None


@pytest.mark.parametrize(
    "text",
    [
        '{"items": ["a", "b"]}',
        '```json\n{"items": ["a", "b"]}\n```',
        '{"items": ["a", "b",],}',
        "{'items': ['a', 'b']}",
        'Here you go: {"items": ["a", "b"]} Let me know!',
        '["a", "b"]',
    ],
)
def test_repairs_common_breakage(text: str) -> None:
    assert parse_structured(text, Items).items == ["a", "b"]


def test_wrong_shape_is_output_invalid_with_the_reason() -> None:
    with pytest.raises(OutputInvalid, match="items"):
        parse_structured('{"items": 3}', Items)


def test_no_json_at_all() -> None:
    with pytest.raises(OutputInvalid, match="no JSON"):
        parse_structured("I cannot help with that.", Items)


def test_bare_list_is_not_wrapped_when_ambiguous() -> None:
    with pytest.raises(OutputInvalid):
        parse_structured('["high"]', Priority)


def test_instruction_and_reask_carry_schema_and_error() -> None:
    assert '"items"' in schema_instruction(Items)
    msg = reask_message(OutputInvalid("the reply does not match the schema: items: bad"))
    assert "items: bad" in msg and "corrected JSON" in msg
