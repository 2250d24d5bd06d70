"""Service (stored studies run as jobs, audit, encrypted heat-maps, demo) and the web pages and API."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from iasante.core import jobs
from iasante.core.db import session_scope
from iasante.core.errors import InputDataError
from iasante.core.models import AuditEvent, JobStatus
from iasante.ct import service
from iasante.ct.db import CtStudy


def _zip_series(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for file in sorted(folder.iterdir()):
            zf.write(file, f"series/{file.name}")
    return buffer.getvalue()


def test_study_job_stores_call_heatmaps_and_audit(iasante_home: Path, demo_series: Path) -> None:
    with session_scope() as session:
        study_id = service.create_study(
            session, _zip_series(demo_series), "p001.zip", owner="doc", patient_id="IPP-0042"
        ).id
    job = jobs.get(service.submit(study_id, "doc", in_process=True))
    assert job.status == JobStatus.succeeded, job.error
    with session_scope() as session:
        study = service.get_study(session, study_id, actor="doc")
        assert study.status == "succeeded" and study.n_slices == 6
        assert study.prediction in {"normal", "pathological", "covid"}
        assert study.patient and study.patient.startswith("P-") and "0042" not in study.patient
        assert len(study.result["slice_p_covid"]) == 6 and study.result["n_heatmaps"] == 2
        png = service.read_heatmap(session, study_id, 0, actor="doc")
        assert png.startswith(b"\x89PNG")
        assert service.render_slice_profile(study).startswith(b"\x89PNG")
    stored = (iasante_home / "files" / "ct" / f"{study_id}-0.bin").read_bytes()
    assert not stored.startswith(b"\x89PNG")  # encrypted at rest
    with session_scope() as session:
        actions = {(e.action, e.resource) for e in session.scalars(select(AuditEvent))}
    assert {("create", "ct_study"), ("read", "file"), ("update", "ct_study"), ("read", "ct_study")} <= actions


def test_corrupt_upload_fails_the_study_with_its_name(iasante_home: Path) -> None:
    with session_scope() as session:
        study_id = service.create_study(
            session, b"\x00" * 128 + b"DICM" + b"\x02\x00junk", "broken.dcm", owner="doc"
        ).id
    job = jobs.get(service.submit(study_id, "doc", in_process=True))
    assert job.status == JobStatus.failed and "broken.dcm" in (job.error or "")
    with session_scope() as session:
        study = session.get(CtStudy, study_id)
        assert study is not None and study.status == "failed" and "broken.dcm" in (study.error or "")


def test_upload_that_is_not_what_it_says_is_refused(iasante_home: Path) -> None:
    with session_scope() as session, pytest.raises(InputDataError, match="fake.dcm"):
        service.create_study(session, b"\x00" * 300, "fake.dcm", owner="doc")


def test_load_demo_is_idempotent(iasante_home: Path) -> None:
    first = service.load_demo("setup")
    assert first.startswith("3 demo studies analysed")
    assert service.load_demo("setup").startswith("0 demo studies analysed")
    with session_scope() as session:
        rows = session.scalars(select(CtStudy)).all()
        assert len(rows) == 3 and all(r.status == "succeeded" for r in rows)


def test_status_ready() -> None:
    assert service.system_status()["state"] == "ready"


def test_web_upload_result_heatmap_and_api(client_as, demo_png: Path) -> None:  # type: ignore[no-untyped-def]
    client = client_as("clinician")
    assert client.get("/ct/").status_code == 200
    response = client.post(
        "/ct/studies",
        files={"scan": ("slice.png", demo_png.read_bytes(), "image/png")},
        data={"patient_id": "IPP-7"},
        headers={"X-CSRF-Token": client.csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303
    study_id = int(response.headers["location"].rsplit("/", 1)[1])
    with session_scope() as session:
        job_id = session.get(CtStudy, study_id).job_id  # type: ignore[union-attr]
    assert jobs.wait(job_id, timeout_s=60).status == JobStatus.succeeded
    page = client.get(f"/ct/studies/{study_id}")
    assert page.status_code == 200 and "Grad-CAM" in page.text and f"/ct/studies/{study_id}/heatmap/0.png" in page.text
    heat = client.get(f"/ct/studies/{study_id}/heatmap/0.png")
    assert heat.status_code == 200 and heat.headers["content-type"] == "image/png"
    api = client.get(f"/api/ct/studies/{study_id}").json()
    assert api["status"] == "succeeded" and api["n_slices"] == 1 and "file_id" not in api and "owner" not in api
    assert client.get("/api/ct/status").json()["state"] == "ready"


def test_web_refusals(client_as, demo_png: Path) -> None:  # type: ignore[no-untyped-def]
    biologist = client_as("biologist")
    assert biologist.get("/ct/").status_code == 403
    clinician = client_as("clinician")
    no_csrf = clinician.post("/api/ct/studies", files={"scan": ("s.png", demo_png.read_bytes(), "image/png")})
    assert no_csrf.status_code == 403
    wrong_type = clinician.post(
        "/api/ct/studies", files={"scan": ("s.txt", b"hello", "text/plain")}, headers={"X-CSRF-Token": clinician.csrf}
    )
    assert wrong_type.status_code == 422 and "s.txt" in wrong_type.text
    scientist = client_as("data_scientist")
    assert scientist.get("/api/ct/studies/999").status_code == 404
