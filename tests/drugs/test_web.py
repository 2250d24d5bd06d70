"""Service, jobs, storage and web routes of drugs (pages, JSON API, roles, CSRF, viewer assets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from iasante.core import jobs
from iasante.core.errors import InputDataError
from iasante.drugs import service

HIT = "O=C(Nc1cncc2ccccc12)[C@@H]1CCOc2ccc(Cl)cc21"


def test_status_and_demo_idempotent(db_home: str) -> None:
    """On SQLite and on a real PostgreSQL (marked ``postgres``)."""
    assert service.system_status()["state"] == "ready"
    first = service.load_demo("setup")
    assert "loaded" in first and "already" in service.load_demo("setup")
    screens, dockings = service.list_recent()
    assert len(screens) == 1 and screens[0].rows and len(dockings) == 1 and dockings[0].sdf


def test_screen_and_docking_jobs_store_results(iasante_home: Path, tmp_path: Path) -> None:
    lib = tmp_path / "lib.csv"
    lib.write_text(f"id,name,smiles\n1,hit,{HIT}\n2,aspirin,CC(=O)Oc1ccccc1C(=O)O\n")
    screen_id = service.create_screen("tester", str(lib))
    job = jobs.run_now("drugs.screen", "iasante.drugs.service:screen_job", {"screen_id": screen_id})
    assert job.status == "succeeded", job.error
    row = service.get_screen(screen_id, "tester")
    assert row.status == "done" and [r["name"] for r in row.rows] == ["hit", "aspirin"]
    docking_id = service.create_docking("tester", "O=C(Nc1cccnc1)c1ccccc1", "pyridinyl benzamide")
    job = jobs.run_now("drugs.dock", "iasante.drugs.service:docking_job",
                       {"docking_id": docking_id, "exhaustiveness": 1})
    assert job.status == "succeeded", job.error
    docked = service.get_docking(docking_id, "tester")
    assert docked.status == "done" and docked.best_score_kcal < -3 and "$$$$" in docked.sdf
    with pytest.raises(InputDataError):
        service.create_docking("tester", "C1CC(")


def test_pages_render_for_clinician(client_as) -> None:  # type: ignore[no-untyped-def]
    service.load_demo("setup")
    client = client_as("clinician")
    index = client.get("/drugs/")
    assert index.status_code == 200 and "COVIDrug-19" in index.text
    screens, dockings = service.list_recent()
    page = client.get(f"/drugs/screens/{screens[0].id}")
    assert page.status_code == 200 and "/drugs/svg?smiles=" in page.text
    viewer = client.get(f"/drugs/dockings/{dockings[0].id}")
    assert viewer.status_code == 200 and "3Dmol-min.js" in viewer.text and 'id="viewer"' in viewer.text
    sdf = client.get(f"/drugs/dockings/{dockings[0].id}/poses.sdf")
    assert sdf.status_code == 200 and "vina_score_kcal" in sdf.text
    assert client.get("/drugs/receptor.pdb").text.startswith("ATOM")
    js = client.get("/drugs/static/3Dmol-min.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert client.get("/drugs/static/secret.txt").status_code == 404
    assert client.get("/drugs/dockings/999999").status_code == 404


def test_predict_page_and_api(client_as) -> None:  # type: ignore[no-untyped-def]
    client = client_as("data_scientist")
    page = client.post("/drugs/predict", data={"smiles": f"{HIT}\nC1CC(\n"},
                       headers={"X-CSRF-Token": client.csrf})
    assert page.status_code == 200 and "invalid SMILES" in page.text and "pIC50" in page.text
    api = client.post("/api/drugs/predict", json={"smiles": [HIT, "C1CC("]},
                      headers={"X-CSRF-Token": client.csrf})
    assert api.status_code == 200
    good, bad = api.json()
    assert good["in_domain"] is True and good["pIC50_low"] <= good["pIC50_pred"] <= good["pIC50_high"]
    assert "invalid SMILES" in bad["error"]
    too_many = client.post("/api/drugs/predict", json={"smiles": ["C"] * 501},
                           headers={"X-CSRF-Token": client.csrf})
    assert too_many.status_code == 422
    svg = client.get("/drugs/svg", params={"smiles": HIT})
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert client.get("/drugs/svg", params={"smiles": "C1CC("}).status_code == 422


def test_roles_and_csrf(client_as) -> None:  # type: ignore[no-untyped-def]
    outsider = client_as("challenge_participant")
    assert outsider.get("/drugs/").status_code == 403
    assert outsider.get("/api/drugs/status").status_code == 403
    clinician = client_as("clinician")
    assert clinician.post("/api/drugs/predict", json={"smiles": [HIT]}).status_code == 403  # no CSRF token
    bad = clinician.post("/api/drugs/dockings", json={"smiles": "C1CC("}, headers={"X-CSRF-Token": clinician.csrf})
    assert bad.status_code == 422


def test_leads_page(client_as) -> None:  # type: ignore[no-untyped-def]
    client = client_as("biologist")
    page = client.get("/drugs/leads", params={"hit": HIT})
    assert page.status_code == 200 and 'data-testid="analogues"' in page.text and "aromatic" in page.text
