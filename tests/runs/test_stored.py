"""One stored run: the database is checked before the work, and --no-store needs none."""

from __future__ import annotations

from pathlib import Path

import pytest

from minutes.config import Settings
from minutes.errors import StoreError
from minutes.examples import example_path
from minutes.pipeline.options import PipelineOptions
from minutes.runs.stored import run_stored
from minutes.store.db import open_store
from minutes.testing import FakeLLMServer
from minutes.transcripts import load_transcript
from scripted_replies import scripted, served_models


def _settings(fake_server: FakeLLMServer, database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        models=served_models(fake_server),
        cache={"enabled": False},
    )


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-ds-test")


def _read_only_url(tmp_path: Path) -> str:
    path = tmp_path / "m.db"
    open_store(f"sqlite:///{path}").close()  # created and migrated
    return f"sqlite:///file:{path}?mode=ro&uri=true"


async def test_a_read_only_database_fails_before_any_llm_call(
    tmp_path: Path, fake_server: FakeLLMServer, keys: None
) -> None:
    fake_server.default_reply = scripted
    transcript = load_transcript(example_path("one_on_one"))
    with pytest.raises(StoreError, match="cannot be written"):
        await run_stored(
            transcript, PipelineOptions(), _settings(fake_server, _read_only_url(tmp_path))
        )
    assert fake_server.requests == []  # nothing was paid for notes that could not be kept


async def test_a_read_only_database_fails_an_extractive_run_before_it_runs(
    tmp_path: Path, fake_server: FakeLLMServer
) -> None:
    transcript = load_transcript(example_path("one_on_one"))
    with pytest.raises(StoreError, match="cannot be written"):
        await run_stored(
            transcript,
            PipelineOptions(engine="extractive"),
            _settings(fake_server, _read_only_url(tmp_path)),
        )


async def test_no_store_runs_without_a_database(
    tmp_path: Path, fake_server: FakeLLMServer, keys: None
) -> None:
    fake_server.default_reply = scripted
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    unusable = f"sqlite:///{blocked}/sub/m.db"  # its folder cannot be created
    transcript = load_transcript(example_path("one_on_one"))
    settings = _settings(fake_server, unusable)
    outcome = await run_stored(transcript, PipelineOptions(), settings, store_meeting=False)
    assert outcome.notes.engine == "llm" and outcome.meeting_id is None
    assert outcome.llm_calls == len(fake_server.requests) > 0
    assert any("no ledger or cache for this run" in w for w in outcome.notes.warnings)
    with pytest.raises(StoreError):  # and storing still needs it
        await run_stored(transcript, PipelineOptions(), settings, store_meeting=True)
