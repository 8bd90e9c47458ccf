"""A fake LLM server over real HTTP: OpenAI, Anthropic and Ollama wire formats, scripted.

Point the real SDKs (openai, anthropic, ollama, and their LangChain wrappers) at it instead of a
provider; nothing is monkeypatched, so retries, timeouts and error mapping run for real.

Routes: OpenAI ``POST /v1/chat/completions`` (also ``stream: true``, with the usage chunk when
``stream_options.include_usage``), ``POST /v1/embeddings``, ``GET /v1/models``; Anthropic
``POST /v1/messages`` (also streamed) and ``/v1/messages/count_tokens``; Ollama ``POST
/api/chat`` (NDJSON stream or whole), ``/api/embed``, ``GET /api/tags``, ``/api/version``.

In a test::

    from openai import OpenAI, RateLimitError
    from minutes.testing import FakeLLMServer, Fault, Reply

    with FakeLLMServer() as srv:
        srv.script(
            "gpt-4o-mini",
            Fault.rate_limit(retry_after=1.5),         # 429 + Retry-After, provider error body
            Reply(content='{"a": 1}', input_tokens=120, output_tokens=30, cached_tokens=20),
        )
        srv.script(None, "any model gets this")    # the any-model queue
        srv.default_reply = lambda req: "ok"       # when every queue is empty (the default)

        client = OpenAI(base_url=srv.openai_base_url, api_key="test", max_retries=0)
        try:
            client.chat.completions.create(model="gpt-4o-mini", messages=[...])
        except RateLimitError as exc:
            assert exc.response.headers["retry-after"] == "1.5"
        done = client.chat.completions.create(model="gpt-4o-mini", messages=[...])
        assert done.usage.prompt_tokens_details.cached_tokens == 20
        assert srv.calls(model="gpt-4o-mini") == 2
        assert srv.requests[-1].messages[-1]["content"] == "..."

Faults: ``Fault.rate_limit(retry_after=None)``, ``Fault.status(code, message=None,
retry_after=None)``, ``Fault.stall(seconds, then=None)`` (answers late, so a short client
timeout fires; it never blocks other requests), ``Fault.malformed()`` (200 with truncated JSON),
``Fault.reset()`` (200 with the headers and half the body, then a TCP reset of the connection).
Token usage not given in a Reply is counted with ``minutes.tokens.count_tokens``: the request's
message text for input, the reply content for output. ``Reply.input_tokens`` always means the
whole prompt, cached tokens included (the Anthropic format reports it without them).
Embeddings are deterministic: :func:`fake_embedding` (feature hashing of the words,
L2-normalised; ``embedding_dim`` 64 unless the request asks for ``dimensions``).

From a shell (Ctrl-C stops it)::

    python -m minutes.testing --port 8089 --script replies.json

where ``replies.json`` maps a model (``"*"``: any model) to its queue::

    {"gpt-4o-mini": ["plain reply",
                     {"content": "{\\"a\\": 1}", "input_tokens": 120, "cached_tokens": 20},
                     {"fault": "rate_limit", "retry_after": 2},
                     {"fault": "status", "code": 500},
                     {"fault": "stall", "seconds": 3},
                     {"fault": "malformed"},
                     {"fault": "reset"}]}
"""

from minutes.testing._common import fake_embedding
from minutes.testing._script import (
    Fault,
    RecordedRequest,
    Reply,
    Responder,
    ScriptItem,
    load_script,
    parse_script,
)
from minutes.testing.server import FakeLLMServer

__all__ = [
    "FakeLLMServer",
    "Fault",
    "RecordedRequest",
    "Reply",
    "Responder",
    "ScriptItem",
    "fake_embedding",
    "load_script",
    "parse_script",
]
