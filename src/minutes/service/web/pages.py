"""The pages' routes. Each page is one tenant's: the session's (see ``session.py``); another
tenant's meeting is as absent as one that never existed. Every POST carries the session's CSRF
token (a form field, or the ``X-CSRF-Token`` header of the script's requests)."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import ValidationError
from sqlalchemy import select

from minutes.errors import MinutesError, NotFound
from minutes.service.schemas import RunOptions
from minutes.service.state import ServiceState
from minutes.service.web import charts, views
from minutes.service.web.session import (
    CSRF_HEADER,
    SESSION_COOKIE,
    SESSION_TTL_S,
    SIGNIN_COOKIE,
    Signer,
    WebSession,
    load_secret,
)
from minutes.units import utcnow

SERVICE_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = SERVICE_DIR / "templates"
STATIC_DIR = SERVICE_DIR / "static"

router = APIRouter(include_in_schema=False)

# Pages run no inline script or style and load nothing from elsewhere.
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class SignInNeeded(Exception):
    """No valid session: pages redirect to the sign-in page, the script's requests get 401."""


class CsrfRefused(Exception):
    """A POST without the session's CSRF token."""


# --- templates -----------------------------------------------------------------------------


def _versions() -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:10]
        for p in STATIC_DIR.iterdir()
        if p.is_file()
    }


_VERSIONS = _versions()


def _stamp(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(seconds)
    return (
        f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )


def _money(value: Decimal | float | None) -> str:
    return charts.money(float(value or 0))


_env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals.update(
    static=lambda name: f"/static/{name}?v={_VERSIONS.get(name, '0')}",
    money=_money,
    stamp=_stamp,
    pct=charts.percent,
    ms=charts.millis,
)


def _page(
    template: str,
    session: WebSession | None,
    *,
    status: int = 200,
    active: str = "",
    **context: Any,
) -> HTMLResponse:
    html = _env.get_template(template).render(session=session, active=active, **context)
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


# --- sessions ------------------------------------------------------------------------------


def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


def _signer(request: Request) -> Signer:
    signer: Signer | None = getattr(request.app.state, "web_signer", None)
    if signer is None:
        signer = Signer(load_secret(_state(request).settings.database_url))
        request.app.state.web_signer = signer
    return signer


def _key_valid(request: Request, session: WebSession) -> bool:
    from minutes.store.models import ApiKey

    with _state(request).store().read() as db:
        row = db.execute(
            select(ApiKey.tenant, ApiKey.revoked_at).where(ApiKey.id == session.key_id)
        ).first()
    return row is not None and row.revoked_at is None and row.tenant == session.tenant


def signed_in(request: Request) -> WebSession:
    """The dependency of every page: the session, or ``SignInNeeded``."""
    session = _signer(request).read(request.cookies.get(SESSION_COOKIE))
    if session is None or not _key_valid(request, session):
        raise SignInNeeded
    return session


Signed = Annotated[WebSession, Depends(signed_in)]


def _check_csrf(request: Request, session: WebSession, field: str | None) -> None:
    presented = field or request.headers.get(CSRF_HEADER)
    if not _signer(request).csrf_ok(session, presented):
        raise CsrfRefused


def _wants_json(request: Request) -> bool:
    return request.url.path.endswith(".json") or "application/json" in request.headers.get(
        "accept", ""
    )


def _secure(request: Request) -> bool:
    # Behind a proxy, uvicorn sets the scheme from X-Forwarded-Proto for trusted proxies
    # (--forwarded-allow-ips); the header itself is not trusted here.
    return request.url.scheme == "https"


def _safe_next(value: str | None) -> str:
    """Only a path of this site (no ``//host`` or scheme): nowhere else to go after sign-in."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/meetings"


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(SignInNeeded)
    async def _sign_in(request: Request, exc: SignInNeeded) -> Response:
        response: Response
        if _wants_json(request) or request.method != "GET":
            response = JSONResponse({"detail": "sign in first"}, status_code=401)
        else:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            response = RedirectResponse(f"/sign-in?next={quote(target)}", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, exc: CsrfRefused) -> Response:
        message = "the form's security token is missing or stale; reload the page and try again"
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=403)
        return _page("refused.html", None, status=403, message=message, back=None)


# --- sign in and out -----------------------------------------------------------------------


@router.get("/", response_class=RedirectResponse)
def home() -> RedirectResponse:
    return RedirectResponse("/meetings", status_code=303)


def _sign_in_page(
    request: Request, next_path: str, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    signer = _signer(request)
    token = request.cookies.get(SIGNIN_COOKIE)
    if not signer.signin_ok(token, token):
        token = signer.new_signin_token()
    response = _page(
        "sign_in.html", None, status=status, error=error, next=next_path, signin_token=token
    )
    response.set_cookie(
        SIGNIN_COOKIE,
        token or "",
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/sign-in",
    )
    return response


@router.get("/sign-in")
def sign_in_form(request: Request, next: str | None = None) -> Response:
    if _signer(request).read(request.cookies.get(SESSION_COOKIE)) is not None:
        try:
            signed_in(request)
            return RedirectResponse(_safe_next(next), status_code=303)
        except SignInNeeded:
            pass
    return _sign_in_page(request, _safe_next(next))


@router.post("/sign-in")
def sign_in(
    request: Request,
    api_key: Annotated[str, Form(max_length=512)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/meetings",
) -> Response:
    signer = _signer(request)
    target = _safe_next(next)
    if not signer.signin_ok(request.cookies.get(SIGNIN_COOKIE), csrf):
        return _sign_in_page(request, target, error="The form expired: sign in again.", status=403)
    owner = request.app.state.keys.owner(api_key.strip()) if api_key.strip() else None
    if owner is None:
        return _sign_in_page(
            request, target, error="That API key is not valid (unknown or revoked).", status=401
        )
    value, _ = signer.issue(owner.tenant, owner.key_id)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=SESSION_TTL_S,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    response.delete_cookie(SIGNIN_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out")
def sign_out(
    request: Request, session: Signed, csrf: Annotated[str | None, Form(max_length=200)] = None
) -> Response:
    _check_csrf(request, session, csrf)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- meetings ------------------------------------------------------------------------------


@router.get("/meetings")
def meetings_page(
    request: Request, session: Signed, q: Annotated[str, Query(max_length=200)] = ""
) -> HTMLResponse:
    with _state(request).store().read() as db:
        rows = views.meeting_rows(db, session.tenant, q)
    return _page("meetings.html", session, active="/meetings", rows=rows, q=q)


def _refuse(request: Request, status: int, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    return _page("refused.html", None, status=status, message=message, back="/meetings")


@router.post("/meetings/upload")
async def upload(
    request: Request,
    session: Signed,
    file: Annotated[UploadFile, File()],
    title: Annotated[str, Form(max_length=500)] = "",
    date: Annotated[str, Form(max_length=32)] = "",
    engine: Annotated[str, Form(max_length=16)] = "auto",
    csrf: Annotated[str | None, Form(max_length=200)] = None,
) -> Response:
    from minutes.service.routes.meetings import _submit
    from minutes.transcripts import transcript_from_bytes

    _check_csrf(request, session, csrf)
    state = _state(request)
    try:
        options = RunOptions(engine=engine)
        day = dt.date.fromisoformat(date) if date else None
    except (ValidationError, ValueError):
        return _refuse(request, 422, "the engine or the date is not valid")
    data = await file.read()
    try:
        transcript = await run_in_threadpool(
            transcript_from_bytes,
            data,
            name=file.filename or "upload.txt",
            title=title.strip() or None,
            date=day,
        )
    except MinutesError as exc:
        return _refuse(request, 422, str(exc).splitlines()[0] if str(exc) else "unreadable file")
    if not transcript.segments:
        return _refuse(request, 422, "the transcript has no text")
    payload: dict[str, str] = {}
    submitted = await run_in_threadpool(
        _submit, state, session.tenant, transcript, options, None, payload
    )
    job = submitted.job
    if submitted.created and state.runner is not None:
        await state.runner.submit(job.id, payload)
    meeting_url = f"/meetings/{job.meeting_id}"
    if not _wants_json(request):
        return RedirectResponse(meeting_url, status_code=303)
    return JSONResponse(
        {
            "job_id": job.id,
            "meeting_id": job.meeting_id,
            "status": job.status,
            "created": submitted.created,
            "job_url": f"/jobs/{job.id}.json",
            "meeting_url": meeting_url,
        },
        status_code=202 if submitted.created else 200,
    )


@router.get("/jobs/{job_id}.json")
def job_status(request: Request, job_id: str, session: Signed) -> Response:
    from minutes.store.jobs import get_job

    try:
        with _state(request).store().read() as db:
            job = get_job(db, job_id, tenant=session.tenant)
    except NotFound:
        return JSONResponse({"detail": f"no job {job_id}"}, status_code=404)
    body = job.model_dump(mode="json")
    body["meeting_url"] = f"/meetings/{job.meeting_id}"
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def _not_found(session: WebSession, message: str) -> HTMLResponse:
    return _page("not_found.html", session, status=404, message=message)


@router.get("/meetings/{meeting_id}")
def meeting_page(request: Request, meeting_id: str, session: Signed) -> HTMLResponse:
    from minutes.render import to_markdown
    from minutes.store.jobs import latest_job
    from minutes.store.meetings import get_meeting, list_meetings, resolve_meeting_id

    tenant = session.tenant
    with _state(request).store().read() as db:
        try:
            full = resolve_meeting_id(db, meeting_id, tenant=tenant)
        except NotFound:
            return _not_found(session, "There is no such meeting.")
        summary = list_meetings(db, tenant=tenant, meeting_id=full)[0]
        job = latest_job(db, full, tenant=tenant)
        try:
            detail = get_meeting(db, full, tenant=tenant)
        except NotFound:
            detail = None
        segments = views.transcript_segments(db, full, tenant) if detail else []
    notes = detail.notes if detail else None
    return _page(
        "meeting.html",
        session,
        active="/meetings",
        title=summary.title or summary.source_name or "Untitled meeting",
        summary=summary,
        job=job,
        notes=notes,
        actions=detail.actions if detail else [],
        labels=views.stage_labels(notes) if notes else {},
        segments=segments,
        markdown=to_markdown(notes) if notes else "",
        today=utcnow().date(),
    )


def _notes_or_404(request: Request, meeting_id: str, tenant: str) -> Any:
    from minutes.store.meetings import get_meeting

    with _state(request).store().read() as db:
        return get_meeting(db, meeting_id, tenant=tenant)


@router.get("/meetings/{meeting_id}/notes.md")
def notes_markdown(request: Request, meeting_id: str, session: Signed) -> Response:
    from minutes.render import to_markdown

    try:
        detail = _notes_or_404(request, meeting_id, session.tenant)
    except NotFound:
        return PlainTextResponse("no such meeting, or no notes yet", status_code=404)
    return PlainTextResponse(to_markdown(detail.notes), media_type="text/markdown")


@router.get("/meetings/{meeting_id}/notes.json")
def notes_json(request: Request, meeting_id: str, session: Signed) -> Response:
    try:
        detail = _notes_or_404(request, meeting_id, session.tenant)
    except NotFound:
        return JSONResponse({"detail": "no such meeting, or no notes yet"}, status_code=404)
    name = f"minutes-{detail.summary.id[:8]}.json"
    return JSONResponse(
        detail.notes.model_dump(mode="json"),
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- commitments and decisions -------------------------------------------------------------


@router.get("/commitments")
def commitments_page(
    request: Request, session: Signed, status: Literal["", "open", "done"] = ""
) -> HTMLResponse:
    today = utcnow().date()
    with _state(request).store().read() as db:
        groups = views.commitments(db, session.tenant, today, status=status or None)
    return _page(
        "commitments.html",
        session,
        active="/commitments",
        groups=groups,
        show=status,
        today=today,
    )


@router.post("/commitments/{action_id}")
def set_commitment(
    request: Request,
    action_id: int,
    session: Signed,
    status: Annotated[Literal["open", "done"], Form()],
    csrf: Annotated[str | None, Form(max_length=200)] = None,
) -> Response:
    from minutes.store.meetings import set_action_status

    _check_csrf(request, session, csrf)
    try:
        with _state(request).store().transaction() as db:
            item = set_action_status(db, action_id, done=status == "done", tenant=session.tenant)
    except NotFound:
        return _refuse(request, 404, f"no action item {action_id}")
    if not _wants_json(request):
        return RedirectResponse("/commitments", status_code=303)
    body = item.model_dump(mode="json")
    body["overdue"] = views.is_overdue(item, utcnow().date())
    return JSONResponse(body)


@router.get("/decisions")
def decisions_page(request: Request, session: Signed) -> HTMLResponse:
    from minutes.store.meetings import list_decisions

    with _state(request).store().read() as db:
        decisions = list_decisions(db, tenant=session.tenant, limit=500)
    return _page("decisions.html", session, active="/decisions", decisions=decisions)


# --- spend and health ----------------------------------------------------------------------


def _spend_charts(data: views.SpendData) -> dict[str, Any]:
    short = lambda day: day[5:]  # noqa: E731  (MM-DD under the axis)

    def lines(by_model: dict[str, list[tuple[int, float]]]) -> list[charts.Series]:
        return [charts.Series(m, pts) for m, pts in sorted(by_model.items())]

    return {
        "budget_day": charts.gauge(
            "Budget today",
            float(data.spent_today),
            None if data.daily_limit is None else float(data.daily_limit),
        ),
        "budget_month": charts.gauge(
            "Budget this month",
            float(data.spent_month),
            None if data.monthly_limit is None else float(data.monthly_limit),
        ),
        "per_day": charts.bar_chart("Cost per day", data.cost_per_day, short_label=short),
        "by_model": charts.hbar_chart("Cost by model", data.by_model),
        "by_task": charts.hbar_chart("Cost by task", data.by_task),
        "cache": charts.line_chart(
            "Cache hit rate per day",
            data.days,
            [charts.Series("cache hits", data.cache_rate_per_day)],
            fmt=charts.percent,
            y_top=1.0,
            short_label=short,
        ),
        "p95": charts.line_chart(
            "p95 latency per model",
            data.days,
            lines(data.p95_by_model),
            fmt=charts.millis,
            short_label=short,
        ),
        "success": charts.line_chart(
            "Success rate per model",
            data.days,
            lines(data.success_by_model),
            fmt=charts.percent,
            y_top=1.0,
            short_label=short,
        ),
    }


@router.get("/spend")
def spend_page(
    request: Request, session: Signed, days: Annotated[int, Query(ge=1, le=366)] = 30
) -> HTMLResponse:
    state = _state(request)
    with state.store().read() as db:
        data = views.spend(db, session.tenant, state.settings, days=days, now=utcnow())
    return _page(
        "spend.html",
        session,
        active="/spend",
        data=data,
        days=days,
        windows=sorted({7, 30, 90, days}),
        charts=_spend_charts(data),
    )
