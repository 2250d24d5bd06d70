"""Re-take the README screenshots from a running demo instance (`make run`), in French, at tablet size.

    .venv/bin/python scripts/screenshots.py [--url http://127.0.0.1:8000] [--accounts var/demo_accounts.json]

Logs in as the demo admin (who may see every system), opens each system's demo case and writes
docs/screenshots/<name>.png. Uses Debian's Chromium through Playwright, like the browser tests.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

PAGES = {  # file name → path of the demo case that `iasante demo load` stores first
    "home": "/",
    "ct_study": "/ct/studies/1",
    "derm_analysis": "/derm/analyses/1",
    "karyotype_analysis": "/karyotype/analyses/1",
    "lag_case": "/lag/cases/1",
    "drugs_screen": "/drugs/",
    "iot_ward": "/iot/",
    "challenge": "/challenge/",
}
OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def login(page: Page, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(rf"{re.escape(url)}/(\?.*)?$"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--accounts", type=Path, default=Path("var/demo_accounts.json"))
    args = parser.parse_args()
    password = json.loads(args.accounts.read_text())["admin"]
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_context(viewport={"width": 1024, "height": 768}, locale="fr-FR").new_page()
        login(page, args.url, "admin", password)
        for name, path in PAGES.items():
            page.goto(f"{args.url}{path}")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=name == "home")
            print(f"{name}: {path} → {OUT / f'{name}.png'}")
        browser.close()


if __name__ == "__main__":
    main()
