"""What the semantic cache costs a CLI run: ``minutes summarize`` of a bundled meeting against
the fake LLM server (in its own process), with the cache on (the default: exact and semantic,
MiniLM embeddings) and with ``--no-cache``, each in a fresh process, as a user runs it.

    python bench/cli_cache_cost.py [--runs 3] [--example one_on_one]

Prints wall time and peak RSS (each child's own ru_maxrss) per mode, median of the runs; every run
uses a new database, so the cache misses and writes, as a new meeting's run does.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--example", default="one_on_one")
    args = ap.parse_args()
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "minutes.testing", "--port", str(port), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(f"{base}/v1/models", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    tmp = Path(tempfile.mkdtemp(prefix="minutes-cli-bench-"))
    config = tmp / "config.toml"
    config.write_text(
        "".join(
            f'[models."{name}"]\nbase_url = "{base}/v1"\n'
            for name in ("gpt-4-turbo", "gpt-3.5-turbo", "deepseek-v2")
        )
        + '[router]\nfallback_chain = ["gpt-4-turbo"]\n',
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "MINUTES_CONFIG": str(config),
        "OPENAI_API_KEY": "sk-bench",
        "DEEPSEEK_API_KEY": "sk-bench",
        "OLLAMA_HOST": "127.0.0.1:9",
    }
    env.pop("ANTHROPIC_API_KEY", None)
    results: dict[str, list[tuple[float, float]]] = {"--no-cache": [], "cache on": []}
    try:
        for i in range(args.runs):
            for mode, extra in (("--no-cache", ["--no-cache"]), ("cache on", [])):
                run_env = {
                    **env,
                    "MINUTES_DATABASE_URL": f"sqlite:///{tmp / f'{i}-{len(extra)}.db'}",
                }
                t0 = time.perf_counter()
                child = subprocess.Popen(
                    [sys.executable, "-m", "minutes", "summarize", "--example", args.example,
                     "--engine", "llm", "-o", "json", *extra],
                    env=run_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
                _, status, usage = os.wait4(child.pid, 0)  # this child's own peak RSS
                child.returncode = os.waitstatus_to_exitcode(status)
                wall = time.perf_counter() - t0
                if child.returncode != 0:
                    raise SystemExit(f"minutes summarize exited {child.returncode}")
                peak = usage.ru_maxrss
                results[mode].append((wall, peak / 1024))
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"minutes summarize --example {args.example} --engine llm, {args.runs} runs each")
    print("| mode | wall s (median) | peak RSS MB |")
    print("|---|---|---|")
    for mode, rows in results.items():
        print(
            f"| {mode} | {statistics.median(w for w, _ in rows):.2f} "
            f"| {max(m for _, m in rows):.0f} |"
        )
    on = statistics.median(w for w, _ in results["cache on"])
    off = statistics.median(w for w, _ in results["--no-cache"])
    print(f"cache on / --no-cache: {on / off:.2f}x")


if __name__ == "__main__":
    main()
