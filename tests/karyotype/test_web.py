"""Web pages and API: upload -> karyogram + ISCN; audited biologist corrections; role checks."""

from __future__ import annotations

from sqlalchemy import select

from iasante.core.db import session_scope
from iasante.core.models import AuditEvent


def _upload(client, path, url="/karyotype/analyses"):  # type: ignore[no-untyped-def]
    with path.open("rb") as handle:
        return client.post(
            url,
            files={"image": (path.name, handle, "image/png")},
            data={"patient_id": "IPP-42"},
            headers={"X-CSRF-Token": client.csrf},
            follow_redirects=False,
        )


def test_upload_result_correction_flow(client_as, demo_metaphase, demo_result) -> None:  # type: ignore[no-untyped-def]
    path, _ = demo_metaphase
    expected = demo_result.iscn
    client = client_as("biologist")
    assert client.get("/karyotype/").status_code == 200
    response = _upload(client, path)
    assert response.status_code == 303
    page_url = response.headers["location"]
    page = client.get(page_url)
    assert page.status_code == 200 and expected in page.text
    png = client.get(page_url + "/karyogram.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")

    analysis_id = int(page_url.rsplit("/", 1)[1])
    before = client.get(f"/api/karyotype/analyses/{analysis_id}").json()
    target = next(c for c in before["chromosomes"] if c["class"] == "1")
    moved = client.post(
        f"/karyotype/analyses/{analysis_id}/corrections",
        data={"index": target["index"], "chromosome": "2", "rotate_deg": "90"},
        headers={"X-CSRF-Token": client.csrf},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    after = client.get(f"/api/karyotype/analyses/{analysis_id}").json()
    changed = after["chromosomes"][target["index"]]
    assert changed["class"] == "2" and after["iscn_auto"] == expected
    assert abs(((changed["angle_deg"] - (target["angle_deg"] - 90)) + 180) % 360 - 180) < 0.01
    assert after["iscn"] != after["iscn_auto"] and ",-1," in after["iscn"] and "+2" in after["iscn"]
    assert "Correction history" in client.get(page_url).text or "Historique" in client.get(page_url).text
    with session_scope() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.resource == "karyotype_analysis", AuditEvent.action == "update")
        ).all()
        assert len(events) == 1 and "class 1->2" in events[0].detail
        assert events[0].patient and events[0].patient.startswith("P-")


def test_api_correction_validation_and_roles(client_as, demo_metaphase) -> None:  # type: ignore[no-untyped-def]
    path, _ = demo_metaphase
    biologist = client_as("biologist")
    created = _upload(biologist, path, "/api/karyotype/analyses").json()
    url = f"/api/karyotype/analyses/{created['id']}/corrections"
    bad = biologist.post(url, json={"index": 0, "chromosome": "25"}, headers={"X-CSRF-Token": biologist.csrf})
    assert bad.status_code == 422 and "25" in bad.text
    clinician = client_as("clinician")
    assert clinician.get(f"/api/karyotype/analyses/{created['id']}").status_code == 200
    denied = clinician.post(url, json={"index": 0, "chromosome": "2"}, headers={"X-CSRF-Token": clinician.csrf})
    assert denied.status_code == 403
    assert biologist.get("/api/karyotype/analyses/99999").status_code == 404


def test_bad_upload_is_refused(client_as) -> None:  # type: ignore[no-untyped-def]
    client = client_as("biologist")
    response = client.post(
        "/api/karyotype/analyses",
        files={"image": ("spread.png", b"garbage", "image/png")},
        headers={"X-CSRF-Token": client.csrf},
    )
    assert response.status_code == 422 and "spread.png" in response.text


def test_demo_loader_is_idempotent(iasante_home) -> None:  # type: ignore[no-untyped-def]
    from iasante.karyotype.service import load_demo

    assert "1 demo metaphase(s) analysed" in load_demo("setup")
    assert "0 demo metaphase(s) analysed, 1 already present" in load_demo("setup")
