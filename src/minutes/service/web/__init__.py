"""The web pages of ``minutes serve``: meetings, one meeting with its transcript, commitments,
decisions, spend and health. Server-rendered (Jinja2), with one small script and one style
sheet shipped in the package (``service/static``); no external request.

``install(app)`` adds the pages' router, the static files and the sign-in redirect.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from minutes.service.web.pages import STATIC_DIR, install_handlers, router


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_handlers(app)


__all__ = ["install"]
