"""How close one meeting's wall time comes to its critical path of LLM calls.

Runs the pipeline on real AMI meetings against the fake LLM server, every call answered
after a fixed delay, and prints: calls made, the sum of their latencies (what a sequential
pipeline would take), the critical path (map -> reduce -> narrative -> TL;DR: four calls in
a row) and the measured wall time. The models are the router's own choices (every OpenAI
model is pointed at the fake server); the server runs in a child process, so that its work
is not counted as the pipeline's. ``--delay 0.001`` measures the in-process overhead.

    python bench/pipeline_critical_path.py [AMI_DIR] [--delay 0.2] [--meetings 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import time
from multiprocessing.connection import Connection
from pathlib import Path

from minutes.config import ResilienceSettings, Settings
from minutes.llm.gateway import Gateway
from minutes.llm.registry import load_registry
from minutes.pipeline.options import PipelineOptions
from minutes.pipeline.runner import run_pipeline
from minutes.testing import FakeLLMServer, Fault, RecordedRequest
from minutes.transcripts import load_transcript

DEFAULT_AMI = Path(__file__).resolve().parents[2] / "shared" / "data" / "ami-dev"


def reply(req: RecordedRequest) -> str:
    text = "\n".join(m["content"] for m in req.messages if m["role"] == "user")
    seg = re.search(r"^\[(\d+)\] [^:]+: (.{20,80}?)[.?!,]", text, flags=re.M)
    cite = {"segment": int(seg.group(1)), "quote": seg.group(2)} if seg else {}
    if "Merge points" in text:
        return json.dumps({"points": [{"text": "A merged point", "ids": [0]}]})
    if '"points"' in text:
        return json.dumps({"points": [{"text": "A point", **cite}]})
    if '"items"' in text:
        return json.dumps({"items": [{"task": "Do the thing", **cite}]})
    if '"decisions"' in text:
        return json.dumps({"decisions": [{"decision": "Go ahead", **cite}]})
    if '"priority"' in text:
        return json.dumps({"priority": "normal"})
    return "A summary."


def serve(delay: float, conn: Connection) -> None:
    """The child process: a fake server answering every call after ``delay`` seconds."""
    with FakeLLMServer() as server:
        server.default_reply = lambda req: Fault.stall(delay, then=reply(req))
        conn.send(server.openai_base_url)
        conn.recv()  # until the parent is done


async def one(path: Path, gateway: Gateway, delay: float) -> dict[str, float]:
    transcript = load_transcript(path)
    t0 = time.perf_counter()
    notes = await run_pipeline(transcript, options=PipelineOptions(), gateway=gateway)
    wall = time.perf_counter() - t0
    calls = sum(p.calls for p in notes.provenance)
    assert notes.engine == "llm", notes.degraded_reasons
    return {"calls": calls, "sequential": calls * delay, "critical": 4 * delay, "wall": wall}


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "ami", nargs="?", type=Path, default=Path(os.environ.get("MINUTES_AMI_DIR", DEFAULT_AMI))
    )
    ap.add_argument("--delay", type=float, default=0.2)
    ap.add_argument("--meetings", type=int, default=3)
    args = ap.parse_args()
    files = sorted(p for p in args.ami.glob("*.json") if not p.name.endswith(".labels.json"))
    if not files:
        raise SystemExit(f"no AMI meetings in {args.ami}")
    os.environ["OPENAI_API_KEY"] = "sk-bench"
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("fork").Process(
        target=serve, args=(args.delay, child), daemon=True
    )
    server.start()
    os.environ["OPENAI_BASE_URL"] = parent.recv()
    settings = Settings(resilience=ResilienceSettings(timeout_s=30))
    gateway = Gateway(settings, load_registry(None, {}))
    print(f"delay per call {args.delay:.3f}s")
    head = ("meeting", "calls", "sequential s", "critical s", "wall s", "wall/critical")
    print("{:10} {:>5} {:>12} {:>10} {:>7} {:>13}".format(*head))
    try:
        for path in files[: args.meetings]:
            r = await one(path, gateway, args.delay)
            print(
                f"{path.stem:10} {r['calls']:5.0f} {r['sequential']:12.2f} {r['critical']:10.2f} "
                f"{r['wall']:7.2f} {r['wall'] / r['critical']:13.2f}",
                flush=True,
            )
    finally:
        gateway.close()
        parent.send("stop")
        server.join(timeout=10)


if __name__ == "__main__":
    asyncio.run(main())
