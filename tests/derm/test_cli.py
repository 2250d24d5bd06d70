"""The CLI contract of ``iasante derm predict`` (columns, exit codes, errors naming the input)."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from iasante.cli import app
from iasante.derm.service import DEMO_DIR

from .helpers import encode, synthetic_lesion

COLUMNS = ["input", "p_melanoma", "prediction", "p_akiec", "p_bcc", "p_bkl", "p_df", "p_mel", "p_nv", "p_vasc"]
runner = CliRunner()


def _exit_code(result) -> int:  # type: ignore[no-untyped-def]
    """Exit code, also when the root CLI's error mapping raises click's Exit through CliRunner."""
    return int(getattr(result.exception, "exit_code", result.exit_code))


def _read(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == COLUMNS
        return list(reader)


def test_predict_writes_one_calibrated_row_per_image(tmp_path: Path) -> None:
    demo = sorted(str(p) for p in DEMO_DIR.glob("*.jpg"))
    out = tmp_path / "preds.csv"
    result = runner.invoke(app, ["derm", "predict", *demo, "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = _read(out)
    assert [r["input"] for r in rows] == demo
    for row in rows:
        probs = np.array([float(row[c]) for c in COLUMNS[3:]])
        assert abs(probs.sum() - 1) < 1e-4 and (probs >= 0).all()
        assert row["p_melanoma"] == row["p_mel"] and row["prediction"] in {"melanoma", "benign"}


def test_folder_input_and_stdout(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(encode(synthetic_lesion()))
    (tmp_path / "notes.txt").write_text("ignored")
    result = runner.invoke(app, ["derm", "predict", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0] == ",".join(COLUMNS) and lines[1].startswith(str(tmp_path / "a.png"))


def test_bad_inputs_exit_2_name_the_input_and_keep_the_good_rows(tmp_path: Path) -> None:
    good = tmp_path / "good.png"
    good.write_bytes(encode(synthetic_lesion()))
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff garbage")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    out = tmp_path / "preds.csv"
    result = runner.invoke(app, ["derm", "predict", str(corrupt), str(good), str(empty), str(tmp_path / "nope.png"),
                                 "--out", str(out)])
    assert _exit_code(result) == 2
    assert f"error: {corrupt}: not a readable JPEG/PNG image" in result.stderr
    assert f"error: {empty}: the file is empty" in result.stderr
    assert "nope.png: no such file" in result.stderr
    assert [r["input"] for r in _read(out)] == [str(good)]


def test_figures_option_writes_outline_and_heatmap_png(tmp_path: Path) -> None:
    image = tmp_path / "lesion.png"
    image.write_bytes(encode(synthetic_lesion()))
    result = runner.invoke(app, ["derm", "predict", str(image), "--out", str(tmp_path / "p.csv"), "--figures",
                                 str(tmp_path / "fig")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "fig" / "lesion_derm.png").read_bytes().startswith(b"\x89PNG")


def test_missing_weights_exit_5(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from iasante.derm import service

    monkeypatch.setattr(service, "WEIGHTS_DIR", tmp_path)
    service.get_classifier.cache_clear()
    try:
        result = runner.invoke(app, ["derm", "predict", str(DEMO_DIR / "ISIC_0032019.jpg")])
        assert _exit_code(result) == 5 and "derm weights missing" in result.output
        assert _exit_code(runner.invoke(app, ["derm", "status"])) == 5
    finally:
        service.get_classifier.cache_clear()


def test_help_does_not_import_torch() -> None:
    code = "import sys; from iasante.cli import main; sys.argv=['iasante','derm','--help']\n" \
           "try:\n    main()\nexcept SystemExit:\n    pass\nprint('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120).stdout
    assert out.strip().endswith("False") and "predict" in out


def test_gradcam_is_hot_on_the_lesion_not_on_the_skin() -> None:
    from iasante.derm.explain import gradcam_melanoma
    from iasante.derm.io import read_image
    from iasante.derm.predictor import WEIGHTS_DIR, MelanomaClassifier
    from iasante.derm.preprocess import segment_lesion

    analysis = MelanomaClassifier().load().analyse(read_image(DEMO_DIR / "ISIC_0032019.jpg"))
    heat = gradcam_melanoma(analysis.net_input, WEIGHTS_DIR, 4)
    lesion, _ = segment_lesion(analysis.net_input.astype(np.float32) / 255)
    assert heat.shape == (72, 96) and 0 <= heat.min() and heat.max() <= 1
    assert heat[lesion].mean() > heat[~lesion].mean() + 0.1
