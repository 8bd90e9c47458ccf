"""Retrieval recall@k of the memory search over the bundled example meetings.

The five examples are summarized by the extractive engine (no LLM) and stored in a fresh
SQLite file; each question of tests/data/memory_questions.json is searched over transcript
segments (what ``minutes ask`` retrieves), and a question counts as recalled when one of the
top k hits is a segment that answers it. Printed: recall@1, @3, @5 for full text alone and,
when the ``embeddings`` extra is installed, fused with MiniLM vectors (RRF).

    python bench/memory_recall.py [--k 5] [--no-vectors]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from pathlib import Path

from minutes.examples import EXAMPLES, example_path
from minutes.extractive import summarize_extractive
from minutes.memory.search import embed_pending, local_embedder, search
from minutes.store.db import open_store
from minutes.store.meetings import save_meeting
from minutes.transcripts import load_transcript

QUESTIONS = Path(__file__).resolve().parents[1] / "tests" / "data" / "memory_questions.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-vectors", action="store_true", help="full text only")
    args = parser.parse_args()
    questions = json.loads(QUESTIONS.read_text(encoding="utf-8"))["questions"]
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{folder}/bench.db")
        ids = {}
        for name, info in EXAMPLES.items():
            transcript = load_transcript(example_path(name), title=info.title, date=info.date)
            with store.transaction() as session:
                ids[name] = save_meeting(session, transcript, summarize_extractive(transcript))
        embed = None if args.no_vectors else local_embedder()
        modes = [("full text (BM25)", None)]
        if embed is not None:
            asyncio.run(embed_pending(store, embed))
            modes.append(("full text + vectors (RRF)", embed))
        print(f"{len(questions)} questions over {len(EXAMPLES)} meetings, segments only")
        for label, fn in modes:
            recalled = {1: 0, 3: 0, 5: 0}
            for q in questions:
                vector = asyncio.run(fn([q["question"]]))[0] if fn else None
                with store.read() as session:
                    hits = search(
                        session, q["question"], limit=5, kinds=("segment",), query_vector=vector
                    )
                ranks = [
                    i
                    for i, h in enumerate(hits, 1)
                    if h.meeting_id == ids[q["meeting"]] and h.segment in q["segments"]
                ]
                for k in recalled:
                    recalled[k] += bool(ranks and ranks[0] <= k)
            figures = "  ".join(f"recall@{k} {n / len(questions):.3f}" for k, n in recalled.items())
            print(f"{label:28s} {figures}")
        store.close()


if __name__ == "__main__":
    main()
