"""The providers' batch endpoints: OpenAI's Files + Batch API and Anthropic's Message Batches.

OpenAI: ``POST /v1/files`` (multipart upload, purpose ``batch``), ``GET /v1/files/{id}`` and
``/v1/files/{id}/content``, ``POST /v1/batches``, ``GET /v1/batches`` (newest first, ``limit``
and ``after``), ``GET /v1/batches/{id}``, ``POST /v1/batches/{id}/cancel``. Anthropic: ``POST
/v1/messages/batches``, ``GET /v1/messages/batches`` (newest first, ``limit``, ``after_id``,
``before_id``), ``GET /v1/messages/batches/{id}``, ``GET /v1/messages/batches/{id}/results``
(JSON Lines), ``POST /v1/messages/batches/{id}/cancel``.

A batch ends ``completion_delay`` seconds after it was created; its results are worked out
then, each request answered from the same script and default reply as a live call (recorded
with api ``openai-batch`` / ``anthropic-batch``), unless a per-request failure matches it.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile

from minutes.testing import _anthropic, _openai
from minutes.testing._batch_state import _Job
from minutes.testing._common import (
    ResponderError,
    ServerState,
    header_dict,
    now_rfc3339,
    read_json_object,
    resolve_chat,
    simple_messages,
)
from minutes.testing._script import Fault, RecordedRequest, Reply


async def _settle(state: ServerState, job: _Job) -> None:
    """Work out a job's results once it is due (or cancelled)."""
    if job.results is not None or (not job.cancelled and time.monotonic() < job.ends_at):
        return
    results: dict[str, tuple[Any, ...]] = {}
    for custom_id, req in job.lines:
        if job.cancelled:
            results[custom_id] = ("cancelled",)
            continue
        fault = state.batches.failure_for(req)
        if fault is not None:
            state.script.log(req)
            results[custom_id] = ("error", fault.code or 500, fault.error_message)
            continue
        try:
            outcome = await resolve_chat(state, req)
        except ResponderError as exc:
            results[custom_id] = ("error", 500, str(exc))
            continue
        if isinstance(outcome, Fault):
            code = outcome.code if outcome.kind == "status" else 500
            results[custom_id] = ("error", code, outcome.error_message)
            continue
        reply = outcome if isinstance(outcome, Reply) else Reply(str(outcome))
        if job.provider == "openai":
            body = _openai._Completion(state, req, reply).whole()
        else:
            body = _anthropic._Message(state, req, reply).whole()
        results[custom_id] = ("ok", body)
    job.results = results
    if job.provider == "openai" and not job.cancelled:
        ok = [
            {
                "id": state.next_id("batch_req_"),
                "custom_id": cid,
                "response": {"status_code": 200, "request_id": state.next_id("req_"), "body": r[1]},
                "error": None,
            }
            for cid, r in results.items()
            if r[0] == "ok"
        ]
        errors = [
            {
                "id": state.next_id("batch_req_"),
                "custom_id": cid,
                "response": {
                    "status_code": r[1],
                    "request_id": state.next_id("req_"),
                    "body": {"error": {"message": r[2], "type": "server_error", "code": None}},
                },
                "error": None,
            }
            for cid, r in results.items()
            if r[0] == "error"
        ]
        if ok:
            job.output_file_id = _store_file(state, "batch_output.jsonl", "batch_output", ok)
        if errors:
            job.error_file_id = _store_file(state, "batch_errors.jsonl", "batch_output", errors)


def _store_file(state: ServerState, name: str, purpose: str, rows: list[dict[str, Any]]) -> str:
    file_id = state.next_id("file-fake-")
    content = "".join(json.dumps(r) + "\n" for r in rows).encode()
    state.batches.files[file_id] = (name, purpose, content)
    return file_id


def _file_object(file_id: str, name: str, purpose: str, size: int) -> dict[str, Any]:
    return {
        "id": file_id,
        "object": "file",
        "bytes": size,
        "created_at": int(time.time()),
        "filename": name,
        "purpose": purpose,
        "status": "processed",
        "expires_at": None,
        "status_details": None,
    }


def _page(jobs: list[_Job], limit: Any, after: Any, before: Any = None) -> tuple[list[_Job], bool]:
    """One page of ``jobs`` (newest first) after or before the given id; and whether more
    follow in that direction."""
    size = int(limit) if isinstance(limit, str) and limit.isdigit() and int(limit) > 0 else 20
    ids = [j.id for j in jobs]
    if isinstance(before, str) and before in ids:
        end = ids.index(before)
        return jobs[max(0, end - size) : end], end - size > 0
    start = ids.index(after) + 1 if isinstance(after, str) and after in ids else 0
    return jobs[start : start + size], start + size < len(jobs)


def _listed(state: ServerState, provider: str) -> list[_Job]:
    jobs = [j for j in state.batches.jobs.values() if j.provider == provider]
    return sorted(jobs, key=lambda j: j.created_at, reverse=True)


def _openai_batch(job: _Job) -> dict[str, Any]:
    now = int(time.time())
    done = job.results is not None
    counts = {"total": len(job.lines), "completed": 0, "failed": 0}
    if done and job.results is not None:
        counts["completed"] = sum(1 for r in job.results.values() if r[0] == "ok")
        counts["failed"] = sum(1 for r in job.results.values() if r[0] == "error")
    status = "cancelled" if job.cancelled else "completed" if done else "in_progress"
    return {
        "id": job.id,
        "object": "batch",
        "endpoint": "/v1/chat/completions",
        "errors": None,
        "input_file_id": job.input_file_id,
        "completion_window": "24h",
        "status": status,
        "output_file_id": job.output_file_id,
        "error_file_id": job.error_file_id,
        "created_at": int(job.created_at),
        "in_progress_at": now,
        "expires_at": now + 86400,
        "finalizing_at": now if done else None,
        "completed_at": now if done and not job.cancelled else None,
        "failed_at": None,
        "expired_at": None,
        "cancelling_at": now if job.cancelled else None,
        "cancelled_at": now if job.cancelled else None,
        "request_counts": counts,
        "metadata": job.metadata,
    }


def _rfc3339(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


def _anthropic_batch(job: _Job, base: str) -> dict[str, Any]:
    done = job.results is not None
    counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
    if job.results is None:
        counts["processing"] = len(job.lines)
    else:
        for r in job.results.values():
            key = {"ok": "succeeded", "error": "errored", "cancelled": "canceled"}[r[0]]
            counts[key] += 1
    return {
        "id": job.id,
        "type": "message_batch",
        "processing_status": "ended" if done else "in_progress",
        "request_counts": counts,
        "ended_at": now_rfc3339() if done else None,
        "created_at": datetime.fromtimestamp(job.created_at, UTC)
        .isoformat()
        .replace("+00:00", "Z"),
        "expires_at": now_rfc3339(),
        "archived_at": None,
        "cancel_initiated_at": now_rfc3339() if job.cancelled else None,
        "results_url": f"{base}v1/messages/batches/{job.id}/results" if done else None,
    }


def register(app: FastAPI, state: ServerState) -> None:
    batches = state.batches

    # --- OpenAI ------------------------------------------------------------------------------

    @app.post("/v1/files")
    async def upload(request: Request) -> Response:
        form = await request.form()
        upload_file = form.get("file")
        purpose = str(form.get("purpose") or "")
        if not isinstance(upload_file, UploadFile):
            return _openai.error_response(400, "file: a multipart file is required")
        content = await upload_file.read()
        file_id = state.next_id("file-fake-")
        name = upload_file.filename or "upload.jsonl"
        batches.files[file_id] = (name, purpose, content)
        return JSONResponse(_file_object(file_id, name, purpose, len(content)))

    @app.get("/v1/files/{file_id}")
    async def file_info(file_id: str) -> Response:
        if file_id not in batches.files:
            return _openai.error_response(404, f"No such File object: {file_id}")
        name, purpose, content = batches.files[file_id]
        return JSONResponse(_file_object(file_id, name, purpose, len(content)))

    @app.get("/v1/files/{file_id}/content")
    async def file_content(file_id: str) -> Response:
        if file_id not in batches.files:
            return _openai.error_response(404, f"No such File object: {file_id}")
        return Response(batches.files[file_id][2], media_type="application/octet-stream")

    @app.post("/v1/batches")
    async def create_openai(request: Request) -> Response:
        body = await read_json_object(request)
        if body is None or body.get("input_file_id") not in batches.files:
            return _openai.error_response(400, "input_file_id: no such file")
        if body.get("endpoint") != "/v1/chat/completions":
            return _openai.error_response(400, "endpoint: only /v1/chat/completions is faked")
        lines: list[tuple[str, RecordedRequest]] = []
        seen: set[str] = set()
        for n, raw in enumerate(batches.files[body["input_file_id"]][2].decode().splitlines()):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
                custom_id, params = line["custom_id"], line["body"]
                messages = params["messages"]
            except (ValueError, KeyError, TypeError):
                return _openai.error_response(400, f"line {n + 1}: not a batch request")
            if custom_id in seen or line.get("url") != "/v1/chat/completions":
                return _openai.error_response(400, f"line {n + 1}: duplicate id or bad url")
            seen.add(custom_id)
            lines.append(
                (
                    custom_id,
                    RecordedRequest(
                        api="openai-batch",
                        path="/v1/batches",
                        model=params.get("model"),
                        messages=simple_messages(messages),
                        body=params,
                        headers=header_dict(request),
                    ),
                )
            )
        now = time.monotonic()
        job = _Job(
            id=state.next_id("batch_fake_"),
            provider="openai",
            lines=lines,
            created=now,
            ends_at=now + batches.completion_delay_s,
            input_file_id=body["input_file_id"],
            metadata=body.get("metadata"),
        )
        batches.jobs[job.id] = job
        await state.sleep(batches.create_delay_s)
        return JSONResponse(_openai_batch(job))

    @app.get("/v1/batches")
    async def list_openai(request: Request) -> Response:
        q = request.query_params
        jobs, more = _page(_listed(state, "openai"), q.get("limit"), q.get("after"))
        for job in jobs:
            await _settle(state, job)
        data = [_openai_batch(j) for j in jobs]
        return JSONResponse(
            {
                "object": "list",
                "data": data,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
                "has_more": more,
            }
        )

    @app.get("/v1/batches/{batch_id}")
    async def retrieve_openai(batch_id: str) -> Response:
        job = batches.jobs.get(batch_id)
        if job is None or job.provider != "openai":
            return _openai.error_response(404, f"No batch found with id '{batch_id}'")
        await _settle(state, job)
        return JSONResponse(_openai_batch(job))

    @app.post("/v1/batches/{batch_id}/cancel")
    async def cancel_openai(batch_id: str) -> Response:
        job = batches.jobs.get(batch_id)
        if job is None or job.provider != "openai":
            return _openai.error_response(404, f"No batch found with id '{batch_id}'")
        if job.results is None:
            job.cancelled = True
            await _settle(state, job)
        return JSONResponse(_openai_batch(job))

    # --- Anthropic ---------------------------------------------------------------------------

    @app.post("/v1/messages/batches")
    async def create_anthropic(request: Request) -> Response:
        body = await read_json_object(request)
        requests = body.get("requests") if body else None
        if not isinstance(requests, list) or not requests:
            return _anthropic.error_response(state, 400, "requests: a non-empty list is required")
        lines: list[tuple[str, RecordedRequest]] = []
        for n, item in enumerate(requests):
            params = item.get("params") if isinstance(item, dict) else None
            custom_id = item.get("custom_id") if isinstance(item, dict) else None
            if not isinstance(params, dict) or not isinstance(custom_id, str):
                return _anthropic.error_response(state, 400, f"requests.{n}: bad request")
            lines.append(
                (
                    custom_id,
                    RecordedRequest(
                        api="anthropic-batch",
                        path="/v1/messages/batches",
                        model=params.get("model"),
                        messages=_anthropic._messages(params),
                        body=params,
                        headers=header_dict(request),
                    ),
                )
            )
        now = time.monotonic()
        job = _Job(
            id=state.next_id("msgbatch_fake_"),
            provider="anthropic",
            lines=lines,
            created=now,
            ends_at=now + batches.completion_delay_s,
        )
        batches.jobs[job.id] = job
        await state.sleep(batches.create_delay_s)
        return JSONResponse(_anthropic_batch(job, str(request.base_url)))

    @app.get("/v1/messages/batches")
    async def list_anthropic(request: Request) -> Response:
        q = request.query_params
        jobs, more = _page(
            _listed(state, "anthropic"), q.get("limit"), q.get("after_id"), q.get("before_id")
        )
        for job in jobs:
            await _settle(state, job)
        data = [_anthropic_batch(j, str(request.base_url)) for j in jobs]
        return JSONResponse(
            {
                "data": data,
                "has_more": more,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
            }
        )

    @app.get("/v1/messages/batches/{batch_id}")
    async def retrieve_anthropic(batch_id: str, request: Request) -> Response:
        job = batches.jobs.get(batch_id)
        if job is None or job.provider != "anthropic":
            return _anthropic.error_response(state, 404, f"no batch {batch_id}")
        await _settle(state, job)
        return JSONResponse(_anthropic_batch(job, str(request.base_url)))

    @app.get("/v1/messages/batches/{batch_id}/results")
    async def results_anthropic(batch_id: str) -> Response:
        job = batches.jobs.get(batch_id)
        if job is None or job.provider != "anthropic" or job.results is None:
            return _anthropic.error_response(state, 404, f"no results for batch {batch_id}")
        out = []
        for custom_id, r in job.results.items():
            if r[0] == "ok":
                result: dict[str, Any] = {"type": "succeeded", "message": r[1]}
            elif r[0] == "error":
                err_type = _anthropic._ERROR_TYPES.get(r[1], "api_error")
                result = {
                    "type": "errored",
                    "error": {"type": "error", "error": {"type": err_type, "message": r[2]}},
                }
            else:
                result = {"type": "canceled"}
            out.append(json.dumps({"custom_id": custom_id, "result": result}) + "\n")
        return Response("".join(out), media_type="application/binary")

    @app.post("/v1/messages/batches/{batch_id}/cancel")
    async def cancel_anthropic(batch_id: str, request: Request) -> Response:
        job = batches.jobs.get(batch_id)
        if job is None or job.provider != "anthropic":
            return _anthropic.error_response(state, 404, f"no batch {batch_id}")
        if job.results is None:
            job.cancelled = True
            await _settle(state, job)
        return JSONResponse(_anthropic_batch(job, str(request.base_url)))
