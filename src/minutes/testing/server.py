"""FakeLLMServer: the fake provider APIs served by uvicorn on loopback, in a background thread."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Self

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from minutes.testing import _anthropic, _batches, _ollama, _openai
from minutes.testing._common import ServerState
from minutes.testing._script import (
    Fault,
    Outcome,
    RecordedRequest,
    Reply,
    Responder,
    ScriptItem,
)


def build_app(state: ServerState) -> FastAPI:
    """The ASGI app with every provider's routes; usable on its own (e.g. under another server)."""
    app = FastAPI(title="minutes fake LLM server", docs_url=None, redoc_url=None)
    _openai.register(app, state)
    _anthropic.register(app, state)
    _ollama.register(app, state)
    _batches.register(app, state)
    return app


def _tracking_protocol(state: ServerState) -> type[H11Protocol]:
    """uvicorn's h11 protocol, keeping each open connection's transport in ``state`` by the
    client's address: Fault.reset() needs the socket, which ASGI does not hand to the app.
    h11 always (not httptools when installed): one known protocol class to extend."""

    class Tracking(H11Protocol):
        _peer: tuple[str, int] | None = None

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)  # type: ignore[arg-type]
            peer = transport.get_extra_info("peername")
            if (
                isinstance(peer, tuple)
                and len(peer) >= 2
                and isinstance(transport, asyncio.Transport)
            ):
                self._peer = (str(peer[0]), int(peer[1]))
                state.connections[self._peer] = transport

        def connection_lost(self, exc: Exception | None) -> None:
            if self._peer is not None:
                state.connections.pop(self._peer, None)
            super().connection_lost(exc)

    return Tracking


class FakeLLMServer:
    """Fake OpenAI, Anthropic and Ollama APIs over real HTTP, scripted from the test.

    Use as a context manager (``with`` or ``async with``), or call :meth:`start` and
    :meth:`stop`. ``port=0`` (the default) binds a free port; read it back from :attr:`url`.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        embedding_dim: int = 64,
        models: Sequence[str] = (),
        access_log: bool = False,
        startup_timeout: float = 10.0,
    ) -> None:
        if embedding_dim < 1:
            raise ValueError("embedding_dim must be >= 1")
        self._host = host
        self._requested_port = port
        self._access_log = access_log
        self._startup_timeout = startup_timeout
        self._state = ServerState(embedding_dim=embedding_dim, models=list(models))
        self._app = build_app(self._state)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._port: int | None = None
        self._error: BaseException | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind, start serving in a background thread, and return once requests are served."""
        if self._thread is not None:
            raise RuntimeError("FakeLLMServer is already running")
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit it: without it a reply sent as headers then body waits
        # for the client's delayed ACK, and every request took 40 ms on loopback.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((self._host, self._requested_port))
            sock.listen(128)
        except OSError:
            sock.close()
            raise
        self._sock = sock
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._app,
            lifespan="off",
            # Leave the host application's logging alone; uvicorn's loggers still propagate.
            log_config=None,
            access_log=self._access_log,
            # Shutdown waits for in-flight requests; stalls end early on stop (see _serve), so
            # this only bounds a misbehaving responder.
            timeout_graceful_shutdown=2,
            http=_tracking_protocol(self._state),
        )
        self._server = uvicorn.Server(config)
        self._error = None
        self._thread = threading.Thread(
            target=self._run, name=f"FakeLLMServer:{self._port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + self._startup_timeout
        while not self._server.started:
            if not self._thread.is_alive():
                self._cleanup()
                raise RuntimeError("FakeLLMServer failed to start") from self._error
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"FakeLLMServer did not start in {self._startup_timeout}s")
            time.sleep(0.005)
        return self

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported by start(); a thread must not die silently
            self._error = exc

    async def _serve(self) -> None:
        assert self._server is not None and self._sock is not None
        self._loop = asyncio.get_running_loop()
        self._state.closing = asyncio.Event()
        await self._server.serve(sockets=[self._sock])

    def stop(self) -> None:
        """Stop serving and join the thread; stalled requests are cut short. Idempotent."""
        server, thread, loop, closing = self._server, self._thread, self._loop, self._state.closing
        if server is None or thread is None:
            return
        if loop is not None and closing is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed in between
                loop.call_soon_threadsafe(closing.set)
        server.should_exit = True
        thread.join(timeout=5)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout=5)
        self._cleanup()

    def _cleanup(self) -> None:
        if self._sock is not None:
            self._sock.close()
        self._server = self._thread = self._sock = self._loop = None
        self._state.closing = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        # start() blocks until the server thread is up; keep the caller's event loop free.
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    # --- addresses -------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeLLMServer is not started")
        return self._port

    @property
    def url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """For OpenAI's and ChatOpenAI's ``base_url``, ChatDeepSeek's ``api_base``."""
        return f"{self.url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        """For ``Anthropic(base_url=...)`` and ``ChatAnthropic(base_url=...)``: the root."""
        return self.url

    @property
    def ollama_base_url(self) -> str:
        """For ``ollama.Client(host=...)`` and ``ChatOllama(base_url=...)``: the root."""
        return self.url

    # --- scripting -------------------------------------------------------------------------

    def script(self, model: str | None, *items: ScriptItem) -> Self:
        """Queue answers for ``model`` (as sent in the request's ``model`` field), in order.

        ``None`` is the any-model queue, used when the model's own queue is empty. Items are
        ``str`` (reply text), :class:`Reply`, :class:`Fault`, or a callable taking the
        :class:`RecordedRequest` and returning one of those. Embedding requests read only their
        own model's queue (faults apply; a Reply there only sets the reported token count).
        """
        self._state.script.add(model, items)
        return self

    @property
    def default_reply(self) -> Responder:
        """Answers requests when no queue has an item; the default says ``"ok"``."""
        return self._state.script.default

    @default_reply.setter
    def default_reply(self, responder: Responder | Outcome | None) -> None:
        # A plain str/Reply/Fault is accepted as "always answer this"; None restores "ok".
        self._state.script.default = responder

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of every request received so far (failed and faulted attempts included)."""
        return self._state.script.requests()

    def calls(self, model: str | None = None, api: str | None = None) -> int:
        """How many requests matched ``model`` and ``api`` (None matches any)."""
        return self._state.script.calls(model=model, api=api)

    def pending(self) -> int:
        """How many scripted items are still queued (0 once a test consumed its script)."""
        return self._state.script.pending()

    def reset(self) -> None:
        """Clear every queue, the recorded requests, the load settings and the batches, and
        restore the default reply."""
        self._state.script.reset()
        st = self._state
        st.latency_s, st.max_in_flight, st.overload_retry_after = 0.0, None, None
        st.peak_in_flight = st.overloaded = 0
        st.batches.reset()

    # --- batches ---------------------------------------------------------------------------

    @property
    def batch_completion_delay(self) -> float:
        """Seconds from a batch's creation until it has ended and its results are ready."""
        return self._state.batches.completion_delay_s

    @batch_completion_delay.setter
    def batch_completion_delay(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("batch_completion_delay must be >= 0")
        self._state.batches.completion_delay_s = seconds

    @property
    def batch_create_delay(self) -> float:
        """Seconds a create-batch request waits, the batch already created, before it is
        answered (0: at once): a client that dies meanwhile never learns the batch's id."""
        return self._state.batches.create_delay_s

    @batch_create_delay.setter
    def batch_create_delay(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("batch_create_delay must be >= 0")
        self._state.batches.create_delay_s = seconds

    def fail_batch_requests(
        self,
        match: Callable[[RecordedRequest], bool],
        fault: Fault | None = None,
        *,
        times: int | None = 1,
    ) -> Self:
        """Batch requests that ``match`` end in error (``fault``, default a 500) instead of
        being answered from the script; ``times`` bounds how many (None: all)."""
        self._state.batches.add_rule(match, fault or Fault.status(500), times)
        return self

    def batch_ids(self) -> list[str]:
        """Every batch created since the last reset, both providers, in order."""
        return list(self._state.batches.jobs)

    def batch_custom_ids(self) -> dict[str, list[str]]:
        """Each batch created since the last reset (both providers, in order) with the
        ``custom_id`` of each of its requests: what was submitted, answered or not."""
        return {
            batch_id: [custom_id for custom_id, _ in job.lines]
            for batch_id, job in self._state.batches.jobs.items()
        }

    # --- load ------------------------------------------------------------------------------

    @property
    def latency(self) -> float:
        """Seconds every chat request waits before it is answered (0: at once)."""
        return self._state.latency_s

    @latency.setter
    def latency(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("latency must be >= 0")
        self._state.latency_s = seconds

    def overload(self, max_in_flight: int | None, retry_after: float | None = None) -> Self:
        """Answer 429 (with ``retry_after`` when given) to chat requests that arrive while
        ``max_in_flight`` others are being served, as a provider's concurrency limit does;
        None lifts it."""
        if max_in_flight is not None and max_in_flight < 1:
            raise ValueError("max_in_flight must be >= 1")
        self._state.max_in_flight = max_in_flight
        self._state.overload_retry_after = retry_after
        return self

    @property
    def peak_in_flight(self) -> int:
        """The most chat requests served at once since the last reset."""
        return self._state.peak_in_flight

    @property
    def overloaded(self) -> int:
        """How many chat requests got the overload 429 since the last reset."""
        return self._state.overloaded

    # --- settings --------------------------------------------------------------------------

    @property
    def embedding_dim(self) -> int:
        """Vector size when the request does not ask for one (OpenAI ``dimensions``)."""
        return self._state.embedding_dim

    @embedding_dim.setter
    def embedding_dim(self, dim: int) -> None:
        if dim < 1:
            raise ValueError("embedding_dim must be >= 1")
        self._state.embedding_dim = dim

    @property
    def models(self) -> list[str]:
        """Models listed by ``/v1/models`` and ``/api/tags`` (scripted models are added).

        A copy: assign a new list to change it.
        """
        return list(self._state.models)

    @models.setter
    def models(self, models: Sequence[str]) -> None:
        self._state.models = list(models)


__all__ = ["FakeLLMServer", "Fault", "RecordedRequest", "Reply", "build_app"]
