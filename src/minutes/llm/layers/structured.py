"""Schema-validated output: parse a model's reply into a pydantic model, repairing what a
maintained library can repair (json-repair: code fences, trailing commas, single quotes, prose
around the JSON, truncation), and build the re-ask message when validation still fails.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from functools import lru_cache
from typing import Any, TypeVar

import json_repair
from pydantic import BaseModel, ValidationError

from minutes.errors import OutputInvalid
from minutes.llm.calls import (
    CallFn,
    ChatMessage,
    ModelCall,
    ModelReply,
    attach_records,
    records_of,
)

log = logging.getLogger(__name__)
T = TypeVar("T", bound=BaseModel)


# pydantic builds a model's JSON Schema anew on every call (about 4 ms for the extraction
# schemas), and each structured call needed it three times: once per schema class is enough.
@lru_cache(maxsize=256)
def _schema_text(schema: type[BaseModel]) -> str:
    return json.dumps(schema.model_json_schema(), separators=(",", ":"))


def json_schema_of(schema: type[BaseModel]) -> dict[str, Any]:
    """``schema.model_json_schema()``, built once per class; a fresh copy each call, since a
    provider adapter may adjust the dict it is given."""
    loaded: dict[str, Any] = json.loads(_schema_text(schema))
    return loaded


@lru_cache(maxsize=256)
def schema_instruction(schema: type[BaseModel]) -> str:
    """The instruction appended to a prompt that expects structured output."""
    return (
        "Reply with one JSON object only, no prose and no code fence, that validates against "
        f"this JSON Schema:\n{_schema_text(schema)}"
    )


def parse_structured(text: str, schema: type[T]) -> T:
    """Parse ``text`` into ``schema``; raise ``OutputInvalid`` with the reason when it cannot."""
    try:
        return schema.model_validate_json(text)
    except ValidationError:
        pass  # not strict JSON of the right shape: repair, then validate the object
    data = json_repair.loads(text) if text.strip() else ""
    if data == "" or data is None:
        raise OutputInvalid("the reply holds no JSON", raw=text)
    data = _wrap_bare_list(data, schema)
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise OutputInvalid(
            f"the reply does not match the schema: {_brief(exc)}", raw=text
        ) from None


def reask_message(error: OutputInvalid) -> str:
    """What to tell the model when its reply did not validate, for the one re-ask."""
    return (
        f"Your previous reply could not be used: {error}. "
        "Reply again with only the corrected JSON object."
    )


def _wrap_bare_list(data: Any, schema: type[BaseModel]) -> Any:
    # Small models often answer {"items": [...]} with just the list: when the schema has
    # exactly one list field, a bare list is unambiguous.
    if not isinstance(data, list):
        return data
    list_fields = [
        name
        for name, field in schema.model_fields.items()
        if getattr(field.annotation, "__origin__", None) is list
    ]
    required = [n for n, f in schema.model_fields.items() if f.is_required()]
    if len(list_fields) == 1 and set(required) <= set(list_fields):
        return {list_fields[0]: data}
    return data


def _brief(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "(root)"
        parts.append(f"{where}: {err['msg']}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


class Structured:
    """Layer: validates a call's reply against its schema (``call.schema``), re-asks once with
    the error, and puts the parsed data on the reply. Calls without a schema pass through.

    A reply still invalid after the re-ask raises ``OutputInvalid`` (carrying the rows of
    both attempts), which the fallback layer treats like any other failure of that model.
    """

    def __init__(self, inner: CallFn) -> None:
        self._inner = inner

    async def __call__(self, call: ModelCall) -> ModelReply:
        schema = call.schema
        if schema is None:
            return await self._inner(call)
        reply = await self._inner(call)
        try:
            return dataclasses.replace(reply, data=parse_structured(reply.text, schema))
        except OutputInvalid as first:
            log.info("%s: invalid structured output (%s); re-asking once", call.entry.name, first)
            retry = dataclasses.replace(
                call,
                messages=[
                    *call.messages,
                    ChatMessage(role="assistant", content=reply.text),
                    ChatMessage(role="user", content=reask_message(first)),
                ],
            )
            try:
                second = await self._inner(retry)
            except BaseException as exc:
                attach_records(exc, (*reply.records, *records_of(exc)))
                raise
            records = (*reply.records, *second.records)
            try:
                data = parse_structured(second.text, schema)
            except OutputInvalid as final:
                final.model, final.provider = call.entry.name, call.entry.provider
                attach_records(final, records)
                raise
            return dataclasses.replace(
                second,
                usage=reply.usage + second.usage,
                cost_usd=reply.cost_usd + second.cost_usd,
                latency_ms=reply.latency_ms + second.latency_ms,
                data=data,
                records=records,
            )
