"""End-to-end in headless Chromium: a clinician opens the ward, a patient's live page sees a new reading
arrive without reloading (HTMX polling) — posted by the device itself with its own token — and acknowledges
an alert."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime

import pytest

pytestmark = pytest.mark.browser


def test_clinician_follows_a_patient_live_and_acknowledges(  # type: ignore[no-untyped-def]
    live_server, browser_page, live_login
) -> None:
    done = live_server.cli("iot", "patient-add", "IPP-BROWSER", "--label", "Browser bed", "--ward", "E2E")
    assert done.returncode == 0, done.stderr
    pseudo = done.stdout.strip()
    vitals = {"resp_rate": 26, "spo2_pct": 90, "systolic_bp": 88, "hr_bpm": 135, "temp_c": 39.5}
    bundle = live_server.home / "obs.json"

    def send(ts: str, values: dict[str, float]) -> None:
        entries = [
            {
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
                    "effectiveDateTime": ts,
                    "valueQuantity": {"value": v},
                }
            }
            for code, v in zip(_LOINC_ORDER(values), values.values(), strict=True)
        ]
        bundle.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}))
        result = live_server.cli("iot", "import", str(bundle), "--format", "fhir", "--device", "browser-dev")
        assert result.returncode == 0, result.stderr

    registered = live_server.cli("iot", "device-add", "browser-dev", "--patient", pseudo)
    assert registered.returncode == 0, registered.stderr
    token = registered.stdout.split()[0]
    send(datetime(2020, 4, 1, 8, tzinfo=UTC).isoformat(), {"hr_bpm": 70})

    page = browser_page
    live_login(page, live_server, "clinician")
    page.goto(f"{live_server.url}/iot/")
    page.click("text=Browser bed")
    page.locator("img.figure").wait_for(timeout=30000)
    plot = page.request.get(f"{live_server.url}/iot/patients/{pseudo}/plot.svg")  # same cookies as the page
    assert plot.ok and plot.headers["content-type"].startswith("image/svg+xml")
    assert page.locator("button[data-testid^=ack-]").count() == 0

    posted = urllib.request.urlopen(  # the device posts over HTTP with its own token while the page is open
        urllib.request.Request(
            f"{live_server.url}/api/iot/devices/browser-dev/readings",
            data=json.dumps({"ts": datetime(2020, 4, 1, 9, tzinfo=UTC).isoformat(), "values": vitals}).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            method="POST",
        ),
        timeout=30,
    )
    assert posted.status == 201
    ack = page.locator("button[data-testid^=ack-]")
    ack.first.wait_for(timeout=30000)  # the live part refreshes every 10 s
    assert "NEWS2 14 (high)" in page.inner_text("body")
    ack.first.click()
    page.wait_for_selector("td .badge.ok", timeout=15000)
    assert live_server.users["clinician"] in page.inner_text("[data-testid=alerts]")


def _LOINC_ORDER(values: dict[str, float]) -> list[str]:  # noqa: N802 - reads like a constant lookup
    codes = {
        "hr_bpm": "8867-4",
        "resp_rate": "9279-1",
        "spo2_pct": "59408-5",
        "systolic_bp": "8480-6",
        "temp_c": "8310-5",
    }
    return [codes[name] for name in values]
