"""End-to-end in headless Chromium (tablet viewport): a biologist uploads a case, reviews and decides."""

from __future__ import annotations

import re

import pytest

from tests.lag.part2_fixtures import DEMO_BED, genomics_ready  # noqa: F401 - fixture

pytestmark = pytest.mark.browser


@pytest.mark.usefixtures("genomics_ready")
def test_biologist_reviews_a_case_on_a_tablet(  # type: ignore[no-untyped-def]
        live_server, browser_page, live_login) -> None:
    page = browser_page
    live_login(page, live_server, "biologist")
    page.goto(f"{live_server.url}/lag/")
    page.set_input_files("input[name=variants]", str(DEMO_BED))
    page.fill("input[name=patient_id]", "IPP-E2E")
    page.click("form[action='/lag/cases'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/lag/cases/\d+$"))
    table = page.locator("[data-testid=variant-table]")
    table.wait_for(timeout=120_000)  # the page polls until the analysis job is done
    assert "22q11" in table.inner_text() and "IPP-E2E" not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024 + 2  # no sideways page scroll
    evidence = page.locator("details[data-testid=evidence]").first
    evidence.locator("summary").click()
    assert "2A" in evidence.inner_text()
    first = page.locator("form[hx-post*='/decision']").first
    first.locator("select[name=decision_class]").select_option("pathogenic")
    first.locator("input[name=report]").check()
    first.locator("input[name=comment]").fill("confirmed")
    first.locator("details summary").click()
    first.locator("input[name=criteria][value='5A']").check()
    first.locator("button[type=submit]").click()
    page.locator("[data-testid=decided]").first.wait_for(timeout=30_000)
    svg = page.locator("img[src$='ideogram.svg']")
    page.wait_for_function("document.querySelector(\"img[src$='ideogram.svg']\").naturalWidth > 0",
                           timeout=60_000)
    assert svg.count() == 1
