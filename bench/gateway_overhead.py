"""What each client stack adds over raw httpx, calling one local fake OpenAI server.

The server runs in its own process (``python -m minutes.testing``) so that it does not share
this process's GIL. For each stack: warm-up calls, then ``--calls`` sequential calls (the
latency of each), then a burst of ``--burst`` concurrent calls (requests per second). Every
prompt is unique, so the gateway's exact cache misses and writes each time, as a new meeting's
calls do. The scheduler's rate limits are off: the registry's per-model limits would pace the
calls and hide the overhead being measured.

    python bench/gateway_overhead.py [--calls 400] [--burst 200]

Stacks: raw httpx, the OpenAI SDK, LangChain's ChatOpenAI, LiteLLM's ``acompletion`` (when
installed), and minutes' Gateway with no store and on a SQLite store (ledger and exact cache).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

Call = Callable[[str], Awaitable[str]]
Close = Callable[[], Awaitable[None]]
Stack = Callable[[], Awaitable[tuple[Call, Close]]]
MODEL = "bench-model"
_counter = itertools.count()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "minutes.testing", "--port", str(port), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/models", timeout=1)
            return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the fake server did not start")


def prompt() -> str:
    return f"Summarize item {next(_counter)} of the meeting in one line."


async def raw_httpx(base: str) -> tuple[Call, Callable[[], Awaitable[None]]]:
    client = httpx.AsyncClient(base_url=base, timeout=30, limits=httpx.Limits(max_connections=100))

    async def call(text: str) -> str:
        r = await client.post(
            "/chat/completions",
            json={"model": MODEL, "messages": [{"role": "user", "content": text}]},
            headers={"Authorization": "Bearer sk-bench"},
        )
        r.raise_for_status()
        return str(r.json()["choices"][0]["message"]["content"])

    return call, client.aclose


async def openai_sdk(base: str) -> tuple[Call, Callable[[], Awaitable[None]]]:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=base, api_key="sk-bench", max_retries=0)

    async def call(text: str) -> str:
        r = await client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": text}]
        )
        return r.choices[0].message.content or ""

    return call, client.close


async def langchain(base: str) -> tuple[Call, Callable[[], Awaitable[None]]]:
    from langchain_openai import ChatOpenAI

    model = ChatOpenAI(model=MODEL, base_url=base, api_key="sk-bench", max_retries=0)  # type: ignore[arg-type]

    async def call(text: str) -> str:
        return str((await model.ainvoke(text)).content)

    async def close() -> None:
        return None

    return call, close


async def litellm(base: str) -> tuple[Call, Callable[[], Awaitable[None]]]:
    import litellm as lt

    async def call(text: str) -> str:
        r = await lt.acompletion(
            model=f"openai/{MODEL}",
            api_base=base,
            api_key="sk-bench",
            messages=[{"role": "user", "content": text}],
        )
        return str(r.choices[0].message.content)

    async def close() -> None:
        return None

    return call, close


def _gateway_settings(base: str, database_url: str | None) -> object:
    from minutes.config import RouterSettings, Settings

    models = {
        MODEL: {
            "provider": "openai",
            "model_id": MODEL,
            "tier": "complex",
            "input_per_1k": "0.0005",
            "output_per_1k": "0.0015",
            "context_window": 128000,
            "max_output_tokens": 4096,
            "base_url": base,
        }
    }
    return Settings(
        models=models,
        database_url=database_url,
        router=RouterSettings(fallback_chain=[MODEL]),
        scheduler={"enabled": False},
        cache={"enabled": database_url is not None, "semantic": {"enabled": False}},
    )


async def gateway(
    base: str, database_url: str | None
) -> tuple[Call, Callable[[], Awaitable[None]]]:
    from minutes.llm.calls import ChatMessage, LLMRequest
    from minutes.llm.gateway import Gateway
    from minutes.llm.providers.availability import Availability
    from minutes.store.db import open_store

    settings = _gateway_settings(base, database_url)
    store = open_store(database_url) if database_url else None
    gw = Gateway(
        settings,  # type: ignore[arg-type]
        store=store,
        availability={MODEL: Availability(available=True)},
    )

    async def call(text: str) -> str:
        request = LLMRequest(
            task="generate_tldr",
            messages=[ChatMessage(role="user", content=text)],
            model=MODEL,
            max_tokens=50,
        )
        return (await gw.complete(request)).text

    async def close() -> None:
        await asyncio.to_thread(gw.close)
        if store is not None:
            store.close()

    return call, close


async def measure(call: Call, calls: int, burst: int) -> dict[str, float]:
    for _ in range(20):
        await call(prompt())
    latencies = []
    for _ in range(calls):
        t0 = time.perf_counter()
        await call(prompt())
        latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    t0 = time.perf_counter()
    await asyncio.gather(*(call(prompt()) for _ in range(burst)))
    rate = burst / (time.perf_counter() - t0)
    return {
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        "rps": rate,
    }


def stacks(base: str, tmp: Path) -> dict[str, Stack]:
    found: dict[str, Stack] = {
        "raw httpx": lambda: raw_httpx(base),
        "OpenAI SDK": lambda: openai_sdk(base),
        "LangChain ChatOpenAI": lambda: langchain(base),
    }
    if importlib.util.find_spec("litellm") is not None:
        found["LiteLLM acompletion"] = lambda: litellm(base)
    found["minutes Gateway, no store"] = lambda: gateway(base, None)
    found["minutes Gateway on SQLite (ledger, exact cache)"] = lambda: gateway(
        base, f"sqlite:///{tmp / 'bench.db'}"
    )
    return found


async def one_stack(name: str, base: str, calls: int, burst: int) -> None:
    """In a process of its own: no stack runs beside another's threads and garbage."""
    tmp = Path(tempfile.mkdtemp(prefix="minutes-bench-"))
    call, close = await stacks(base, tmp)[name]()
    try:
        print(json.dumps(await measure(call, calls, burst)))
    finally:
        await close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=400)
    ap.add_argument("--burst", type=int, default=200)
    ap.add_argument("--stack", help=argparse.SUPPRESS)
    ap.add_argument("--base", help=argparse.SUPPRESS)
    args = ap.parse_args()
    os.environ["OPENAI_API_KEY"] = "sk-bench"
    # LiteLLM would fetch its price map from GitHub at import: the bundled copy instead.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    if args.stack:
        asyncio.run(one_stack(args.stack, args.base, args.calls, args.burst))
        return
    proc, base = start_server()
    results: dict[str, dict[str, float]] = {}
    try:
        for name in stacks(base, Path(tempfile.gettempdir())):
            out = subprocess.run(
                [sys.executable, __file__, "--stack", name, "--base", base,
                 "--calls", str(args.calls), "--burst", str(args.burst)],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            results[name] = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    raw = results["raw httpx"]
    lc = results["LangChain ChatOpenAI"]
    print(f"{args.calls} sequential calls, then a burst of {args.burst}; one local fake server;")
    print("each stack in a process of its own")
    print(
        "| stack | p50 ms | p99 ms | added p50 | added p99 | over LangChain p50 | over LangChain "
        "p99 | burst req/s | burst vs LangChain |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r['p50']:.2f} | {r['p99']:.2f} | {r['p50'] - raw['p50']:+.2f} ms "
            f"| {r['p99'] - raw['p99']:+.2f} ms | {r['p50'] - lc['p50']:+.2f} ms "
            f"| {r['p99'] - lc['p99']:+.2f} ms | {r['rps']:.0f} | {r['rps'] / lc['rps']:.0%} |"
        )
    if importlib.util.find_spec("litellm") is None:
        print("(LiteLLM is not installed: pip install litellm to add it)")


if __name__ == "__main__":
    main()
