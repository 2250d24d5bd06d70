"""Shared pages: home lists the seven systems, languages, jobs and admin pages, OpenAPI."""

from __future__ import annotations

from iasante.core import jobs


def test_home_lists_the_seven_systems_in_french_by_default(client_as) -> None:  # type: ignore[no-untyped-def]
    page = client_as("clinician").get("/")
    assert page.status_code == 200 and 'lang="fr"' in page.text and "Outils d'IA clinique" in page.text
    for name in ("ScanCovid-IA", "CoIoT-19", "COVIDrug-19", "Karyotype AI", "LAG", "Melanoma", "Challenge"):
        assert name in page.text


def test_language_switch_to_english(client_as) -> None:  # type: ignore[no-untyped-def]
    client = client_as("clinician")
    client.get("/lang/en")
    page = client.get("/")
    assert 'lang="en"' in page.text and "Clinical AI tools" in page.text


def test_jobs_page_and_api_show_progress(client_as) -> None:  # type: ignore[no-untyped-def]
    scientist = client_as("data_scientist")
    job = jobs.run_now("test.count", "tests.core.test_storage:count_to", {"n": 2}, owner=scientist.username)
    assert str(job.id) in scientist.get("/jobs").text
    api = scientist.get(f"/api/jobs/{job.id}").json()
    assert api["status"] == "succeeded" and api["result"] == {"counted": 2}
    other = client_as("clinician")
    assert other.get(f"/api/jobs/{job.id}").status_code == 403


def test_unknown_job_is_404(client_as) -> None:  # type: ignore[no-untyped-def]
    assert client_as("admin").get("/api/jobs/999999").status_code == 404


def test_admin_page_shows_users_and_audit(client_as) -> None:  # type: ignore[no-untyped-def]
    page = client_as("admin").get("/admin")
    assert page.status_code == 200 and "Journal d'audit" in page.text


def test_openapi_documents_the_api(client_as) -> None:  # type: ignore[no-untyped-def]
    spec = client_as("clinician").get("/api/openapi.json").json()
    for path in ("/api/auth/login", "/api/jobs", "/api/admin/users", "/api/admin/audit", "/api/systems"):
        assert path in spec["paths"]


def test_unauthenticated_api_is_401_and_page_redirects(app_instance) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app_instance) as client:
        assert client.get("/api/jobs").status_code == 401
        response = client.get("/jobs", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_api_docs_use_vendored_swagger_without_cdn(client_as) -> None:  # type: ignore[no-untyped-def]
    page = client_as("clinician").get("/api/docs")
    assert page.status_code == 200 and "/static/vendor/swagger/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower() and "<script>" not in page.text
