"""End-to-end in headless Chromium: predictions with 2-D structures, and the 3-D docking viewer."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.browser


def _poll(page, expression: str, timeout_s: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    """Wait until ``expression`` is true (page.evaluate: wait_for_function's eval is refused by the CSP)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout_s} s: {expression}"
        time.sleep(0.2)


def test_clinician_predicts_and_views_docked_pose(live_server, browser_page, live_login) -> None:  # type: ignore[no-untyped-def]
    subprocess.run([sys.executable, "-c", "from iasante.drugs.service import load_demo; load_demo('e2e')"],
                   env=live_server.env, check=True, capture_output=True, timeout=120)
    page = browser_page
    live_login(page, live_server, "clinician")
    page.goto(f"{live_server.url}/drugs/")
    page.fill("textarea[name=smiles]", "O=C(Nc1cncc2ccccc12)[C@@H]1CCOc2ccc(Cl)cc21\nC1CC(")
    page.click("form[action='/drugs/predict'] button")
    table = page.locator("[data-testid=predictions]")
    table.wait_for()
    assert "invalid SMILES" in table.inner_text()
    _poll(page, "[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    page.goto(f"{live_server.url}/drugs/")
    page.click("a[href^='/drugs/dockings/']")
    _poll(page, "typeof $3Dmol !== 'undefined'")
    page.locator("#viewer canvas").wait_for(timeout=30000)
    assert "-8." in page.inner_text("[data-testid=docking-scores]")
