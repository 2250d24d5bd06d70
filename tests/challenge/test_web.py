"""Web pages and JSON API: roles, CSRF, upload, live state, leaderboard, participant files."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from iasante.challenge import service
from iasante.challenge.schemas import parse_spec
from iasante.core.auth import Principal

from .helpers import binary_truth, noisy_scores, scores_csv, spec, truth_csv


@pytest.fixture
def toy(iasante_home) -> tuple[list[str], np.ndarray]:  # type: ignore[no-untyped-def]
    ids, y = binary_truth()
    service.create_challenge(
        parse_spec(spec(), "spec"),
        truth_csv(ids, y),
        Principal("org", "admin"),
        train_csv=b"id,file,label\nt1,a.png,1\n",
        test_ids_csv=b"id\ncase000\n",
    )
    return ids, y


def _wait_scored(client, submission_id: int) -> dict:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body = client.get(f"/api/challenge/toy/submissions/{submission_id}").json()
        if body["status"] not in ("queued", "scoring"):
            return body  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError("submission stuck")


def test_participant_submits_through_api_and_sees_leaderboard(client_as, toy) -> None:  # type: ignore[no-untyped-def]
    ids, y = toy
    client = client_as("challenge_participant")
    files = {"file": ("preds.csv", scores_csv(ids, noisy_scores(y, 0.3, 0)), "text/csv")}
    response = client.post(
        "/api/challenge/toy/submissions", files=files, data={"label": "v1"}, headers={"X-CSRF-Token": client.csrf}
    )
    assert response.status_code == 202, response.text
    done = _wait_scored(client, response.json()["id"])
    assert done["status"] == "scored" and set(done["scores"]) == {"auc", "pauc", "balanced_accuracy"}
    board = client.get("/api/challenge/toy/leaderboard").json()
    row = board["boards"][0]["rows"][0]
    assert row["name"] == f"{client.username} — v1" and row["ci_low"] <= row["value"] <= row["ci_high"]
    assert row["qi"] is None and board["boards"][0]["qi_reference"].startswith("none yet")  # one row only
    assert "truth" not in json.dumps(client.get("/api/challenge/toy").json())


def test_bad_upload_is_422_with_reason_and_csrf_is_required(client_as, toy) -> None:  # type: ignore[no-untyped-def]
    client = client_as("challenge_participant")
    files = {"file": ("bad.csv", b"id,score\ncase000,2\n", "text/csv")}
    response = client.post("/api/challenge/toy/submissions", files=files, headers={"X-CSRF-Token": client.csrf})
    assert response.status_code == 422 and "bad.csv" in response.json()["detail"]
    assert client.post("/api/challenge/toy/submissions", files=files).status_code == 403
    listed = client.get("/api/challenge/toy/submissions").json()
    assert listed[0]["status"] == "rejected" and listed[0]["counts_against_quota"] is False
    assert client.get("/api/challenge/nope").status_code == 404


def test_pages_render_and_form_submission_redirects(client_as, toy) -> None:  # type: ignore[no-untyped-def]
    ids, y = toy
    client = client_as("challenge_participant")
    assert "Toy challenge" in client.get("/challenge").text
    page = client.get("/challenge/toy")
    assert page.status_code == 200 and 'name="file"' in page.text
    files = {"file": ("p.csv", scores_csv(ids, noisy_scores(y, 0.2, 1)), "text/csv")}
    response = client.post(
        "/challenge/toy/submit", files=files, data={"csrf_token": client.csrf}, follow_redirects=False
    )
    assert response.status_code == 303
    submission_id = int(response.headers["location"].split("submitted=")[1].split("#")[0])
    _wait_scored(client, submission_id)
    fragment = client.get(f"/challenge/toy/submissions/{submission_id}", headers={"HX-Request": "true"})
    assert 'data-status="scored"' in fragment.text and fragment.headers["HX-Trigger"] == "leaderboard-refresh"
    plot = client.get("/challenge/toy/board.svg?metric=auc")
    assert plot.status_code == 200 and plot.headers["content-type"].startswith("image/svg") and b"<svg" in plot.content
    assert client.get("/challenge/toy/board.svg?metric=auc&phase=final").status_code == 404  # private, hidden
    board = client.get("/challenge/toy/leaderboard")
    assert "QI" in board.text and client.username in board.text
    download = client.get("/challenge/toy/files/train")
    assert download.status_code == 200 and download.content.startswith(b"id,file,label")


def test_organiser_only_routes(client_as, toy) -> None:  # type: ignore[no-untyped-def]
    participant = client_as("challenge_participant")
    assert participant.get("/challenge/new").status_code == 403
    reveal = participant.post("/api/challenge/toy/phases/final/reveal", headers={"X-CSRF-Token": participant.csrf})
    assert reveal.status_code == 403
    organiser = client_as("data_scientist")
    assert 'name="truth"' in organiser.get("/challenge/new").text
    ids, y = binary_truth()
    response = organiser.post(
        "/challenge/new",
        data={
            "csrf_token": organiser.csrf,
            "slug": "web-made",
            "title": "Made on the web",
            "task": "binary",
            "primary_metric": "auc",
            "secondary_metrics": "f1, kappa",
        },
        files={"truth": ("truth.csv", truth_csv(ids, y), "text/csv")},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/challenge/web-made"
    assert organiser.get("/api/challenge/web-made").json()["secondary_metrics"] == ["f1", "kappa"]
    via_api = organiser.post(
        "/api/challenge",
        files={
            "spec": ("spec.json", json.dumps(spec("api-made")).encode(), "application/json"),
            "truth": ("truth.csv", truth_csv(ids, y), "text/csv"),
        },
        headers={"X-CSRF-Token": organiser.csrf},
    )
    assert via_api.status_code == 201 and via_api.json()["n_test"] == len(ids)
    bad_spec = organiser.post(
        "/api/challenge",
        files={"spec": ("spec.json", b"{not json", "application/json"), "truth": ("t.csv", b"id,label\n", "text/csv")},
        headers={"X-CSRF-Token": organiser.csrf},
    )
    assert bad_spec.status_code == 422 and "spec" in bad_spec.json()["detail"]
    revealed = organiser.post("/api/challenge/toy/phases/final/reveal", headers={"X-CSRF-Token": organiser.csrf})
    assert revealed.status_code == 200 and revealed.json()["visible"] is True
