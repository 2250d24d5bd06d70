"""App factory: middleware, error mapping, shared pages and every system's routers."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from iasante import __version__
from iasante.core import jobs
from iasante.core.config import PACKAGE_DIR
from iasante.core.db import SYSTEMS
from iasante.core.errors import IASanteError
from iasante.core.i18n import gettext as _
from iasante.core.ui import render
from iasante.core.webdeps import NotAuthenticated
from iasante.web import pages
from iasante.web.security import platform_middleware

log = logging.getLogger("iasante.web")
SWEEP_EVERY_S = 60


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def _error_response(request: Request, status: int, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    return render(request, "error.html", {"status": status, "message": message}, status_code=status)


async def _sweep_forever() -> None:
    """No job stays stuck: periodically retry or fail jobs whose heartbeat stopped or that overran."""
    while True:
        await asyncio.sleep(SWEEP_EVERY_S)
        try:
            await asyncio.to_thread(jobs.sweep_stale_jobs)
        except Exception:  # keep sweeping; the failure is logged
            log.exception("job sweep failed")


@contextlib.asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    resumed = await asyncio.to_thread(jobs.recover_interrupted)
    if resumed:
        log.info("resumed jobs %s", resumed)
    sweeper = asyncio.create_task(_sweep_forever())
    yield
    sweeper.cancel()
    await asyncio.to_thread(jobs.close_client)


def include_systems(app: FastAPI) -> list[str]:
    """Include ``router`` and ``api_router`` of every system that has a ``web.py``."""
    included = []
    for system in SYSTEMS:
        if not (PACKAGE_DIR / system / "web.py").exists():
            continue
        module = importlib.import_module(f"iasante.{system}.web")
        for name in ("router", "api_router"):
            router = getattr(module, name, None)
            if router is not None:
                app.include_router(router)
        included.append(system)
    return included


def create_app() -> FastAPI:
    app = FastAPI(
        title="IA Santé API",
        version=__version__,
        description="JSON API of the IA Santé platform. Log in with POST /api/auth/login; send the returned "
        "csrf_token as header X-CSRF-Token on every POST/PUT/PATCH/DELETE.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=_lifespan,
    )
    app.middleware("http")(platform_middleware)
    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "web" / "static"), name="static")

    @app.exception_handler(NotAuthenticated)
    async def _not_authenticated(request: Request, _exc: NotAuthenticated) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "not authenticated"}, status_code=401)
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(IASanteError)
    async def _platform_error(request: Request, exc: IASanteError) -> Response:
        return _error_response(request, exc.http_status, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": exc.errors()}, status_code=422)
        fields = ", ".join(".".join(str(p) for p in e["loc"][1:]) for e in exc.errors())
        return _error_response(request, 422, _("Invalid or missing fields: ") + fields)

    @app.get("/api/docs", include_in_schema=False)
    async def api_docs(request: Request) -> Response:
        """Swagger UI served from vendored files (no CDN, no inline script)."""
        return render(request, "api_docs.html")

    app.include_router(pages.router)
    app.include_router(pages.api_router)
    app.state.systems = include_systems(app)
    return app
