"""Each security promise is tested by trying the attack and checking it is refused and audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from iasante.core.db import get_engine, session_scope, utcnow
from iasante.core.models import AuditEvent, User, WebSession
from iasante.core.webdeps import SESSION_COOKIE
from tests.conftest import make_user


def _denied_events(actor: str | None = None) -> list[AuditEvent]:
    with session_scope() as session:
        query = select(AuditEvent).where(AuditEvent.outcome == "denied")
        if actor:
            query = query.where(AuditEvent.actor == actor)
        return list(session.scalars(query))


def test_wrong_role_is_refused_and_audited(client_as) -> None:  # type: ignore[no-untyped-def]
    clinician = client_as("clinician")
    assert clinician.get("/api/admin/users").status_code == 403
    assert clinician.get("/admin").status_code == 403
    events = _denied_events(clinician.username)
    assert len(events) == 2 and all(e.action == "denied" for e in events)


def test_missing_or_forged_csrf_token_is_refused_and_audited(client_as) -> None:  # type: ignore[no-untyped-def]
    admin = client_as("admin")
    body = {"username": "newuser", "password": "long-enough-pw", "role": "clinician"}
    assert admin.post("/api/admin/users", json=body).status_code == 403
    assert admin.post("/api/admin/users", json=body, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert admin.post("/admin/users", data={**body, "csrf_token": "forged"}).status_code == 403
    assert len([e for e in _denied_events(admin.username) if e.resource == "csrf"]) == 3
    with session_scope() as session:
        assert session.scalar(select(User).where(User.username == "newuser")) is None
    ok = admin.post("/api/admin/users", json=body, headers={"X-CSRF-Token": admin.csrf})
    assert ok.status_code == 201


def test_login_form_needs_its_csrf_token(app_instance) -> None:  # type: ignore[no-untyped-def]
    username = make_user("clinician")
    with TestClient(app_instance) as client:
        response = client.post("/login", data={"username": username, "password": "correct-horse-battery",
                                               "csrf_token": "forged"})
        assert response.status_code == 403
        assert SESSION_COOKIE not in client.cookies
    assert _denied_events(username)


def test_tampered_session_cookie_is_refused(client_as) -> None:  # type: ignore[no-untyped-def]
    client = client_as("clinician")
    good = client.cookies[SESSION_COOKIE]
    client.cookies.set(SESSION_COOKIE, good[:-2] + ("AA" if good[-2:] != "AA" else "BB"))
    assert client.get("/api/me").status_code == 401
    assert client.get("/", follow_redirects=False).status_code == 303
    assert [e.detail for e in _denied_events("anonymous")] == ["unknown or forged session cookie"] * 2


def test_expired_session_is_refused_and_removed(client_as) -> None:  # type: ignore[no-untyped-def]
    client = client_as("clinician")
    with session_scope() as session:
        for web_session in session.scalars(select(WebSession)):
            web_session.expires_at = utcnow() - timedelta(minutes=1)
    assert client.get("/api/me").status_code == 401
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(WebSession)) == 0
    assert [e.detail for e in _denied_events(client.username)] == ["expired session"]


def test_failed_logins_are_audited(app_instance) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app_instance) as client:
        assert client.post("/api/auth/login", json={"username": "ghost", "password": "x"}).status_code == 403
    assert [e.action for e in _denied_events("ghost")] == ["login"]


@pytest.mark.parametrize("payload", ["' OR '1'='1", "admin'--", "x'; DROP TABLE core_user; --", "\" OR \"\"=\""])
def test_sql_metacharacters_are_inert(app_instance, client_as, payload: str) -> None:  # type: ignore[no-untyped-def]
    make_user("admin", "realadmin")
    with TestClient(app_instance) as client:
        response = client.post("/api/auth/login", json={"username": payload, "password": payload})
        assert response.status_code == 403
    admin = client_as("admin")
    assert admin.get("/api/admin/audit", params={"actor": payload}).status_code == 200
    created = admin.post("/api/admin/users", json={"username": payload, "password": "long-enough-pw",
                                                   "role": "clinician"}, headers={"X-CSRF-Token": admin.csrf})
    assert created.status_code == 422
    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM core_user")).scalar_one() >= 2
    assert _denied_events(payload[:64])


def test_oversize_and_chunked_bodies_are_refused(client_as, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from iasante.core.config import get_settings

    admin = client_as("admin")
    monkeypatch.setattr(get_settings(), "max_upload_mb", 0)
    response = admin.post("/api/admin/users", content=b"x" * 10, headers={"X-CSRF-Token": admin.csrf,
                                                                        "content-type": "application/json"})
    assert response.status_code == 413
    assert [e.resource for e in _denied_events(admin.username)] == ["upload"]


def test_secure_headers_are_set(client_as) -> None:  # type: ignore[no-untyped-def]
    response = client_as("clinician").get("/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    cookie = response.request.headers.get("cookie", "")
    assert SESSION_COOKIE in cookie


def test_session_cookie_flags(app_instance) -> None:  # type: ignore[no-untyped-def]
    username = make_user("clinician")
    with TestClient(app_instance) as client:
        response = client.post("/api/auth/login", json={"username": username, "password": "correct-horse-battery"})
    header = response.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=lax" in header


def test_disabled_user_loses_access(client_as) -> None:  # type: ignore[no-untyped-def]
    clinician = client_as("clinician")
    admin = client_as("admin")
    response = admin.post(f"/api/admin/users/{clinician.username}/disable", headers={"X-CSRF-Token": admin.csrf})
    assert response.status_code == 200 and clinician.get("/api/me").status_code == 401


def test_open_redirect_after_login_is_refused(app_instance) -> None:  # type: ignore[no-untyped-def]
    import re

    username = make_user("clinician")
    with TestClient(app_instance) as client:
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        response = client.post("/login", data={"username": username, "password": "correct-horse-battery",
                                               "csrf_token": token, "next": "//evil.example/x"},
                               follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
