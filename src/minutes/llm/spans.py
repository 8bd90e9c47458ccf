"""OpenTelemetry spans of LLM attempts, after the GenAI semantic conventions.

``AttemptSpans(tracer)`` is an observer of ``minutes.llm.observe``: each attempt record
becomes a client span ``chat <model>`` in the current context (a job's span when the call
was made in a job), timed by the attempt's latency and ending when the record was made.
Attributes: ``gen_ai.operation.name``, ``gen_ai.system`` (and its newer name
``gen_ai.provider.name``), ``gen_ai.request.model``, ``gen_ai.usage.input_tokens``,
``gen_ai.usage.output_tokens``, ``error.type`` for a failed attempt; and minutes' own:
``minutes.llm.cost_usd`` (a string: the exact Decimal), ``minutes.llm.cache`` (none / exact /
semantic), ``minutes.llm.cached_tokens``, ``minutes.task``, ``minutes.tenant``,
``minutes.prompt.name`` / ``minutes.prompt.version``, ``minutes.meeting_id``.

Only the service's tracing (``minutes.service.tracing``) registers it, and only when tracing
is on; OpenTelemetry (extra ``[otel]``) is imported by whoever builds the tracer, not here.
"""

from __future__ import annotations

import time
from typing import Any

from minutes.llm.calls import AttemptRecord


def attributes(attempt: AttemptRecord, tenant: str) -> dict[str, Any]:
    found: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.system": attempt.provider,
        "gen_ai.provider.name": attempt.provider,
        "gen_ai.request.model": attempt.model,
        "gen_ai.usage.input_tokens": attempt.input_tokens,
        "gen_ai.usage.output_tokens": attempt.output_tokens,
        "minutes.llm.cached_tokens": attempt.cached_tokens,
        "minutes.llm.cost_usd": str(attempt.cost_usd),
        "minutes.llm.cache": attempt.cache,
        "minutes.llm.outcome": attempt.outcome,
        "minutes.task": attempt.task,
        "minutes.tenant": tenant,
    }
    optional = {
        "minutes.prompt.name": attempt.prompt_name,
        "minutes.prompt.version": attempt.prompt_version,
        "minutes.meeting_id": attempt.meeting_id,
    }
    found.update({k: v for k, v in optional.items() if v is not None})
    if attempt.outcome != "ok":
        found["error.type"] = attempt.outcome
    return found


class AttemptSpans:
    """An observer that turns attempt records into spans of ``tracer`` (an OpenTelemetry
    ``Tracer``; typed loosely so that this module imports without OpenTelemetry)."""

    def __init__(self, tracer: Any) -> None:
        self.tracer = tracer

    def __call__(self, attempt: AttemptRecord, tenant: str) -> None:
        from opentelemetry.trace import SpanKind, Status, StatusCode

        end = time.time_ns()
        start = end - int(max(attempt.latency_ms, 0.0) * 1_000_000)
        span = self.tracer.start_span(
            f"chat {attempt.model}",
            kind=SpanKind.CLIENT,
            attributes=attributes(attempt, tenant),
            start_time=start,
        )
        if attempt.outcome != "ok":
            span.set_status(Status(StatusCode.ERROR, attempt.outcome))
        span.end(end_time=end)
