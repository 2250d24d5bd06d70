"""Server-rendered pages: one Jinja2 environment over the shared templates and every system's templates.

A system keeps its templates in ``<system>/templates/<system>/*.html`` and extends ``base.html``.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from iasante.core import i18n
from iasante.core.config import PACKAGE_DIR
from iasante.core.db import SYSTEMS


def _environment() -> Environment:
    folders = [PACKAGE_DIR / "web" / "templates"]
    folders += [PACKAGE_DIR / system / "templates" for system in SYSTEMS]
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(f)) for f in folders if f.is_dir()]),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["languages"] = i18n.LANGUAGES
    return env


templates = Jinja2Templates(env=_environment())


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
           ) -> HTMLResponse:
    """Render a page; the template gets ``request``, ``principal``, ``csrf_token`` and ``locale``."""
    principal = getattr(request.state, "principal", None)
    full = {
        "principal": principal,
        "csrf_token": getattr(principal, "csrf_token", None) or getattr(request.state, "login_csrf", ""),
        "locale": i18n.current_locale.get(),
        **(context or {}),
    }
    return templates.TemplateResponse(request, name, full, status_code=status_code)
