"""End-to-end in headless Chromium: a clinician uploads a demo image and reads the result page."""

from __future__ import annotations

import re

import pytest

from iasante.derm.service import DEMO_DIR

pytestmark = pytest.mark.browser


def test_clinician_uploads_an_image_and_sees_probability_abcd_and_figure(  # type: ignore[no-untyped-def]
        live_server, browser_page, live_login) -> None:
    page = browser_page
    live_login(page, live_server, "clinician")
    page.goto(f"{live_server.url}/derm/")
    page.set_input_files("input[name=image]", str(DEMO_DIR / "ISIC_0032019.jpg"))
    page.click("form[action='/derm/analyses'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/derm/analyses/\d+$"))
    text = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
    assert "ISIC_0032019.jpg" in text and "%" in text and "ABCD" in text
    image = page.locator("img[src$='figure.png']")
    image.wait_for()
    page.wait_for_function("document.querySelector(\"img[src$='figure.png']\").naturalWidth > 0", timeout=60000)
