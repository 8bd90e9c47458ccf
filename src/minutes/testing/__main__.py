"""``python -m minutes.testing``: run the fake LLM server until Ctrl-C.

    python -m minutes.testing --host 127.0.0.1 --port 8089 --script replies.json

The script file maps a model id (``"*"`` for any model) to a list of items: a string, ``{"content":
..., "input_tokens": ..., "output_tokens": ..., "cached_tokens": ...}``, ``{"fault": "rate_limit",
"retry_after": 2}``, ``{"fault": "status", "code": 500}``, ``{"fault": "stall", "seconds": 3}``,
``{"fault": "malformed"}`` or ``{"fault": "reset"}``. Without a script every request is answered
"ok".
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from pydantic import ValidationError

from minutes.testing._script import load_script
from minutes.testing.server import FakeLLMServer


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m minutes.testing",
        description="Fake OpenAI / Anthropic / Ollama server for tests and demos.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8089, help="port to bind; 0 = any (8089)")
    parser.add_argument("--script", metavar="FILE.json", help="queued replies and faults")
    parser.add_argument("--embedding-dim", type=int, default=64, help="embedding vector size (64)")
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="NAME",
        help="a model to list in /v1/models and /api/tags (repeatable; scripted ones are listed)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    server = FakeLLMServer(
        args.host,
        args.port,
        embedding_dim=args.embedding_dim,
        models=args.model,
        access_log=not args.quiet,
    )
    if args.script:
        try:
            script = load_script(args.script)
        except (OSError, ValueError, ValidationError) as exc:
            print(f"error: cannot load script {args.script}: {exc}", file=sys.stderr)
            return 2
        for model, items in script.items():
            server.script(model, *items)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # SIGTERM too, so `kill` or a process manager stops it as cleanly as Ctrl-C does.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        server.start()
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    print(f"minutes fake LLM server on {server.url}", flush=True)
    print(f"  OpenAI / DeepSeek base_url: {server.openai_base_url}", flush=True)
    print(f"  Anthropic base_url:         {server.anthropic_base_url}", flush=True)
    print(f"  Ollama host:                {server.ollama_base_url}", flush=True)
    print("Ctrl-C to stop.", flush=True)
    try:
        while not stop.wait(0.5):  # a timed wait keeps the main thread responsive to signals
            pass
    finally:
        server.stop()
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
