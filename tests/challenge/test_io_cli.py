"""The `iasante challenge score` contract on good and bad files, via the real root CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

from iasante.challenge.io import read_truth
from iasante.challenge.scoring import score_files
from iasante.cli import app
from iasante.core.errors import InputDataError

from .helpers import binary_truth, noisy_scores, scores_csv, truth_csv

runner = CliRunner()


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, np.ndarray, np.ndarray]:
    ids, y = binary_truth()
    s = noisy_scores(y, 0.3, 1)
    truth = tmp_path / "truth.csv"
    truth.write_bytes(truth_csv(ids, y))
    sub = tmp_path / "sub.csv"
    sub.write_bytes(scores_csv(ids[::-1], s[::-1]))  # order does not matter
    return truth, sub, y, s


def invoke(args: list[str]) -> tuple[int, str, str]:
    """Run the root CLI in-process and return (exit code, stdout, stderr)."""
    result = runner.invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


def _score(truth: Path, sub: Path, *metrics: str) -> tuple[int, str, str]:
    args = ["challenge", "score", "--truth", str(truth), "--submission", str(sub)]
    for metric in metrics:
        args += ["--metric", metric]
    return invoke(args)


def test_score_prints_one_json_object(files: tuple[Path, Path, np.ndarray, np.ndarray]) -> None:
    truth, sub, y, s = files
    code, out, _ = _score(truth, sub, "auc", "pauc", "balanced_accuracy", "sens_at_spec90")
    assert code == 0
    values = json.loads(out)
    assert list(values) == ["auc", "pauc", "balanced_accuracy", "sens_at_spec90"]
    assert values["auc"] == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert 0 <= values["pauc"] <= 0.2


def test_multiclass_and_regression(tmp_path: Path) -> None:
    truth = tmp_path / "t.csv"
    truth.write_text("id,label\na,X\nb,Y\nc,1\nd,X\n")
    sub = tmp_path / "s.csv"
    sub.write_text("id,prediction\na,X\nb,1\nc,1\nd,X\n")
    out = score_files(truth, sub, ["balanced_accuracy", "accuracy", "kappa", "f1"])
    assert out["accuracy"] == pytest.approx(0.75)
    truth.write_text("id,label\na,1.5\nb,2.0\nc,-1\n")
    sub.write_text("id,prediction\na,1.0\nb,2.5\nc,-1\n")
    out = score_files(truth, sub, ["mae", "rmse", "spearman"])
    assert out["mae"] == pytest.approx(1 / 3) and out["spearman"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"id,score\n", "no rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not"),
        (b"identifier,score\ncase000,0.5\n", "needs columns 'id'"),
        (b"id,score\ncase000,0.5\ncase000,0.4\n", "duplicated id"),
        (b"id,score\ncase000,abc\n", "not finite numbers"),
        (b"id,score\ncase000,1.7\n", "outside [0, 1]"),
        (b"id,score\nnope,0.5\n", "not in the test set"),
    ],
)
def test_bad_submission_exits_2_with_reason(
    files: tuple[Path, Path, np.ndarray, np.ndarray], tmp_path: Path, content: bytes, reason: str
) -> None:
    truth, _, _, _ = files
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    code, out, err = _score(truth, bad, "auc")
    assert code == 2
    assert "bad.csv" in err and reason in err
    assert out == ""


def test_missing_ids_are_listed(files: tuple[Path, Path, np.ndarray, np.ndarray], tmp_path: Path) -> None:
    truth, sub, _, _ = files
    partial = tmp_path / "partial.csv"
    partial.write_text("\n".join(sub.read_text().splitlines()[:-3]) + "\n")
    code, _, err = _score(truth, partial, "auc")
    assert code == 2 and "3 id(s) of the test set are missing" in err


def test_bad_truth_and_metric(files: tuple[Path, Path, np.ndarray, np.ndarray], tmp_path: Path) -> None:
    truth, sub, _, _ = files
    assert _score(tmp_path / "absent.csv", sub, "auc")[0] == 2
    code, _, err = _score(truth, sub, "acu")
    assert code == 2 and "Did you mean 'auc'" in err
    code, _, err = _score(truth, sub, "mae", "auc")
    assert code == 2 and "does not apply" in err
    one_class = tmp_path / "one.csv"
    one_class.write_text("id,label\ncase000,1\ncase001,1\n")
    with pytest.raises(InputDataError, match="both classes"):
        read_truth(one_class, "one.csv", "binary")


def test_ten_thousand_rows_validated_and_scored_within_one_second(tmp_path: Path) -> None:
    ids, y = binary_truth(10_000, 3)
    truth = tmp_path / "t.csv"
    truth.write_bytes(truth_csv(ids, y))
    sub = tmp_path / "s.csv"
    sub.write_bytes(scores_csv(ids, noisy_scores(y, 0.4, 4)))
    start = time.perf_counter()
    values = score_files(truth, sub, ["auc", "pauc", "balanced_accuracy", "f1", "kappa", "sens_at_spec90"])
    assert time.perf_counter() - start < 1.0
    assert 0.5 < values["auc"] < 1.0


def test_installed_command_exit_codes(files: tuple[Path, Path, np.ndarray, np.ndarray], tmp_path: Path) -> None:
    truth, sub, _, _ = files
    command = [
        sys.executable,
        "-m",
        "iasante",
        "challenge",
        "score",
        "--truth",
        str(truth),
        "--metric",
        "auc",
    ]
    good = subprocess.run([*command, "--submission", str(sub)], capture_output=True, text=True, timeout=120)
    assert good.returncode == 0 and set(json.loads(good.stdout)) == {"auc"}
    bad = subprocess.run([*command, "--submission", str(truth)], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "truth.csv: needs columns 'id' and 'score' or 'prediction'" in bad.stderr
