"""Jobs through real brokers and real ``minutes worker`` processes.

The brokers are the machine's Redis (127.0.0.1:6379) and RabbitMQ (127.0.0.1:5672,
guest/guest), each test on its own Redis database or RabbitMQ vhost; the broker-restart test
starts a private ``redis-server``. A broker that does not answer fails the test: CI starts
them (``.ci/run``). The HTTP side is the app in this process (TestClient) with its
``CeleryRunner``; the LLM is the fake server over loopback HTTP; the store a SQLite file (WAL)
that every process writes to.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from conftest import Service, example, make_keys
from minutes.config import load_settings
from minutes.service.app import create_app
from minutes.service.tasks import QUEUE
from minutes.store.db import open_store
from minutes.store.models import Job, LLMCall, NotesRow
from minutes.testing import FakeLLMServer
from scripted_replies import scripted, served_models

RABBIT = ("127.0.0.1", 5672)
MINUTES = Path(sys.executable).with_name("minutes")


def _answers(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=2):
        return True
    return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rabbitmqctl(*args: str) -> None:
    done = subprocess.run(
        ["rabbitmqctl", *args], capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        pytest.fail(f"rabbitmqctl {' '.join(args)} failed: {done.stderr.strip()}", pytrace=False)


@pytest.fixture
def amqp_url() -> Iterator[str]:
    """A fresh vhost on the machine's RabbitMQ, deleted after."""
    if not _answers(*RABBIT):
        pytest.fail(
            f"RabbitMQ at {RABBIT[0]}:{RABBIT[1]} does not answer; the worker tests need it: "
            "start rabbitmq-server (.ci/run does)",
            pytrace=False,
        )
    if shutil.which("rabbitmqctl") is None:
        pytest.fail("rabbitmqctl is not on PATH: cannot make a vhost for this test")
    vhost = f"minutes-test-{uuid.uuid4().hex[:8]}"
    _rabbitmqctl("add_vhost", vhost)
    try:
        _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        yield f"amqp://guest:guest@{RABBIT[0]}:{RABBIT[1]}/{vhost}"
    finally:
        _rabbitmqctl("delete_vhost", vhost)


@pytest.fixture(params=["redis", "amqp"])
def broker_url(request: pytest.FixtureRequest) -> str:
    name = "redis_url" if request.param == "redis" else "amqp_url"
    return str(request.getfixturevalue(name))


@dataclass
class Worker:
    """A ``minutes worker`` process (and its pool children), in its own process group."""

    process: subprocess.Popen[bytes]
    log: Path

    def pids(self) -> set[int]:
        """The main process and its children."""
        found = {self.process.pid}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    stat = (entry / "stat").read_text()
                    ppid = int(stat.rsplit(")", 1)[1].split()[1])
                    if ppid == self.process.pid:
                        found.add(int(entry.name))
        return found

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log.read_text(errors="replace")
            if " ready." in text:
                return
            if self.process.poll() is not None:
                raise AssertionError(f"minutes worker exited {self.process.returncode}:\n{text}")
            time.sleep(0.2)
        raise AssertionError(f"minutes worker not ready in {timeout} s:\n{self.log.read_text()}")

    def kill(self) -> None:
        """kill -9 the worker and its children at once (the machine died)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        with contextlib.suppress(ProcessLookupError):  # children left behind, if any
            os.killpg(self.process.pid, signal.SIGKILL)


@dataclass
class Cluster:
    """Workers, and the in-process app that submits to them, sharing one store and broker."""

    tmp: Path
    env: dict[str, str]
    db_url: str
    workers: list[Worker] = field(default_factory=list)

    def start_worker(self, concurrency: int = 1) -> Worker:
        n = len(self.workers)
        log = self.tmp / f"worker-{n}.log"
        process = subprocess.Popen(
            [str(MINUTES), "worker", "--concurrency", str(concurrency)],
            env=self.env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        worker = Worker(process, log)
        self.workers.append(worker)
        return worker

    def logs(self) -> str:
        return "\n".join(
            f"--- {w.log.name}\n{w.log.read_text(errors='replace')[-4000:]}" for w in self.workers
        )

    def rows(self, model: Any, *where: Any) -> int:
        store = open_store(self.db_url)
        try:
            with store.read() as session:
                return int(session.scalar(select(func.count()).select_from(model).where(*where)))
        finally:
            store.close()

    def job(self, job_id: str) -> Job:
        store = open_store(self.db_url)
        try:
            with store.read() as session:
                job = session.get(Job, job_id)
                assert job is not None
                session.expunge(job)
                return job
        finally:
            store.close()


@pytest.fixture
def cluster(
    tmp_path: Path, fake_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Cluster]:
    """Settings for workers and app: a fresh SQLite store, every model on the fake server,
    the exact cache on (it is what keeps a taken-over job from paying twice)."""
    db_url = f"sqlite:///{tmp_path / 'jobs.db'}"
    config = tmp_path / "minutes.toml"
    lines = ["[cache]", "enabled = true", "[cache.semantic]", "enabled = false"]
    for name, fields in served_models(fake_server).items():
        lines.append(f'[models."{name}"]')
        lines.extend(f'{k} = "{v}"' for k, v in fields.items())
    config.write_text("\n".join(lines) + "\n")
    keys = {"OPENAI_API_KEY": "sk-test", "ANTHROPIC_API_KEY": "sk-ant-test"}
    keys["DEEPSEEK_API_KEY"] = "sk-ds-test"
    for var, value in keys.items():
        monkeypatch.setenv(var, value)
    monkeypatch.setenv("MINUTES_CONFIG", str(config))
    monkeypatch.setenv("MINUTES_DATABASE_URL", db_url)
    fake_server.default_reply = scripted
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    made = Cluster(tmp_path, env, db_url)
    try:
        yield made
    finally:
        for worker in made.workers:
            worker.stop()


def _configure(cluster: Cluster, monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
        cluster.env[name] = value


def _service(cluster: Cluster) -> Iterator[Service]:
    keys = make_keys(cluster.db_url, "acme", requests_per_minute=100_000)
    settings = load_settings()
    assert settings.broker_url and settings.database_url == cluster.db_url
    with TestClient(create_app(settings)) as client:
        yield Service(client, settings, keys)


def _wait(svc: Service, job_id: str, cluster: Cluster, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = svc.client.get(f"/v1/jobs/{job_id}", headers=svc.auth())
        assert response.status_code == 200, response.text
        job = response.json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} not finished in {timeout} s: {job}\n{cluster.logs()}")


def _worker_of(job: Job, cluster: Cluster) -> int:
    """Which of the cluster's workers the job's worker name (host:pid) points at."""
    name = job.worker
    assert name is not None
    pid = int(name.rsplit(":", 1)[1])
    owners = [i for i, w in enumerate(cluster.workers) if pid in w.pids()]
    assert len(owners) == 1, (name, [w.pids() for w in cluster.workers])
    return owners[0]


def test_a_job_is_done_by_a_worker_through_the_broker(
    cluster: Cluster, broker_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(cluster, monkeypatch, MINUTES_BROKER_URL=broker_url)
    worker = cluster.start_worker()
    worker.wait_ready()
    for svc in _service(cluster):
        ready = svc.client.get("/readyz")
        assert ready.status_code == 200, ready.text
        submitted = svc.submit(example("standup.vtt"), options={"engine": "extractive"})
        job = _wait(svc, submitted["job_id"], cluster)
        assert job["status"] == "done" and job["attempts"] == 1, job
        notes = svc.client.get(f"/v1/meetings/{submitted['meeting_id']}/notes", headers=svc.auth())
        assert notes.status_code == 200 and notes.json()["action_items"], notes.text
    stored = cluster.job(submitted["job_id"])
    assert _worker_of(stored, cluster) == 0
    assert stored.worker and stored.worker.rsplit(":", 1)[1] != str(os.getpid())


def test_a_worker_killed_mid_job_leaves_it_to_another_that_finishes_it_once(
    cluster: Cluster,
    broker_url: str,
    fake_server: FakeLLMServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _configure(
        cluster,
        monkeypatch,
        MINUTES_BROKER_URL=broker_url,
        MINUTES_SERVICE__JOB_STALE_AFTER_S="3",
        MINUTES_SERVICE__HEARTBEAT_S="0.5",
        MINUTES_SERVICE__VISIBILITY_TIMEOUT_S="6",
    )
    fake_server.latency = 0.5  # slow replies: the kill lands mid-job
    for worker in (cluster.start_worker(), cluster.start_worker()):
        worker.wait_ready()
    for svc in _service(cluster):
        submitted = svc.submit(example("one_on_one.txt"), options={"engine": "llm"})
        job_id, meeting_id = submitted["job_id"], submitted["meeting_id"]
        # Wait until the job runs and some of its calls are paid and in the ledger.
        deadline = time.monotonic() + 60
        while cluster.rows(LLMCall, LLMCall.meeting_id == meeting_id, LLMCall.cache == "none") < 2:
            assert time.monotonic() < deadline, cluster.logs()
            time.sleep(0.05)
        first = cluster.job(job_id)
        assert first.status == "running" and first.attempts == 1
        victim = _worker_of(first, cluster)
        cluster.workers[victim].kill()
        # Requests the victim sent just before it died may reach the server a moment later
        # (on a loaded machine); no other worker can take the job for job_stale_after_s (3 s).
        time.sleep(1.0)
        requests_at_kill = len(fake_server.requests)
        paid_at_kill = cluster.rows(LLMCall, LLMCall.cache == "none")
        assert cluster.job(job_id).status == "running"

        job = _wait(svc, job_id, cluster)
        assert job["status"] == "done", job
        assert job["attempts"] == 2, job
    last = cluster.job(job_id)
    assert _worker_of(last, cluster) == 1 - victim, "another worker finished it"
    assert cluster.rows(NotesRow, NotesRow.meeting_id == meeting_id) == 1
    paid = cluster.rows(LLMCall, LLMCall.cache == "none")
    hits = cluster.rows(LLMCall, LLMCall.cache == "exact")
    requests = len(fake_server.requests)
    # Calls in flight when the worker died reached the server but never the ledger (nor the
    # cache): those, and only those, are paid twice.
    in_flight = requests_at_kill - paid_at_kill
    assert 0 <= in_flight <= 8, (requests_at_kill, paid_at_kill)
    assert requests - requests_at_kill == paid - paid_at_kill, "one ledger row per request"
    assert paid == requests - in_flight
    # Every call paid before the kill was answered by the cache on the second attempt.
    assert hits >= paid_at_kill >= 2, (hits, paid_at_kill)


@dataclass
class PrivateRedis:
    port: int
    folder: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        server = shutil.which("redis-server")
        if server is None:
            pytest.fail("redis-server is not installed: the broker-restart test needs it")
        log = (self.folder / "redis.log").open("ab")
        # Persisted (append-only file), as a broker should be, so a restart keeps its queue.
        self.process = subprocess.Popen(
            [
                server,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--dir",
                str(self.folder),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while not _answers("127.0.0.1", self.port):
            assert time.monotonic() < deadline, "private redis-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: redis writes its append-only file and exits
            self.process.wait(20)
        self.process = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    folder = tmp_path / "redis"
    folder.mkdir()
    server = PrivateRedis(_free_port(), folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_jobs_survive_a_broker_restart_mid_run(
    cluster: Cluster,
    private_redis: PrivateRedis,
    fake_server: FakeLLMServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _configure(
        cluster,
        monkeypatch,
        MINUTES_BROKER_URL=private_redis.url,
        MINUTES_SERVICE__JOB_STALE_AFTER_S="3",
        MINUTES_SERVICE__HEARTBEAT_S="0.5",
        MINUTES_SERVICE__VISIBILITY_TIMEOUT_S="8",
    )
    fake_server.latency = 0.5
    worker = cluster.start_worker(concurrency=2)
    worker.wait_ready()
    base = example("one_on_one.txt")
    for svc in _service(cluster):
        before = [
            svc.submit(f"{base}\nZed: note number {i}.", options={"engine": "llm"})
            for i in range(6)
        ]
        deadline = time.monotonic() + 60
        while cluster.rows(Job, Job.status == "running") == 0:
            assert time.monotonic() < deadline, cluster.logs()
            time.sleep(0.05)
        assert cluster.rows(Job, Job.status == "queued") > 0, "jobs wait in the broker"
        private_redis.stop()
        # Submitted while the broker is down: queued in the store, sent once it is back.
        during = svc.submit(
            f"{base}\nZed: said while the broker was away.", options={"engine": "llm"}
        )
        assert svc.client.get("/readyz").status_code == 503
        time.sleep(2)
        private_redis.start()
        jobs = [_wait(svc, s["job_id"], cluster, timeout=120) for s in [*before, during]]
        assert svc.client.get("/readyz").status_code == 200
    assert [j["status"] for j in jobs] == ["done"] * 7, jobs
    assert "Connection to broker lost" in worker.log.read_text(), "the restart hit the worker"
    for s in [*before, during]:
        assert cluster.rows(NotesRow, NotesRow.meeting_id == s["meeting_id"]) == 1
    # Nothing ran twice: one ledger row per request the server saw, no more.
    assert cluster.rows(LLMCall, LLMCall.cache == "none") == len(fake_server.requests) > 0
    assert worker.process.poll() is None, "the worker waited the restart out"


def test_an_unreachable_database_is_503_and_nothing_reaches_the_broker(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = _free_port()  # nothing listens there
    monkeypatch.setenv("MINUTES_DATABASE_URL", f"postgresql://postgres@127.0.0.1:{closed}/test")
    monkeypatch.setenv("MINUTES_BROKER_URL", redis_url)
    with TestClient(create_app(load_settings())) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503, ready.text
        checks = ready.json()["checks"]
        assert checks["store"] != "ok" and checks["jobs"] == "ok", checks
        response = client.post(
            "/v1/meetings",
            json={"text": "Ann: hello there.", "options": {"engine": "extractive"}},
            headers={"Authorization": "Bearer mk_whatever"},
        )
        assert response.status_code == 503 and response.headers["retry-after"], response.text
    queued = redis.Redis.from_url(redis_url)
    try:
        assert queued.llen(QUEUE) == 0 and queued.dbsize() == 0
    finally:
        queued.close()


def test_an_unreachable_broker_is_503_on_readyz(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINUTES_DATABASE_URL", f"sqlite:///{tmp_path / 's.db'}")
    monkeypatch.setenv("MINUTES_BROKER_URL", f"redis://127.0.0.1:{_free_port()}/0")
    with TestClient(create_app(load_settings())) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503, ready.text
        checks = ready.json()["checks"]
        assert checks["store"] == "ok" and "unreachable" in checks["jobs"], checks
