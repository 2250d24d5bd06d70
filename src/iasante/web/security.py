"""HTTP-level protections: secure headers, request size limit, session and locale resolution."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from iasante.core import audit, i18n
from iasante.core.auth import Principal, resolve_session
from iasante.core.config import get_settings
from iasante.core.db import session_scope
from iasante.core.webdeps import SESSION_COOKIE, client_ip

LANG_COOKIE = "iasante_lang"
CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)
Handler = Callable[[Request], Awaitable[Response]]


def add_secure_headers(response: Response, secure: bool) -> None:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if secure:
        response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    if response.headers.get("content-type", "").startswith(("text/html", "application/json")):
        response.headers.setdefault("Cache-Control", "no-store")


def _principal_of(session_id: str | None, ip: str) -> Principal | None:
    if not session_id:
        return None
    with session_scope() as session:
        return resolve_session(session, session_id, ip)


async def platform_middleware(request: Request, call_next: Handler) -> Response:
    """Refuse oversize bodies early, resolve the session and the language, add secure headers."""
    settings = get_settings()
    principal = await run_in_threadpool(_principal_of, request.cookies.get(SESSION_COOKIE), client_ip(request))
    request.state.principal = principal
    declared = request.headers.get("content-length")
    refusal = None
    if declared is None and "chunked" in request.headers.get("transfer-encoding", "").lower():
        refusal = (411, "chunked request bodies are not accepted; send Content-Length")
    elif declared is not None and (not declared.isdigit() or int(declared) > settings.max_upload_bytes):
        refusal = (413, f"request body exceeds {settings.max_upload_bytes} bytes")
    if refusal:
        actor = principal.username if principal else "anonymous"
        await run_in_threadpool(audit.record, None, actor, "denied", "upload", request.url.path,
                                ip=client_ip(request), outcome="denied", detail=refusal[1])
        return JSONResponse({"detail": refusal[1]}, refusal[0])
    token = i18n.current_locale.set(i18n.pick_locale(request.cookies.get(LANG_COOKIE)))
    try:
        response = await call_next(request)
    finally:
        i18n.current_locale.reset(token)
    add_secure_headers(response, settings.cookie_secure)
    return response
