"""CLI contract: classify CSV columns and exit codes, analyze outputs, bad inputs named with exit 2."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from PIL import Image
from typer.testing import CliRunner

from iasante.cli import app

runner = CliRunner()


def test_classify_contract(tmp_path: Path, demo_chromosomes) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "preds.csv"
    paths = [str(p) for p, _ in demo_chromosomes]
    result = runner.invoke(app, ["karyotype", "classify", *paths, "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == ["input", "chromosome", "confidence", "angle_deg"]
    assert [r["input"] for r in rows] == paths
    valid = {str(k) for k in range(1, 23)} | {"X", "Y"}
    for row in rows:
        assert row["chromosome"] in valid
        assert 0.0 <= float(row["confidence"]) <= 1.0
        assert -180.0 <= float(row["angle_deg"]) <= 180.0


def test_classify_bad_inputs_exit_2_and_keep_good_rows(tmp_path: Path, demo_chromosomes) -> None:  # type: ignore[no-untyped-def]
    corrupt, empty, blank = tmp_path / "corrupt.png", tmp_path / "empty.png", tmp_path / "blank.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    empty.write_bytes(b"")
    Image.new("L", (30, 60), 0).save(blank)
    good = str(demo_chromosomes[0][0])
    out = tmp_path / "preds.csv"
    result = runner.invoke(
        app,
        [
            "karyotype",
            "classify",
            good,
            str(corrupt),
            str(empty),
            str(blank),
            str(tmp_path / "missing.png"),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 2
    for name in ("corrupt.png", "empty.png", "blank.png", "missing.png"):
        assert f"error: {tmp_path / name}" in result.output
    rows = list(csv.DictReader(out.open()))
    assert [r["input"] for r in rows] == [good]


def test_analyze_contract(tmp_path: Path, demo_metaphase, demo_result) -> None:  # type: ignore[no-untyped-def]
    image, _ = demo_metaphase
    result = runner.invoke(app, ["karyotype", "analyze", str(image), "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    payload = json.loads((tmp_path / "run" / "karyotype.json").read_text())
    assert payload["iscn"] == demo_result.iscn
    assert len(payload["chromosomes"]) == len(demo_result.chromosomes)
    record = payload["chromosomes"][0]
    assert {"class", "confidence", "bbox", "angle_deg"} <= set(record)
    with Image.open(tmp_path / "run" / "karyogram.png") as png:
        assert png.format == "PNG" and png.width > 200


def test_analyze_bad_input_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "metaphase.tif"
    bad.write_text("not an image")
    result = runner.invoke(app, ["karyotype", "analyze", str(bad), "--out", str(tmp_path / "run")])
    assert result.exit_code == 2
    assert "metaphase.tif" in result.output and "not a readable image" in result.output


def test_status_ready() -> None:
    result = runner.invoke(app, ["karyotype", "status"])
    assert result.exit_code == 0 and result.output.startswith("ready")
