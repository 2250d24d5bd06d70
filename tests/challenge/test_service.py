"""Service: encrypted truth, validation before scoring, quotas, jobs that never stay stuck, boards, teams."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from iasante.challenge import service
from iasante.challenge.db import Challenge, Submission
from iasante.challenge.schemas import parse_spec
from iasante.challenge.submissions import NOT_STARTED_AFTER
from iasante.challenge.train import DEMO_DIR
from iasante.core import jobs
from iasante.core.auth import Principal
from iasante.core.db import session_scope
from iasante.core.errors import AccessDeniedError, InputDataError
from iasante.core.models import Job, JobStatus

from .helpers import binary_truth, noisy_scores, scores_csv, spec, truth_csv

ORGANISER = Principal("org", "data_scientist")
ALICE = Principal("alice", "challenge_participant")
BOB = Principal("bob", "challenge_participant")


@pytest.fixture
def toy(iasante_home: Path) -> tuple[list[str], np.ndarray]:
    ids, y = binary_truth()
    service.create_challenge(parse_spec(spec(), "spec"), truth_csv(ids, y), ORGANISER, train_csv=b"id,x\n1,2\n")
    return ids, y


def _submit(who: Principal, ids: list[str], scores: np.ndarray, label: str = "", **kw: object):  # type: ignore[no-untyped-def]
    return service.submit("toy", who, scores_csv(ids, scores), "preds.csv", label, run_inline=True, **kw)


def test_truth_is_encrypted_and_never_public(toy: tuple[list[str], np.ndarray]) -> None:
    ids, _ = toy
    with session_scope() as session:
        blob = session.scalar(select(Challenge.truth_blob))
    assert ids[0].encode() not in blob and b"label" not in blob
    public = service.get_challenge("toy").model_dump_json()
    assert "truth" not in public and ids[0] not in public
    with pytest.raises(AccessDeniedError):
        service.create_challenge(parse_spec(spec("other"), "spec"), truth_csv(*binary_truth()), ALICE)
    with pytest.raises(InputDataError, match="already exists"):
        service.create_challenge(parse_spec(spec(), "spec"), truth_csv(*binary_truth()), ORGANISER)
    with pytest.raises(InputDataError, match="task"):
        parse_spec({**spec(), "task": "clustering"}, "spec.yaml")
    with pytest.raises(InputDataError, match="does not apply"):
        parse_spec({**spec(), "primary_metric": "mae"}, "spec.yaml")


def test_rejected_files_explain_and_cost_no_quota(toy: tuple[list[str], np.ndarray]) -> None:
    ids, y = toy
    for _ in range(4):
        bad = service.submit("toy", ALICE, b"id,score\nx,2\n", "bad.csv")
        assert bad.status == "rejected" and not bad.counts_against_quota
        assert "40 id(s) of the test set are missing" in (bad.error or "")
    for seed in range(3):  # quota is 3 per day
        assert _submit(ALICE, ids, noisy_scores(y, 0.3, seed)).status == "scored"
    with pytest.raises(AccessDeniedError, match="daily quota"):
        _submit(ALICE, ids, noisy_scores(y, 0.3, 9))
    assert len(service.list_submissions("toy", ALICE)) == 7
    assert service.list_submissions("toy", BOB) == []


def test_scoring_runs_as_a_dask_job(toy: tuple[list[str], np.ndarray]) -> None:
    ids, y = toy
    queued = service.submit("toy", ALICE, scores_csv(ids, noisy_scores(y, 0.2, 0)), "p.csv", "dask")
    assert queued.status in ("queued", "scoring", "scored")
    with session_scope() as session:
        job_id = session.get_one(Submission, queued.id).job_id
    assert job_id is not None
    job = jobs.wait(job_id, timeout_s=60)
    assert job.status == JobStatus.succeeded and job.timeout_s and job.max_attempts == 2
    done = service.get_submission(queued.id, ALICE)
    assert done.status == "scored" and done.scores and 0.5 < (done.scores["auc"] or 0) <= 1


def test_no_submission_stays_stuck(toy: tuple[list[str], np.ndarray]) -> None:
    ids, y = toy
    sub = _submit(ALICE, ids, noisy_scores(y, 0.3, 0))
    with session_scope() as session:  # a job that failed for good
        row = session.get_one(Submission, sub.id)
        row.status = "scoring"
        job = session.get_one(Job, row.job_id)
        job.status, job.error = JobStatus.failed, "worker lost"
    failed = service.get_submission(sub.id, ALICE)
    assert failed.status == "failed" and "worker lost" in (failed.error or "")
    lost_job = jobs.create(
        "challenge.score", "iasante.challenge.submissions:score_submission_job", {"submission_id": sub.id}
    )
    with session_scope() as session:  # a job that was never started
        row = session.get_one(Submission, sub.id)
        row.status, row.job_id, row.dispatches = "queued", lost_job, 1
        row.created_at = row.created_at - 2 * NOT_STARTED_AFTER - timedelta(seconds=5)
    service.get_submission(sub.id, ALICE)  # re-dispatches to Dask
    with session_scope() as session:
        new_job = session.get_one(Submission, sub.id).job_id
    assert new_job != lost_job
    jobs.wait(new_job or 0, timeout_s=60)
    assert service.get_submission(sub.id, ALICE).status == "scored"


def test_leaderboard_rule_baseline_ties_and_private_phase(toy: tuple[list[str], np.ndarray]) -> None:
    ids, y = toy
    baseline_scores = noisy_scores(y, 0.45, 5)
    service.submit(
        "toy",
        ORGANISER,
        scores_csv(ids, baseline_scores),
        "b.csv",
        "baseline",
        baseline=True,
        run_inline=True,
    )
    worse = _submit(ALICE, ids, noisy_scores(y, 0.6, 1), "worse")
    better = _submit(ALICE, ids, y.astype(float), "perfect")
    _submit(ALICE, ids, noisy_scores(y, 0.6, 2), "later")  # rule "best": the perfect one still counts
    _submit(BOB, ids, y.astype(float), "also perfect")
    board = service.leaderboard("toy", ALICE)
    primary = board.boards[0]
    assert primary.primary and primary.metric == "auc" and len(board.boards) == 3
    rows = {r.name: r for r in primary.rows}
    assert rows["alice — perfect"].rank == rows["bob — also perfect"].rank == 1
    assert rows["alice — perfect"].tied and rows["alice — perfect"].value == 1.0
    assert rows["baseline"].is_baseline and rows["baseline"].rank == 3
    assert not any(r.submission_id == worse.id for r in primary.rows)
    assert better.id in {r.submission_id for r in primary.rows}
    for row in primary.rows:
        assert row.ci_low is not None and row.ci_high is not None and row.ci_low <= row.value <= row.ci_high
        assert 0.0 <= row.stability <= 1.0 and row.rank_low <= row.rank_high
    assert primary.qi_reference.startswith("all 5 valid submissions")
    values = [s.scores["auc"] for s in service.list_submissions("toy", ORGANISER) if s.scores]
    mean, sd = np.mean(values), np.std(values, ddof=1)
    assert rows["alice — perfect"].qi == pytest.approx(100 + 15 * (1.0 - mean) / sd)
    final = service.leaderboard("toy", ALICE, "final")
    assert not final.visible and final.boards == []
    assert service.leaderboard("toy", ORGANISER, "final").visible
    service.reveal_phase("toy", "final", ORGANISER)
    assert service.leaderboard("toy", ALICE, "final").visible


def test_private_scores_hidden_until_revealed(toy: tuple[list[str], np.ndarray]) -> None:
    ids, y = toy
    private_only = {**spec("hidden"), "phases": [{"name": "final", "subset": "private", "days": 2}]}
    service.create_challenge(parse_spec(private_only, "spec"), truth_csv(ids, y), ORGANISER)
    sub = service.submit("hidden", ALICE, scores_csv(ids, noisy_scores(y, 0.3, 0)), "p.csv", run_inline=True)
    assert sub.status == "scored" and sub.scores is None
    assert not service.leaderboard("hidden", ALICE).visible
    service.reveal_phase("hidden", "final", ORGANISER)
    assert service.get_submission(sub.id, ALICE).scores is not None
    with pytest.raises(InputDataError, match="not open"):
        _submit(ALICE, ids, noisy_scores(y, 0.3, 0), phase_name="final")
    with pytest.raises(InputDataError, match="not found"):
        service.get_submission(sub.id, BOB)


def test_teams_and_invitations(toy: tuple[list[str], np.ndarray]) -> None:
    ids, y = toy
    team = service.join("toy", ALICE, "Les Lyonnais")
    service.join("toy", Principal("carol", "clinician"), "dave")
    assert service.join("toy", Principal("dave", "biologist")).name == "dave-1"  # automatic name, made unique
    with pytest.raises(InputDataError, match="already taken"):
        service.join("toy", Principal("erin", "biologist"), "dave")
    invitation = service.invite("toy", ALICE, "bob")
    _, waiting = service.team_of("toy", BOB)
    assert [w.id for w in waiting] == [invitation.id]
    joined = service.answer_invitation(invitation.id, BOB, accept=True)
    assert joined.name == "Les Lyonnais" and joined.members == ["alice", "bob"]
    _submit(BOB, ids, noisy_scores(y, 0.3, 0))
    assert service.list_submissions("toy", ALICE)[0].team == team.name
    with pytest.raises(InputDataError):
        service.answer_invitation(invitation.id, BOB, accept=True)


def test_demo_loads_once_with_baselines(iasante_home: Path) -> None:
    assert service.system_status()["state"] == "ready"
    first = service.load_demo("setup")
    assert "3 demo challenge(s) created" in first
    assert "already loaded" in service.load_demo("setup")
    board = service.leaderboard("melanoma", ALICE)
    assert board.boards[0].metric == "pauc" and board.boards[0].rows[0].is_baseline
    assert 0.0 < (board.boards[0].rows[0].value or 0) < 0.2


def test_demo_adds_the_project_model_as_a_second_baseline_row(iasante_home: Path) -> None:
    service.load_demo("setup")
    for slug in ("covid-ct", "melanoma", "karyotype"):
        summary = json.loads((DEMO_DIR / slug / "model_baseline.json").read_text())
        assert summary["label"].startswith("IA Santé model (")
        for phase in ("development", "final"):
            rows = service.leaderboard(slug, ORGANISER, phase).boards[0].rows
            baselines = {r.name: r for r in rows if r.is_baseline}
            assert set(baselines) == {service.BASELINE_LABEL, summary["label"]}
            assert 0.0 < (baselines[summary["label"]].value or 0) <= 1.0


def test_submit_and_board_on_sqlite_and_postgresql(db_home: str) -> None:
    ids, y = binary_truth()
    service.create_challenge(parse_spec(spec(), "spec"), truth_csv(ids, y), ORGANISER)
    _submit(ALICE, ids, noisy_scores(y, 0.3, 0), "a")
    _submit(BOB, ids, noisy_scores(y, 0.5, 1), "b")
    board = service.leaderboard("toy", ALICE)
    assert [r.rank for r in board.boards[0].rows] in ([1, 2], [1, 1])
    assert service.system_status()["state"] == "ready"
