"""Demo set-up for ``make run``: one account per role and each system's shipped sample case."""

from __future__ import annotations

import importlib
import json
import os
import secrets

from sqlalchemy import select

from iasante.core.auth import add_user
from iasante.core.config import PACKAGE_DIR, get_settings
from iasante.core.db import SYSTEMS, session_scope
from iasante.core.models import Role, User

DEMO_USERS = {
    "admin": Role.admin,
    "clinicien": Role.clinician,
    "biologiste": Role.biologist,
    "datascientist": Role.data_scientist,
    "participant": Role.challenge_participant,
}


def ensure_demo_accounts() -> list[tuple[str, str, str]]:
    """Create missing demo accounts with random passwords kept in ``home/demo_accounts.json`` (0600)."""
    path = get_settings().home / "demo_accounts.json"
    known: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    with session_scope() as session:
        for username, role in DEMO_USERS.items():
            exists = session.scalar(select(User).where(User.username == username)) is not None
            if not exists:
                known[username] = "demo-" + secrets.token_urlsafe(9)
                add_user(session, username, known[username], role, f"Demo {role.value}", actor="setup")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(known, handle)
    return [(u, known.get(u, "(set before)"), r.value) for u, r in DEMO_USERS.items()]


def load_system_demos() -> list[str]:
    """Call each system's ``service.load_demo(owner)``; one summary line per system."""
    lines = []
    for system in SYSTEMS:
        if not (PACKAGE_DIR / system / "service.py").exists():
            continue
        service = importlib.import_module(f"iasante.{system}.service")
        loader = getattr(service, "load_demo", None)
        if loader is not None:
            lines.append(f"{system}: {loader('setup')}")
    return lines
