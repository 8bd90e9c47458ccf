"""The published OpenAPI document is what the app serves, and no request generated from it
makes the service answer 500 (Schemathesis)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from conftest import make_keys
from minutes.config import load_settings
from minutes.service.app import create_app

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = ROOT / "docs" / "openapi.json"


def test_the_published_document_is_what_the_app_serves() -> None:
    spec = importlib.util.spec_from_file_location(
        "export_openapi", ROOT / "scripts/export_openapi.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    served = json.loads(module.document())
    assert json.loads(PUBLISHED.read_text(encoding="utf-8")) == served, (
        "docs/openapi.json is stale: run python scripts/export_openapi.py"
    )
    assert served["info"]["version"] == "1"
    assert all(p.startswith(("/v1/", "/healthz", "/readyz", "/metrics")) for p in served["paths"])


class _QueueOnly:
    """A runner that takes jobs and runs none: the fuzzing is about the HTTP layer."""

    kind = "test"

    async def start(self) -> None: ...

    async def submit(self, job_id: str, trace: dict[str, str] | None = None) -> None: ...

    async def stop(self) -> None: ...

    async def ready(self) -> str | None:
        return None


def _fuzz_target() -> tuple[object, dict[str, str]]:
    # Built at import: Schemathesis parametrizes the test from the schema at collection.
    import tempfile

    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='minutes-fuzz-')) / 'f.db'}"
    keys = make_keys(url, "acme")
    app = create_app(load_settings(database_url=url), runner=_QueueOnly())
    return app, {"Authorization": f"Bearer {keys['acme']}"}


APP, AUTH = _fuzz_target()
schema = schemathesis.openapi.from_path(PUBLISHED)
schema.app = APP


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_generated_request_gets_a_server_error(case: schemathesis.Case) -> None:
    response = case.call(headers=AUTH)
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
