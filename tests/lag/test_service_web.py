"""Cases through the job runner, review decisions with audit, reports, exports, roles and the JSON API."""

from __future__ import annotations

from typing import Any

import pytest

from iasante.core import jobs
from tests.lag.part2_fixtures import DEMO_BED, genomics_ready  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("genomics_ready")


@pytest.fixture
def lag_case(iasante_home: Any, client_as: Any) -> tuple[Any, int]:
    """A biologist's client and a case analysed from the demo BED through the web upload and a job."""
    client = client_as("biologist")
    response = client.post("/lag/cases", data={"genome": "GRCh37", "name": "web case", "patient_id": "IPP-42"},
                           files={"variants": ("demo.bed", DEMO_BED.read_bytes(), "text/plain")},
                           headers={"X-CSRF-Token": client.csrf}, follow_redirects=False)
    assert response.status_code == 303, response.text
    case_id = int(response.headers["location"].rsplit("/", 1)[1])
    state = client.get(f"/api/lag/cases/{case_id}").json()
    assert jobs.wait(state["job_id"], timeout_s=120).status == "succeeded"
    return client, case_id


def test_review_flow(lag_case: tuple[Any, int]) -> None:
    client, case_id = lag_case
    case = client.get(f"/api/lag/cases/{case_id}").json()
    assert case["status"] == "done" and case["n_variants"] == 12 and case["patient"].startswith("P-")
    ranks = [v["rank"] for v in case["variants"]]
    scores = [v["rank_score"] for v in case["variants"]]
    assert ranks == sorted(ranks) and scores == sorted(scores, reverse=True)
    page = client.get(f"/lag/cases/{case_id}")
    assert page.status_code == 200 and "TBX1" in page.text and "IPP-42" not in page.text
    fragment = client.get(f"/lag/cases/{case_id}/variants", params={"cls": "benign", "svtype": "DEL"})
    assert fragment.status_code == 200 and "TBX1" not in fragment.text
    svg = client.get(f"/lag/cases/{case_id}/ideogram.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and "<svg" in svg.text

    top = case["variants"][0]
    saved = client.post(f"/lag/variants/{top['id']}/decision",
                        data={"decision_class": "pathogenic", "comment": "de novo, consistent phenotype",
                              "report": "1", "criteria": ["5A", "5G"]}, headers={"X-CSRF-Token": client.csrf})
    assert saved.status_code == 200 and 'data-testid="decided"' in saved.text
    stored = client.get(f"/api/lag/cases/{case_id}").json()["variants"][0]
    assert stored["decision_criteria"] == ["5A", "5G"]
    assert stored["total_points"] == round(top["acmg_points"] + 0.55, 2)
    unknown = client.post(f"/api/lag/variants/{top['id']}/decision",
                          json={"decision_class": "vus", "criteria": ["5Z"]}, headers={"X-CSRF-Token": client.csrf})
    assert unknown.status_code == 422 and "5A" in unknown.text
    bad = client.post(f"/api/lag/variants/{top['id']}/decision", json={"decision_class": "probably"},
                      headers={"X-CSRF-Token": client.csrf})
    assert bad.status_code == 422
    report = client.get(f"/lag/cases/{case_id}/report.html")
    assert report.status_code == 200 and top["iscn"] in report.text and "de novo" in report.text
    pdf = client.get(f"/lag/cases/{case_id}/report.pdf")
    assert pdf.content.startswith(b"%PDF")
    tsv = client.get(f"/lag/cases/{case_id}/export.tsv").text.splitlines()
    assert tsv[0].startswith("chrom\tstart\tend\tsvtype\tacmg_points") and len(tsv) == 13
    vcf = client.get(f"/lag/cases/{case_id}/export.vcf").text
    assert vcf.startswith("##fileformat=VCFv4.2") and "FINAL_CLASS=pathogenic" in vcf
    assert client.get(f"/lag/cases/{case_id}/export.xls").status_code == 422

    signed = client.post(f"/lag/cases/{case_id}/sign", headers={"X-CSRF-Token": client.csrf},
                         follow_redirects=False)
    assert signed.status_code == 303
    locked = client.post(f"/api/lag/variants/{top['id']}/decision", json={"decision_class": "vus"},
                         headers={"X-CSRF-Token": client.csrf})
    assert locked.status_code == 422 and "signed" in locked.text

    from iasante.core.db import session_scope
    from iasante.core.models import AuditEvent

    with session_scope() as session:
        actions = {(e.action, e.resource) for e in session.query(AuditEvent).all()}
    assert {("create", "lag_case"), ("read", "lag_case"), ("update", "lag_variant")} <= actions


def test_roles_and_csrf(lag_case: tuple[Any, int], client_as: Any) -> None:
    client, case_id = lag_case
    variant_id = client.get(f"/api/lag/cases/{case_id}").json()["variants"][0]["id"]
    clinician = client_as("clinician")
    assert clinician.get(f"/lag/cases/{case_id}").status_code == 200
    denied = clinician.post(f"/api/lag/variants/{variant_id}/decision", json={"decision_class": "vus"},
                            headers={"X-CSRF-Token": clinician.csrf})
    assert denied.status_code == 403
    no_csrf = client.post(f"/api/lag/variants/{variant_id}/decision", json={"decision_class": "vus"})
    assert no_csrf.status_code == 403
    assert client_as("challenge_participant").get("/lag/").status_code == 403
    assert client.get("/lag/cases/999999").status_code == 404


def test_bad_upload_is_refused(iasante_home: Any, client_as: Any) -> None:
    client = client_as("biologist")
    response = client.post("/api/lag/cases", data={"genome": "GRCh37"},
                           files={"variants": ("photo.png", b"\x89PNG\r\n", "image/png")},
                           headers={"X-CSRF-Token": client.csrf})
    assert response.status_code == 422 and "photo.png" in response.text
    wrong_build = client.post("/api/lag/cases", data={"genome": "hg18"},
                              files={"variants": ("a.bed", DEMO_BED.read_bytes(), "text/plain")},
                              headers={"X-CSRF-Token": client.csrf})
    assert wrong_build.status_code == 422


def test_status_index_and_demo(iasante_home: Any, client_as: Any) -> None:
    from iasante.lag import service

    assert service.system_status()["state"] == "ready"
    first = service.load_demo("admin")
    assert "12 variants (done)" in first
    assert "already loaded" in service.load_demo("admin")
    page = client_as("biologist").get("/lag/")
    assert page.status_code == 200 and "Demo LAG" in page.text and "prêt" in page.text


def test_calling_route_checks_server_files(iasante_home: Any, client_as: Any, tmp_path: Any) -> None:
    client = client_as("biologist")
    missing = client.post("/lag/calling", data={"reference": str(tmp_path / "ref.fa"), "bam": "/nope.bam",
                                                "csrf_token": client.csrf}, follow_redirects=False)
    assert missing.status_code == 422 and "ref.fa" in missing.text
    one_fastq = client.post("/lag/calling", data={"reference": "/x.fa", "fastq1": "/r1.fq",
                                                  "csrf_token": client.csrf}, follow_redirects=False)
    assert one_fastq.status_code == 422
