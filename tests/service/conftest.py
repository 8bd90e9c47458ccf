"""The service in-process (FastAPI's TestClient: real ASGI, real store, real job runner) with
two tenants, each with an API key."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from minutes.config import Settings, load_settings
from minutes.service.app import create_app
from minutes.store.db import open_store
from minutes.store.keys import create_key

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "minutes" / "examples"


@dataclass
class Service:
    client: TestClient
    settings: Settings
    keys: dict[str, str]

    def auth(self, tenant: str = "acme") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[tenant]}"}

    def submit(self, text: str, tenant: str = "acme", **body: Any) -> dict[str, Any]:
        options = body.pop("options", {"engine": "extractive"})
        response = self.client.post(
            "/v1/meetings",
            json={"text": text, "options": options, **body},
            headers=self.auth(tenant),
        )
        assert response.status_code in (200, 202), response.text
        result: dict[str, Any] = response.json()
        return result

    def wait(self, job_id: str, tenant: str = "acme", timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job: dict[str, Any] = self.client.get(
                f"/v1/jobs/{job_id}", headers=self.auth(tenant)
            ).json()
            if job["status"] in ("done", "failed"):
                return job
            time.sleep(0.05)
        raise AssertionError(f"job {job_id} not finished in {timeout} s: {job}")


def make_keys(url: str, *tenants: str, **kwargs: Any) -> dict[str, str]:
    store = open_store(url)
    try:
        with store.transaction() as session:
            return {t: create_key(session, t, **kwargs).key for t in tenants}
    finally:
        store.close()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    url = f"sqlite:///{tmp_path / 'service.db'}"
    keys = make_keys(url, "acme", "globex")
    settings = load_settings(database_url=url)
    with TestClient(create_app(settings)) as client:
        yield Service(client, settings, keys)


def example(name: str) -> str:
    return (EXAMPLES / name).read_text(encoding="utf-8")


REDIS = ("127.0.0.1", 6379)


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database of the machine's server that no one else uses now, emptied after."""
    client = redis.Redis(*REDIS, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(
            f"Redis at {REDIS[0]}:{REDIS[1]} does not answer ({exc}); the worker tests need "
            "it: start redis-server (.ci/run does)",
            pytrace=False,
        )
    finally:
        client.close()
    start = int(uuid.uuid4().int % 15)
    for i in range(15):
        db = 1 + (start + i) % 15
        mine = redis.Redis(*REDIS, db=db)
        if mine.dbsize() == 0:
            break
        mine.close()
    else:
        pytest.fail("every Redis database 1-15 holds keys: no empty one for this test")
    try:
        yield f"redis://{REDIS[0]}:{REDIS[1]}/{db}"
    finally:
        mine.flushdb()
        mine.close()
