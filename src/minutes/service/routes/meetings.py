"""``/v1/meetings``: submit a transcript (a job), list, show, notes, forget."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from minutes.errors import ConfigError, NotFound, StoreError
from minutes.notes import MeetingNotes
from minutes.service.auth import Caller, caller
from minutes.service.schemas import (
    MeetingDetailOut,
    MeetingSummary,
    Page,
    RunOptions,
    Submission,
    SubmitBody,
)
from minutes.service.state import ServiceState
from minutes.store.meetings import ForgetResult
from minutes.transcripts.models import Transcript

router = APIRouter(prefix="/v1/meetings", tags=["meetings"])

_REF = "#/components/schemas/{model}"
# The body is read by hand (JSON or multipart), so FastAPI cannot describe it: these schemas
# go into the document's components (see app.py) and the operation refers to them.
COMPONENTS: dict[str, Any] = {
    "SubmitBody": SubmitBody.model_json_schema(ref_template=_REF),
}
COMPONENTS.update(COMPONENTS["SubmitBody"].pop("$defs", {}))

_SUBMIT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": _REF.format(model="SubmitBody")}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "format": {"type": "string", "enum": ["text", "vtt", "srt", "json"]},
                        "title": {"type": "string"},
                        "date": {"type": "string", "format": "date"},
                        "timezone": {"type": "string"},
                        "options": {"type": "string", "description": "RunOptions as JSON"},
                    },
                }
            },
        },
    }
}


def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


def _check_options(state: ServiceState, options: RunOptions) -> None:
    """Unknown model or provider names are the caller's error, named with the valid ones."""
    if options.model is None and options.provider is None:
        return
    from minutes.llm.registry import load_registry

    settings = state.settings
    chat = {e.name: e for e in load_registry(settings.models_file, settings.models).chat_models()}
    providers = sorted({e.provider for e in chat.values()})
    if options.provider is not None and options.provider not in providers:
        raise ConfigError(
            f"unknown provider {options.provider!r}; choose one of: {', '.join(providers)}"
        )
    if options.model is not None:
        if options.model not in chat:
            raise ConfigError(
                f"unknown model {options.model!r}; choose one of: {', '.join(sorted(chat))}"
            )
        entry = chat[options.model]
        if options.provider is not None and entry.provider != options.provider:
            raise ConfigError(
                f"model {options.model!r} is served by {entry.provider}, not {options.provider}"
            )


async def _read_submission(request: Request) -> tuple[Transcript, RunOptions]:
    from minutes.transcripts import parse_transcript, transcript_from_bytes

    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            body = SubmitBody.model_validate_json(await request.body())
        except ValidationError as exc:
            raise HTTPException(422, _first_error(exc)) from None
        transcript = await run_in_threadpool(
            parse_transcript,
            body.text,
            format=body.format,
            title=body.title,
            date=body.date,
            timezone=body.timezone,
        )
        return transcript, body.options
    if kind == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=20)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise HTTPException(422, "the multipart body needs a 'file' part with the transcript")
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        try:
            options = RunOptions.model_validate(json.loads(fields.get("options") or "{}"))
            date = dt.date.fromisoformat(fields["date"]) if fields.get("date") else None
        except (ValidationError, ValueError) as exc:
            reason = _first_error(exc) if isinstance(exc, ValidationError) else str(exc)
            raise HTTPException(422, f"invalid form field: {reason}") from None
        data = await upload.read()
        transcript = await run_in_threadpool(
            transcript_from_bytes,
            data,
            name=upload.filename or "upload.txt",
            format=fields.get("format") or None,
            title=fields.get("title") or None,
            date=date,
            timezone=fields.get("timezone") or None,
        )
        return transcript, options
    raise HTTPException(415, "send the transcript as application/json or as multipart/form-data")


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "body"
    return f"{where}: {err['msg']}"


@router.post(
    "",
    status_code=202,
    response_model=Submission,
    openapi_extra=_SUBMIT_BODY,
    summary="Submit a transcript; its notes are made by a job",
)
async def submit_meeting(
    request: Request,
    response: Response,
    who: Annotated[Caller, Depends(caller)],
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> Submission:
    state = _state(request)
    transcript, options = await _read_submission(request)
    if not transcript.segments:
        raise HTTPException(422, "the transcript has no text")
    _check_options(state, options)
    trace = getattr(request.state, "trace_carrier", None) or {}
    submitted = await run_in_threadpool(
        _submit, state, who.tenant, transcript, options, idempotency_key, trace
    )
    job = submitted.job
    if submitted.created and state.runner is not None:
        await state.runner.submit(job.id, trace)
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    if not submitted.created:
        response.status_code = 200
    return Submission(
        job_id=job.id,
        meeting_id=job.meeting_id,
        status=job.status,
        created=submitted.created,
        links={"job": f"/v1/jobs/{job.id}", "meeting": f"/v1/meetings/{job.meeting_id}"},
    )


def _submit(
    state: ServiceState,
    tenant: str,
    transcript: Transcript,
    options: RunOptions,
    idempotency_key: str | None,
    trace: dict[str, str],
) -> Any:
    from minutes.store.jobs import submit_job

    payload = options.model_dump(mode="json", exclude_defaults=True)
    for attempt in range(3):
        try:
            with state.store().transaction() as session:
                return submit_job(
                    session,
                    tenant,
                    transcript,
                    payload,
                    idempotency_key=idempotency_key,
                    trace=trace,
                )
        except StoreError as exc:
            # Two requests with the same content (or key) raced: the loser reads the winner's.
            if isinstance(exc.__cause__, IntegrityError) and attempt < 2:
                continue
            raise
    raise AssertionError("unreachable")


@router.get("", response_model=Page[MeetingSummary], summary="Meetings, newest first")
def list_meetings(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    since: dt.date | None = None,
    until: dt.date | None = None,
    participant: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[MeetingSummary]:
    from minutes.store.meetings import list_meetings as query

    with _state(request).store().read() as session:
        rows = query(
            session,
            tenant=who.tenant,
            limit=limit + 1,
            offset=offset,
            since=since,
            until=until,
            participant=participant,
        )
    more = len(rows) > limit
    return Page[MeetingSummary](
        items=rows[:limit], limit=limit, offset=offset, next_offset=offset + limit if more else None
    )


@router.get("/{meeting_id}", response_model=MeetingDetailOut, summary="One meeting")
def get_meeting(
    request: Request, meeting_id: str, who: Annotated[Caller, Depends(caller)]
) -> MeetingDetailOut:
    from minutes.store.jobs import latest_job
    from minutes.store.meetings import list_meetings as query
    from minutes.store.meetings import resolve_meeting_id

    with _state(request).store().read() as session:
        full = resolve_meeting_id(session, meeting_id, tenant=who.tenant)
        summary = query(session, tenant=who.tenant, meeting_id=full)[0]
        job = latest_job(session, full, tenant=who.tenant)
    return MeetingDetailOut(summary=summary, job=job, notes_ready=summary.runs > 0)


@router.get(
    "/{meeting_id}/notes",
    response_model=MeetingNotes,
    summary="The meeting's notes (JSON, or Markdown with ?format=md)",
    responses={200: {"content": {"text/markdown": {}}}},
)
def get_notes(
    request: Request,
    meeting_id: str,
    who: Annotated[Caller, Depends(caller)],
    format: Annotated[str, Query(pattern="^(json|md)$")] = "json",
) -> Any:
    from minutes.store.jobs import latest_job
    from minutes.store.meetings import get_meeting as query
    from minutes.store.meetings import resolve_meeting_id

    with _state(request).store().read() as session:
        full = resolve_meeting_id(session, meeting_id, tenant=who.tenant)
        try:
            notes = query(session, full, tenant=who.tenant).notes
        except NotFound:
            job = latest_job(session, full, tenant=who.tenant)
            state = f" (job {job.id} is {job.status})" if job is not None else ""
            raise NotFound(f"meeting {full} has no notes yet{state}") from None
    if format == "md":
        from minutes.render import to_markdown

        return PlainTextResponse(to_markdown(notes), media_type="text/markdown")
    return notes


@router.delete("/{meeting_id}", response_model=ForgetResult, summary="Forget a meeting")
def delete_meeting(
    request: Request, meeting_id: str, who: Annotated[Caller, Depends(caller)]
) -> ForgetResult:
    from minutes.store.jobs import end_jobs_of
    from minutes.store.meetings import forget_meeting

    with _state(request).store().transaction() as session:
        result = forget_meeting(session, meeting_id, tenant=who.tenant)
        end_jobs_of(session, result.meeting_id, "the meeting was deleted", "MeetingDeleted")
    return result
