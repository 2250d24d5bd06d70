"""End to end in Chromium: a participant uploads predictions and sees the leaderboard update."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from .helpers import binary_truth, noisy_scores, scores_csv, spec, truth_csv


@pytest.mark.browser
def test_participant_submits_and_sees_leaderboard(
    live_server,
    browser_page,
    live_login,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    slug = f"e2e-{uuid.uuid4().hex[:8]}"
    ids, y = binary_truth()
    (tmp_path / "spec.json").write_text(json.dumps(spec(slug)))
    (tmp_path / "truth.csv").write_bytes(truth_csv(ids, y))
    (tmp_path / "preds.csv").write_bytes(scores_csv(ids, noisy_scores(y, 0.3, 0)))
    created = live_server.cli(
        "challenge", "create", "--spec", str(tmp_path / "spec.json"), "--truth", str(tmp_path / "truth.csv")
    )
    assert created.returncode == 0, created.stderr
    page = browser_page
    live_login(page, live_server, "challenge_participant")
    page.goto(f"{live_server.url}/challenge")
    page.click(f"a[href='/challenge/{slug}']")
    page.set_input_files("input[name=file]", str(tmp_path / "preds.csv"))
    page.fill("input[name=label]", "my model")
    page.click("[data-testid=submit]")
    page.wait_for_selector("tr[data-status=scored]", timeout=60_000)
    row = page.locator("#leaderboard section[data-metric=auc] tbody tr").first
    row.wait_for(timeout=30_000)
    assert f"{live_server.users['challenge_participant']} — my model" in row.inner_text()
