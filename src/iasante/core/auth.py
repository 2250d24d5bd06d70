"""Accounts, roles and server-side sessions (argon2 hashes, random session ids, per-session CSRF tokens)."""

from __future__ import annotations

import getpass
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from iasante.core import audit
from iasante.core.config import get_settings
from iasante.core.db import session_scope, utcnow
from iasante.core.errors import AccessDeniedError, InputDataError, NotFoundError, look_up_option
from iasante.core.models import Role, User, WebSession

_hasher = PasswordHasher()
# Verified against when the username is unknown, so that timing does not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True)
class Principal:
    """Who is acting: a web user or the local CLI operator."""

    username: str
    role: str
    ip: str = ""
    session_id: str | None = None
    csrf_token: str | None = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_roles(principal: Principal, roles: Iterable[str], action: str) -> None:
    """Raise :class:`AccessDeniedError` (and audit the refusal) unless the principal holds one of ``roles``.

    Admins are admitted everywhere.
    """
    allowed = set(roles) | {Role.admin}
    if principal.role not in allowed:
        audit.record(None, principal.username, "denied", action, ip=principal.ip, outcome="denied",
                     detail=f"role {principal.role} not in {sorted(allowed)}")
        raise AccessDeniedError(f"{action}: role {principal.role!r} is not allowed")


def add_user(session: Session, username: str, password: str, role: str, full_name: str = "",
             actor: str = "system") -> User:
    look_up_option(role, [r.value for r in Role], "role")
    if not username.isidentifier() and not username.replace("-", "_").replace(".", "_").isidentifier():
        raise InputDataError(f"username {username!r}: use letters, digits, '.', '-' or '_'")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputDataError(f"password for {username!r}: at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise InputDataError(f"username {username!r} already exists")
    user = User(username=username, password_hash=hash_password(password), role=role, full_name=full_name,
                active=True, locale=get_settings().default_locale)
    session.add(user)
    audit.record(session, actor, "create", "user", username, detail=f"role={role}")
    return user


def list_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.username)).all()


def set_active(session: Session, username: str, active: bool, actor: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"user {username!r} not found")
    user.active = active
    if not active:
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    audit.record(session, actor, "enable" if active else "disable", "user", username)
    return user


def authenticate(session: Session, username: str, password: str, ip: str = "") -> User:
    """Check a password; every attempt, good or bad, is audited."""
    user = session.scalar(select(User).where(User.username == username))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        ok = user is not None and user.active
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        audit.record(None, username[:64] or "anonymous", "login", "session", ip=ip, outcome="denied")
        raise AccessDeniedError("login: wrong username or password, or account disabled")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    audit.record(session, username, "login", "session", ip=ip)
    return user


def open_session(session: Session, user: User, ip: str = "") -> WebSession:
    web_session = WebSession(
        id=secrets.token_urlsafe(32),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=utcnow() + timedelta(minutes=get_settings().session_minutes),
        ip=ip,
    )
    session.add(web_session)
    return web_session


def resolve_session(session: Session, session_id: str | None, ip: str = "") -> Principal | None:
    """The principal of a live session (sliding expiry), or ``None`` if unknown, expired or disabled."""
    if not session_id:
        return None
    web_session = session.get(WebSession, session_id) if len(session_id) <= 100 else None
    if web_session is None:
        audit.record(None, "anonymous", "denied", "session", ip=ip, outcome="denied",
                     detail="unknown or forged session cookie")
        return None
    now = utcnow()
    expires = web_session.expires_at
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=now.tzinfo)
    user = session.get(User, web_session.user_id)
    if expires < now or user is None or not user.active:
        session.delete(web_session)
        reason = "expired session" if expires < now else "disabled account"
        audit.record(session, user.username if user else "anonymous", "denied", "session", ip=ip,
                     outcome="denied", detail=reason)
        return None
    lifetime = timedelta(minutes=get_settings().session_minutes)
    if expires - now < lifetime - timedelta(seconds=60):  # slide the expiry at most once a minute
        web_session.expires_at = now + lifetime
    return Principal(user.username, user.role, ip, web_session.id, web_session.csrf_token)


def close_session(session: Session, session_id: str) -> None:
    session.execute(delete(WebSession).where(WebSession.id == session_id))


def csrf_matches(expected: str | None, given: str | None) -> bool:
    return bool(expected and given and hmac.compare_digest(expected, given))


def cli_principal(roles: Iterable[str], action: str) -> Principal:
    """The CLI's acting principal, checked against ``roles``.

    With ``IASANTE_CLI_USER`` and ``IASANTE_CLI_PASSWORD`` set, that account is authenticated and its role used.
    Otherwise the local operator, who owns the deployment's key and database files, acts as ``os:<login>``
    with the admin role — the same trust as a database superuser on its own server.
    """
    import os

    username = os.environ.get("IASANTE_CLI_USER")
    if username:
        with session_scope() as session:
            user = authenticate(session, username, os.environ.get("IASANTE_CLI_PASSWORD", ""), ip="cli")
            principal = Principal(user.username, user.role, "cli")
    else:
        principal = Principal(f"os:{getpass.getuser()}", Role.admin, "cli")
    check_roles(principal, roles, action)
    return principal
