"""Shared pages (login, home, jobs, admin) and their JSON API twins."""

from __future__ import annotations

import importlib
import secrets
from typing import Annotated, Any
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from iasante.core import audit, jobs
from iasante.core.auth import (
    Principal,
    add_user,
    authenticate,
    close_session,
    list_users,
    open_session,
    set_active,
)
from iasante.core.config import PACKAGE_DIR, get_settings
from iasante.core.db import SYSTEMS
from iasante.core.errors import AccessDeniedError
from iasante.core.i18n import LANGUAGES
from iasante.core.models import Job, Role
from iasante.core.ui import render
from iasante.core.webdeps import SESSION_COOKIE, AdminUser, AnyUser, DbSession, client_ip, require_roles
from iasante.web.security import LANG_COOKIE

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["platform"])
LOGIN_CSRF_COOKIE = "iasante_login_csrf"
JobViewer = Annotated[Principal, Depends(require_roles(Role.clinician, Role.biologist, Role.data_scientist,
                                                        Role.challenge_participant))]

SYSTEM_TITLES = {
    "ct": ("ScanCovid-IA", "Chest CT triage: normal, pathological, COVID-19"),
    "iot": ("CoIoT-19", "Connected-device monitoring, NEWS2 and early alerts"),
    "drugs": ("COVIDrug-19", "Drug repositioning and lead finding against SARS-CoV-2 Mpro"),
    "karyotype": ("Karyotype AI", "Chromosome classification, karyogram and ISCN result"),
    "lag": ("LAG", "Genome structural variants, ACMG classification and review"),
    "derm": ("Melanoma detection", "Dermoscopic image analysis"),
    "challenge": ("IA Santé Challenge", "Datathon: hidden test sets, QI score, leaderboards"),
}


def _set_session_cookie(response: Response, session_id: str) -> None:
    settings = get_settings()
    response.set_cookie(SESSION_COOKIE, session_id, max_age=settings.session_minutes * 60, httponly=True,
                        samesite="lax", secure=settings.cookie_secure, path="/")


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths: no open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or urlparse(target).netloc:
        return "/"
    return target


def system_states() -> list[dict[str, Any]]:
    """Each system with its state, read from its service's ``system_status()``."""
    states = []
    for slug in ("ct", "iot", "drugs", "karyotype", "lag", "derm", "challenge"):
        name, description = SYSTEM_TITLES[slug]
        state = {"state": "not_installed", "detail": ""}
        if (PACKAGE_DIR / slug / "service.py").exists():
            try:
                state = importlib.import_module(f"iasante.{slug}.service").system_status()
            except Exception as exc:  # a broken system must not take the home page down
                state = {"state": "error", "detail": f"{type(exc).__name__}: {exc}"}
        has_web = (PACKAGE_DIR / slug / "web.py").exists()
        states.append({"slug": slug, "name": name, "description": description, "web": has_web, **state})
    return states


# ---------------------------------------------------------------- pages
@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    token = secrets.token_urlsafe(24)
    request.state.login_csrf = token
    response = render(request, "login.html", {"next": _safe_next(next), "error": None})
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login",
                        secure=get_settings().cookie_secure)
    return response


@router.post("/login")
def login_submit(
    request: Request,
    db: DbSession,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not secrets.compare_digest(expected, csrf_token):
        audit.record(None, username or "anonymous", "denied", "csrf", "/login", ip=client_ip(request),
                     outcome="denied", detail="login without a valid CSRF token")
        raise AccessDeniedError("CSRF token missing or invalid")
    try:
        user = authenticate(db, username, password, client_ip(request))
    except AccessDeniedError as exc:
        request.state.login_csrf = expected
        return render(request, "login.html", {"next": _safe_next(next), "error": str(exc)}, status_code=401)
    web_session = open_session(db, user, client_ip(request))
    response = RedirectResponse(_safe_next(next), status_code=303)
    _set_session_cookie(response, web_session.id)
    if user.locale in LANGUAGES and LANG_COOKIE not in request.cookies:
        response.set_cookie(LANG_COOKIE, user.locale, samesite="lax", path="/")
    return response


@router.post("/logout")
def logout(request: Request, db: DbSession, who: AnyUser) -> Response:
    if who.session_id:
        close_session(db, who.session_id)
    audit.record(db, who.username, "logout", "session", ip=who.ip)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{code}")
def switch_language(request: Request, code: str) -> Response:
    referer = request.headers.get("referer", "/")
    response = RedirectResponse(_safe_next(urlparse(referer).path or "/"), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, samesite="lax", path="/", max_age=365 * 86400)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, who: AnyUser) -> Response:
    return render(request, "home.html", {"systems": system_states()})


@router.get("/jobs", response_class=HTMLResponse)
def jobs_page(request: Request, who: JobViewer) -> Response:
    owner = None if who.role in (Role.admin, Role.data_scientist) else who.username
    return render(request, "jobs.html", {"jobs": jobs.list_jobs(limit=100, owner=owner)})


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: int, who: JobViewer) -> Response:
    job = _visible_job(job_id, who)
    template = "job_status.html" if request.headers.get("hx-request") else "job.html"
    return render(request, template, {"job": job})


@router.post("/jobs/{job_id}/cancel")
def job_cancel_form(request: Request, job_id: int, who: JobViewer) -> Response:
    _cancel(job_id, who)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, db: DbSession, who: AdminUser, actor: str | None = None,
               outcome: str | None = None) -> Response:
    events = audit.list_events(db, 200, actor or None, None, outcome or None)
    audit.record(db, who.username, "read", "audit", ip=who.ip)
    return render(request, "admin.html", {"users": list_users(db), "events": events, "roles": list(Role)})


@router.post("/admin/users")
def admin_add_user(
    request: Request,
    db: DbSession,
    who: AdminUser,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    role: Annotated[str, Form()],
    full_name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    add_user(db, username, password, role, full_name, actor=who.username)
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/users/{username}/disable")
def admin_disable_user(db: DbSession, who: AdminUser, username: str) -> Response:
    set_active(db, username, False, who.username)
    return RedirectResponse("/admin", status_code=303)


# ---------------------------------------------------------------- JSON API
class LoginRequest(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=256)


class LoginResponse(BaseModel):
    username: str
    role: str
    csrf_token: str


class JobPublic(BaseModel):
    id: int
    kind: str
    status: str
    progress: float
    message: str
    owner: str
    error: str | None
    result: dict[str, Any] | None
    created_at: str
    finished_at: str | None


class UserCreate(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(min_length=10, max_length=256)
    role: Role
    full_name: str = Field(default="", max_length=200)


class UserPublic(BaseModel):
    username: str
    role: str
    active: bool
    full_name: str


class AuditPublic(BaseModel):
    at: str
    actor: str
    action: str
    resource: str
    resource_id: str | None
    patient: str | None
    ip: str
    outcome: str
    detail: str


def _job_public(job: Job) -> JobPublic:
    return JobPublic(id=job.id, kind=job.kind, status=job.status, progress=job.progress, message=job.message,
                     owner=job.owner, error=job.error, result=job.result, created_at=job.created_at.isoformat(),
                     finished_at=job.finished_at.isoformat() if job.finished_at else None)


def _visible_job(job_id: int, who: Principal) -> Job:
    job = jobs.get(job_id)
    if who.role not in (Role.admin, Role.data_scientist) and job.owner != who.username:
        raise AccessDeniedError(f"job {job_id}: not yours")
    return job


def _cancel(job_id: int, who: Principal) -> Job:
    _visible_job(job_id, who)
    job = jobs.cancel(job_id)
    audit.record(None, who.username, "cancel", "job", job_id, ip=who.ip)
    return job


@api_router.post("/auth/login", response_model=LoginResponse)
def api_login(request: Request, db: DbSession, body: LoginRequest, response: Response) -> LoginResponse:
    user = authenticate(db, body.username, body.password, client_ip(request))
    web_session = open_session(db, user, client_ip(request))
    _set_session_cookie(response, web_session.id)
    return LoginResponse(username=user.username, role=user.role, csrf_token=web_session.csrf_token)


@api_router.post("/auth/logout")
def api_logout(db: DbSession, who: AnyUser, response: Response) -> dict[str, str]:
    if who.session_id:
        close_session(db, who.session_id)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return {"status": "logged out"}


@api_router.get("/me")
def api_me(who: AnyUser) -> dict[str, str]:
    return {"username": who.username, "role": who.role}


@api_router.get("/systems")
def api_systems(who: AnyUser) -> list[dict[str, Any]]:
    return system_states()


@api_router.get("/jobs", response_model=list[JobPublic])
def api_jobs(who: JobViewer, status: str | None = None, limit: int = 50) -> list[JobPublic]:
    owner = None if who.role in (Role.admin, Role.data_scientist) else who.username
    return [_job_public(j) for j in jobs.list_jobs(limit=min(limit, 500), owner=owner, status=status)]


@api_router.get("/jobs/{job_id}", response_model=JobPublic)
def api_job(job_id: int, who: JobViewer) -> JobPublic:
    return _job_public(_visible_job(job_id, who))


@api_router.post("/jobs/{job_id}/cancel", response_model=JobPublic)
def api_job_cancel(job_id: int, who: JobViewer) -> JobPublic:
    return _job_public(_cancel(job_id, who))


@api_router.get("/admin/users", response_model=list[UserPublic])
def api_users(db: DbSession, who: AdminUser) -> list[UserPublic]:
    return [UserPublic(username=u.username, role=u.role, active=u.active, full_name=u.full_name)
            for u in list_users(db)]


@api_router.post("/admin/users", response_model=UserPublic, status_code=201)
def api_add_user(db: DbSession, who: AdminUser, body: UserCreate) -> UserPublic:
    user = add_user(db, body.username, body.password, body.role, body.full_name, actor=who.username)
    return UserPublic(username=user.username, role=user.role, active=user.active, full_name=user.full_name)


@api_router.post("/admin/users/{username}/disable", response_model=UserPublic)
def api_disable_user(db: DbSession, who: AdminUser, username: str) -> UserPublic:
    user = set_active(db, username, False, who.username)
    return UserPublic(username=user.username, role=user.role, active=user.active, full_name=user.full_name)


@api_router.get("/admin/audit", response_model=list[AuditPublic])
def api_audit(db: DbSession, who: AdminUser, limit: int = 100, actor: str | None = None,
              patient: str | None = None, outcome: str | None = None) -> list[AuditPublic]:
    events = [AuditPublic(at=e.at.isoformat(), actor=e.actor, action=e.action, resource=e.resource,
                          resource_id=e.resource_id, patient=e.patient, ip=e.ip, outcome=e.outcome, detail=e.detail)
              for e in audit.list_events(db, min(limit, 1000), actor, patient, outcome)]
    audit.record(db, who.username, "read", "audit", ip=who.ip)
    return events


@api_router.get("/health", include_in_schema=False)
def health() -> dict[str, Any]:
    return {"status": "ok", "systems": [s for s in SYSTEMS if (PACKAGE_DIR / s / "web.py").exists()]}
