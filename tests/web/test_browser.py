"""End-to-end in Debian's headless Chromium: log in, open a system page, see the jobs page."""

from __future__ import annotations

import pytest

from iasante.core.db import SYSTEMS

pytestmark = pytest.mark.browser


def test_login_open_a_system_and_the_jobs_page(live_server, browser_page, live_login) -> None:  # type: ignore[no-untyped-def]
    page = browser_page
    live_login(page, live_server, "admin")
    assert page.locator("article.system").count() == len(SYSTEMS)
    assert page.screenshot(full_page=True)[:8] == b"\x89PNG\r\n\x1a\n"  # renders (README shots: scripts/screenshots.py)
    linked = page.locator("article.system h2 a")
    if linked.count():
        href = linked.first.get_attribute("href")
        linked.first.click()
        page.wait_for_load_state()
        assert page.url.endswith(href or "") or href in page.url
        assert "Erreur" not in page.title()
    page.click("nav >> text=Tâches")
    page.wait_for_selector("[data-testid=jobs-table]")
    assert "/jobs" in page.url


def test_participant_cannot_open_admin(live_server, browser_page, live_login) -> None:  # type: ignore[no-untyped-def]
    page = browser_page
    live_login(page, live_server, "challenge_participant")
    response = page.goto(f"{live_server.url}/admin")
    assert response is not None and response.status == 403


def test_api_docs_render_in_the_browser(live_server, browser_page, live_login) -> None:  # type: ignore[no-untyped-def]
    page = browser_page
    live_login(page, live_server, "data_scientist")
    page.goto(f"{live_server.url}/api/docs")
    page.get_by_text("/api/auth/login").first.wait_for(timeout=30_000)
