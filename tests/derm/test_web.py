"""Web pages and JSON API: upload -> result with probability, figure and ABCD; roles and CSRF enforced."""

from __future__ import annotations

from .helpers import encode, synthetic_lesion


def test_upload_page_result_and_figure(client_as) -> None:  # type: ignore[no-untyped-def]
    client = client_as("clinician")
    assert client.get("/derm/").status_code == 200
    response = client.post("/derm/analyses", files={"image": ("lesion.png", encode(synthetic_lesion()), "image/png")},
                           data={"csrf_token": client.csrf, "patient_id": "IPP-1"}, follow_redirects=False)
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    for text in ("lesion.png", "figure.png", "85 %", "Asym"):
        assert text in page.text
    assert "{}" not in page.text
    figure = client.get(response.headers["location"] + "/figure.png")
    assert figure.status_code == 200 and figure.headers["content-type"] == "image/png"
    assert "lesion.png" in client.get("/derm/").text


def test_api_upload_and_get(client_as) -> None:  # type: ignore[no-untyped-def]
    client = client_as("data_scientist")
    created = client.post("/api/derm/analyses", files={"image": ("x.jpg", encode(synthetic_lesion(), "JPEG"))},
                          headers={"X-CSRF-Token": client.csrf})
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["prediction"] in {"melanoma", "benign"} and "file_id" not in body
    assert client.get(f"/api/derm/analyses/{body['id']}").json()["p_melanoma"] == body["p_melanoma"]
    assert client.get("/api/derm/analyses/9999").status_code == 404
    assert client.get("/api/derm/status").json()["state"] == "ready"


def test_bad_upload_is_422_and_roles_and_csrf_are_enforced(client_as) -> None:  # type: ignore[no-untyped-def]
    client = client_as("clinician")
    bad = client.post("/api/derm/analyses", files={"image": ("scan.jpg", b"not an image")},
                      headers={"X-CSRF-Token": client.csrf})
    assert bad.status_code == 422 and "scan.jpg" in bad.text
    no_csrf = client.post("/api/derm/analyses", files={"image": ("x.png", encode(synthetic_lesion()))})
    assert no_csrf.status_code == 403
    assert client_as("biologist").get("/derm/").status_code == 403
