"""With a Redis broker, a key's request rate is one limit for every serve replica (GCRA in
Redis); a Redis that stops answering falls back to each process's own bucket instead of
refusing requests."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from conftest import make_keys
from minutes.config import load_settings
from minutes.service.app import create_app


def test_two_replicas_share_one_limit_per_key(tmp_path: Path, redis_url: str) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    keys = make_keys(url, "acme", requests_per_minute=3)
    settings = load_settings(database_url=url, broker_url=redis_url)
    auth = {"Authorization": f"Bearer {keys['acme']}"}
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
        codes = [c.get("/v1/meetings", headers=auth).status_code for c in (one, two, one)]
        assert codes == [200, 200, 200]
        refused = two.get("/v1/meetings", headers=auth)  # the 4th in the minute, on either
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1


def test_a_redis_that_does_not_answer_limits_per_process(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    keys = make_keys(url, "acme", requests_per_minute=2)
    settings = load_settings(database_url=url, broker_url="redis://127.0.0.1:9/0")
    auth = {"Authorization": f"Bearer {keys['acme']}"}
    app = create_app(settings)
    check = app.state.keys
    client = TestClient(app)  # no lifespan: the broker is not needed for these reads
    codes = [client.get("/v1/meetings", headers=auth).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert check._shared is not None  # it tried Redis first
