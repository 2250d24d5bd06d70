"""FastAPI dependencies every router uses: database session, current principal, role + CSRF checks.

Usage in a system's ``web.py``::

    @router.post("/studies")
    def create_study(db: DbSession, who: Annotated[Principal, Depends(require_roles(Role.clinician))]): ...

``require_roles`` authenticates (session cookie), checks the role (admin always admitted), checks the CSRF
token on unsafe methods (header ``X-CSRF-Token`` or form field ``csrf_token``) and audits refusals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from iasante.core import audit
from iasante.core.auth import Principal, check_roles, csrf_matches
from iasante.core.db import session_scope
from iasante.core.errors import AccessDeniedError
from iasante.core.models import Role

SESSION_COOKIE = "iasante_session"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class NotAuthenticated(Exception):
    """No valid session: pages redirect to the login page, the API answers 401."""


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def get_db() -> Iterator[Session]:
    with session_scope() as session:
        yield session


DbSession = Annotated[Session, Depends(get_db, scope="function")]  # commit before the response leaves


def current_principal(request: Request) -> Principal:
    """The logged-in principal (resolved once per request by the app's session middleware)."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        raise NotAuthenticated()
    return principal  # type: ignore[no-any-return]


async def _check_csrf(request: Request, principal: Principal) -> None:
    if request.method not in UNSAFE_METHODS:
        return
    token: object = request.headers.get("x-csrf-token")
    if token is None and "form" in request.headers.get("content-type", ""):
        token = (await request.form()).get("csrf_token")  # cached by Starlette for later Form() params
    if not csrf_matches(principal.csrf_token, token if isinstance(token, str) else None):
        audit.record(None, principal.username, "denied", "csrf", request.url.path, ip=principal.ip,
                     outcome="denied", detail=f"{request.method} without a valid CSRF token")
        raise AccessDeniedError("CSRF token missing or invalid")


def require_roles(*roles: str) -> Callable[..., object]:
    """Dependency factory: authenticated + one of ``roles`` (or admin) + CSRF on unsafe methods."""

    async def dependency(request: Request) -> Principal:
        principal = current_principal(request)
        await _check_csrf(request, principal)
        check_roles(principal, roles, f"{request.method} {request.url.path}")
        return principal

    return dependency


AnyUser = Annotated[Principal, Depends(require_roles(*[r.value for r in Role]))]
AdminUser = Annotated[Principal, Depends(require_roles(Role.admin))]
