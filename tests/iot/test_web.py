"""Web pages and JSON API: roles, CSRF, ward list sorted by risk, live patient page, plot, audited ack."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from iasante.core.auth import Principal
from iasante.core.db import session_scope
from iasante.core.models import AuditEvent
from iasante.iot import service

T0 = datetime(2020, 4, 1, 8, 0, tzinfo=UTC)
ADMIN = Principal("setup", "admin")


def _setup_two_patients() -> tuple[str, str]:
    """A stable patient and a deteriorating one, each with a registered device."""
    with session_scope() as session:
        calm = service.add_patient(session, ADMIN, "IPP-CALM", label="Calm", ward="A")
        sick = service.add_patient(session, ADMIN, "IPP-SICK", label="Sick", ward="A")
        service.add_device(session, ADMIN, "dev-calm", calm, update_broker=False)
        service.add_device(session, ADMIN, "dev-sick", sick, update_broker=False)
        return calm.pseudo, sick.pseudo


def _vitals(rr: float, spo2: float, hr: float, ts: datetime = T0) -> bytes:
    return json.dumps(
        {
            "ts": ts.isoformat(),
            "values": {
                "resp_rate": rr,
                "spo2_pct": spo2,
                "systolic_bp": 120,
                "hr_bpm": hr,
                "temp_c": 37.0,
                "steps": 100,
            },
        }
    ).encode()


def test_api_ingest_ward_page_patient_page_and_ack(client_as: Callable[..., Any]) -> None:
    calm, sick = _setup_two_patients()
    nurse = client_as("clinician")
    headers = {"X-CSRF-Token": nurse.csrf, "Content-Type": "application/json"}
    assert (
        nurse.post("/api/iot/devices/dev-calm/readings", content=_vitals(16, 97, 70), headers=headers).status_code
        == 201
    )
    assert (
        nurse.post("/api/iot/devices/dev-sick/readings", content=_vitals(26, 90, 135), headers=headers).status_code
        == 201
    )
    again = nurse.post("/api/iot/devices/dev-sick/readings", content=_vitals(26, 90, 135), headers=headers)
    assert again.status_code == 200 and again.json()["duplicates"] == 6
    bad = nurse.post("/api/iot/devices/dev-sick/readings", content=b'{"ts": "x"}', headers=headers)
    assert bad.status_code == 422 and "ISO 8601" in bad.json()["detail"]

    ward = nurse.get("/api/iot/ward").json()
    assert [row["pseudo"] for row in ward] == [sick, calm]  # highest risk first
    page = nurse.get("/iot/")
    assert page.status_code == 200 and page.text.index("Sick") < page.text.index("Calm")
    assert 'hx-get="/iot/ward-rows"' in page.text
    assert nurse.get("/iot/ward-rows").status_code == 200

    patient_page = nurse.get(f"/iot/patients/{sick}")
    assert patient_page.status_code == 200 and f"/iot/patients/{sick}/live" in patient_page.text
    assert "Constantes vitales" in patient_page.text  # French by default (locale/fr.po)
    plot = nurse.get(f"/iot/patients/{sick}/plot.svg")
    assert plot.status_code == 200 and plot.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in plot.content[:500]

    alerts = nurse.get(f"/api/iot/patients/{sick}/alerts").json()
    assert alerts and alerts[0]["kind"] == "news2" and alerts[0]["acknowledged_by"] is None
    no_csrf = nurse.post(f"/iot/alerts/{alerts[0]['id']}/ack")
    assert no_csrf.status_code == 403
    acked = nurse.post(f"/iot/alerts/{alerts[0]['id']}/ack", headers={"X-CSRF-Token": nurse.csrf, "HX-Request": "true"})
    assert acked.status_code == 200 and nurse.username in acked.text
    with session_scope() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.resource == "iot_alert")).all()
        assert [(e.actor, e.action, e.patient) for e in events] == [(nurse.username, "update", sick)]
    dead_page = nurse.get("/iot/dead-letters")
    assert dead_page.status_code == 200 and "ISO 8601" in dead_page.text


def test_roles_and_news2_api(client_as: Callable[..., Any]) -> None:
    _calm, sick = _setup_two_patients()
    scientist = client_as("data_scientist")
    assert scientist.get("/iot/").status_code == 200
    body = {"resp_rate": 21, "spo2": 95, "systolic_bp": 115, "pulse": 95, "temperature": 38.5}
    scored = scientist.post("/api/iot/news2", json=body, headers={"X-CSRF-Token": scientist.csrf})
    assert scored.status_code == 200 and scored.json()["news2"] == 5 and scored.json()["risk"] == "medium"
    invalid = scientist.post(
        "/api/iot/news2", json={**body, "consciousness": "Z"}, headers={"X-CSRF-Token": scientist.csrf}
    )
    assert invalid.status_code == 422
    with session_scope() as session:
        service.ingest_payload(session, ADMIN, "dev-sick", _vitals(26, 90, 135))
        alert_id = service.patient_view(session, ADMIN, sick)["alerts"][0].id
    # only clinicians acknowledge alerts
    assert (
        scientist.post(f"/api/iot/alerts/{alert_id}/ack", headers={"X-CSRF-Token": scientist.csrf}).status_code == 403
    )
    biologist = client_as("biologist")
    assert biologist.get("/iot/").status_code == 403
    assert biologist.get("/api/iot/ward").status_code == 403
    assert client_as("clinician").get("/iot/patients/P-doesnotexist").status_code == 404


def test_live_fragment_shows_new_readings(client_as: Callable[..., Any]) -> None:
    _calm, sick = _setup_two_patients()
    nurse = client_as("clinician")
    nurse.get("/lang/en")
    first = nurse.get(f"/iot/patients/{sick}/live").text
    assert "No complete vital set yet." in first
    with session_scope() as session:
        service.ingest_payload(session, ADMIN, "dev-sick", _vitals(20, 96, 91, T0 + timedelta(minutes=5)))
    second = nurse.get(f"/iot/patients/{sick}/live").text
    assert "No complete vital set yet." not in second and "2020-04-01 08:05" in second


def test_devices_post_with_their_own_token_only_to_their_own_id(app_instance: Any) -> None:
    from fastapi.testclient import TestClient

    with session_scope() as session:
        calm = service.add_patient(session, ADMIN, "IPP-TOK-A")
        other = service.add_patient(session, ADMIN, "IPP-TOK-B")
        token = service.add_device(session, ADMIN, "dev-tok-a", calm, update_broker=False)
        service.add_device(session, ADMIN, "dev-tok-b", other, update_broker=False)
    with TestClient(app_instance) as device:  # no session cookie, no CSRF token: the device's own credentials
        body = _vitals(16, 97, 70)
        bearer = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        assert device.post("/api/iot/devices/dev-tok-a/readings", content=body, headers=bearer).status_code == 201
        assert device.post("/api/iot/devices/dev-tok-b/readings", content=body, headers=bearer).status_code == 403
        wrong = {**bearer, "Authorization": "Bearer not-the-token"}
        assert device.post("/api/iot/devices/dev-tok-a/readings", content=body, headers=wrong).status_code == 403
        unknown = device.post("/api/iot/devices/dev-none/readings", content=body, headers=bearer)
        assert unknown.status_code == 403
        anonymous = device.post("/api/iot/devices/dev-tok-a/readings", content=body)
        assert anonymous.status_code in (401, 303, 307)
    with session_scope() as session:
        denied = session.scalars(select(AuditEvent).where(AuditEvent.actor.like("device:%"))).all()
        actors = {(e.actor, e.action) for e in denied}
    assert ("device:dev-tok-a", "create") in actors and ("device:dev-tok-b", "denied") in actors
