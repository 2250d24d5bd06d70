"""The CLI contract: ``iasante ct predict PATH... --out preds.csv`` with exact columns and exit codes."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from iasante.cli import app

runner = CliRunner()
COLUMNS = ["input", "p_abnormal", "p_covid", "prediction"]


def _read(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == COLUMNS
        return list(reader)


def test_predict_one_row_per_path(tmp_path: Path, demo_png: Path, demo_dicom: Path, demo_series: Path) -> None:
    out = tmp_path / "preds.csv"
    paths = [str(demo_png), str(demo_dicom), str(demo_series)]
    result = runner.invoke(app, ["ct", "predict", *paths, "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = _read(out)
    assert [r["input"] for r in rows] == paths
    for row in rows:
        assert 0.0 <= float(row["p_abnormal"]) <= 1.0 and 0.0 <= float(row["p_covid"]) <= 1.0
        assert row["prediction"] in {"normal", "pathological", "covid"}


def test_bad_input_exit_2_and_rest_written(tmp_path: Path, demo_png: Path) -> None:
    corrupt = tmp_path / "corrupt.dcm"
    corrupt.write_bytes(b"\x00" * 200)
    missing = tmp_path / "missing.png"
    out = tmp_path / "preds.csv"
    result = runner.invoke(app, ["ct", "predict", str(corrupt), str(demo_png), str(missing), "--out", str(out)])
    assert result.exit_code == 2
    assert f"error: {corrupt}" in result.stderr and f"error: {missing}" in result.stderr
    assert [r["input"] for r in _read(out)] == [str(demo_png)]


def test_heatmaps_saved_on_request(tmp_path: Path, demo_series: Path) -> None:
    result = runner.invoke(
        app, ["ct", "predict", str(demo_series), "--out", str(tmp_path / "p.csv"), "--heatmaps", str(tmp_path / "cams")]
    )
    assert result.exit_code == 0, result.output
    pngs = sorted((tmp_path / "cams").glob("*.png"))
    assert len(pngs) == 2  # top quarter of 6 slices, rounded up
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)


def test_stdout_and_status() -> None:
    from tests.ct.conftest import DEMO

    result = runner.invoke(app, ["ct", "predict", str(DEMO / "covid_ct_md_cap_cap001_092.png")])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == ",".join(COLUMNS)
    status = runner.invoke(app, ["ct", "status"])
    assert status.exit_code == 0 and status.stdout.startswith("ready")


def test_missing_weights_exit_5(tmp_path: Path, demo_png: Path) -> None:
    """Run in a real process (the root CLI maps ModelNotReadyError to exit 5) with an empty weights folder."""
    script = (
        "import sys; from pathlib import Path; from iasante.ct import predict; "
        f"predict.load.__defaults__ = (Path({str(tmp_path)!r}),); "
        f"sys.argv = ['iasante', 'ct', 'predict', {str(demo_png)!r}]; "
        "from iasante.cli import main; main()"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 5, done.stderr
    assert "weights not found" in done.stderr


def test_shipped_weights_give_the_model_card_calls_on_the_demo(tmp_path: Path) -> None:
    """Regression check of the committed weights: the demo patients were in training (in-sample calls of the
    model card), so these calls must not change unless the weights are retrained on purpose."""
    from tests.ct.conftest import DEMO

    names = ["covid_ct_md_P001_series", "covid_ct_md_cap_cap001_092.png", "covid_ct_md_normal_normal001_084.png"]
    out = tmp_path / "demo.csv"
    result = runner.invoke(app, ["ct", "predict", *[str(DEMO / n) for n in names], "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert [r["prediction"] for r in _read(out)] == ["covid", "pathological", "normal"]
