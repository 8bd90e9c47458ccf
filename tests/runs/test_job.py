"""A meeting job run by a worker (``runs.job.run_job``): what happens when its meeting is
deleted while the job runs. The delete fails the job; the worker's save, checked in the
same transaction, is refused, so the deleted meeting does not come back."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from minutes.config import Settings
from minutes.examples import example_path
from minutes.runs.job import run_job
from minutes.store.db import open_store
from minutes.store.jobs import end_jobs_of, submit_job
from minutes.store.meetings import forget_meeting
from minutes.store.models import Job, Meeting, NotesRow
from minutes.testing import FakeLLMServer
from minutes.transcripts import load_transcript
from scripted_replies import scripted, served_models

TENANT = "acme"


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-ds-test")


def _settings(fake_server: FakeLLMServer, tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'm.db'}",
        models=served_models(fake_server),
        cache={"enabled": False},
    )


def _submit(settings: Settings) -> tuple[str, str]:
    store = open_store(settings.database_url)
    try:
        with store.transaction() as session:
            sub = submit_job(session, TENANT, load_transcript(example_path("standup")), {})
        return sub.job.id, sub.job.meeting_id
    finally:
        store.close()


async def test_a_meeting_deleted_while_its_job_runs_is_not_saved_again(
    fake_server: FakeLLMServer, tmp_path: Path, keys: None
) -> None:
    fake_server.default_reply = scripted
    settings = _settings(fake_server, tmp_path)
    job_id, meeting_id = _submit(settings)
    store = open_store(settings.database_url)
    deleted: list[str] = []

    def delete_once(stage: str) -> None:
        # What DELETE /v1/meetings/{id} does, while the worker is in its first stage.
        if deleted:
            return
        with store.transaction() as session:
            forget_meeting(session, meeting_id, tenant=TENANT)
            end_jobs_of(session, meeting_id, "the meeting was deleted", "MeetingDeleted")
        deleted.append(stage)

    try:
        result = await run_job(job_id, settings, worker="w1", on_stage=delete_once)
        assert deleted, "the pipeline reported no stage: the delete never happened"
        assert fake_server.requests, "the job made no LLM call: the test ran nothing"
        assert result.status == "skipped"
        with store.transaction() as session:
            job = session.get(Job, job_id)
            assert job is not None
            assert (job.status, job.error) == ("failed", "the meeting was deleted")
            assert session.get(Meeting, meeting_id) is None
            assert session.scalar(select(func.count()).select_from(NotesRow)) == 0
    finally:
        store.close()


async def test_a_job_left_alone_saves_its_meeting(
    fake_server: FakeLLMServer, tmp_path: Path, keys: None
) -> None:
    fake_server.default_reply = scripted
    settings = _settings(fake_server, tmp_path)
    job_id, meeting_id = _submit(settings)
    result = await run_job(job_id, settings, worker="w1")
    assert result.status == "done"
    store = open_store(settings.database_url)
    try:
        with store.transaction() as session:
            assert session.get(Meeting, meeting_id) is not None
            notes = session.scalar(
                select(func.count()).select_from(NotesRow).where(NotesRow.meeting_id == meeting_id)
            )
            assert notes == 1
    finally:
        store.close()
