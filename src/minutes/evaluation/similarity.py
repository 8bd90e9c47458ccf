"""The similarity the CLI matches items with: cosine of all-MiniLM-L6-v2 sentence embeddings,
computed in-process (the ``embeddings`` extra), so that scoring needs no provider."""

from __future__ import annotations

from minutes.errors import ConfigError
from minutes.evaluation.metrics import Similarity, cosine_similarity

MINILM_NAME = "all-MiniLM-L6-v2 cosine"


def minilm_similarity() -> Similarity:
    """Cosine similarity of local MiniLM embeddings; a ``ConfigError`` when not installed."""
    from minutes.llm.providers.embeddings import LocalMiniLMEmbeddings, local_embedder_available

    ok, why = local_embedder_available()
    if not ok:
        raise ConfigError(f"the evaluation matches items with a local embedder: {why}")
    try:  # the weights' loading bar would land in the middle of the CLI's own progress
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:
        pass
    return cosine_similarity(LocalMiniLMEmbeddings().embed_documents)
