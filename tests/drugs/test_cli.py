"""CLI contract of ``iasante drugs`` (predict, screen, dock, analogues, series) on tiny inputs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import Result
from typer.testing import CliRunner

from iasante.cli import app

runner = CliRunner()
HIT = "O=C(Nc1cncc2ccccc12)[C@@H]1CCOc2ccc(Cl)cc21"


def _code(result: Result) -> int:
    """Exit code as the console entry point sets it (the root group raises click's Exit for mapped errors)."""
    return int(getattr(result.exception, "exit_code", result.exit_code))


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_predict_contract_with_a_bad_row(tmp_path: Path) -> None:
    src = _write(tmp_path / "in.csv", f"name,smi,extra\nhit,{HIT},a\nbad,C1CC(,b\naspirin,CC(=O)Oc1ccccc1C(=O)O,c\n")
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["drugs", "predict", "--input", str(src), "--smiles-column", "smi",
                                 "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "row 3" in result.output and "invalid SMILES" in result.output
    table = pd.read_csv(out)
    assert list(table.columns) == ["name", "smi", "extra", "pIC50_pred", "pIC50_low", "pIC50_high", "in_domain"]
    assert table.name.tolist() == ["hit", "bad", "aspirin"]  # row for row with the input
    assert table.loc[1, ["pIC50_pred", "pIC50_low", "pIC50_high", "in_domain"]].isna().all()
    scored = table.drop(index=1)
    assert (scored.pIC50_low <= scored.pIC50_pred).all() and (scored.pIC50_pred <= scored.pIC50_high).all()
    assert scored.in_domain.tolist() == [True, False]


def test_predict_all_good_exits_zero(tmp_path: Path) -> None:
    src = _write(tmp_path / "in.csv", f"smiles\n{HIT}\nCCO\n")
    out = tmp_path / "sub" / "out.csv"
    result = runner.invoke(app, ["drugs", "predict", "--input", str(src), "--smiles-column", "smiles",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out)) == 2


@pytest.mark.parametrize("content, column, message", [
    ("", "smiles", "empty"),
    ("a,b\n1,2\n", "smiles", "no column 'smiles'"),
    (None, "smiles", "not found"),
])
def test_predict_whole_file_errors_exit_2(tmp_path: Path, content: str | None, column: str, message: str) -> None:
    src = tmp_path / "in.csv"
    if content is not None:
        src.write_text(content)
    result = runner.invoke(app, ["drugs", "predict", "--input", str(src), "--smiles-column", column,
                                 "--out", str(tmp_path / "o.csv")])
    assert _code(result) == 2
    assert message in result.output and "in.csv" in result.output


def test_screen_file_library_ranks_and_reports_bad_rows(tmp_path: Path) -> None:
    lib = _write(tmp_path / "lib.csv", f"id,name,smiles\n1,hit,{HIT}\n2,aspirin,CC(=O)Oc1ccccc1C(=O)O\n3,bad,xx(\n")
    out = tmp_path / "ranked.csv"
    result = runner.invoke(app, ["drugs", "screen", "--library", str(lib), "--out", str(out)])
    assert result.exit_code == 2 and "bad" not in pd.read_csv(out).name.tolist()
    ranked = pd.read_csv(out)
    assert ranked.name.tolist() == ["hit", "aspirin"] and ranked["rank"].tolist() == [1, 2]
    for column in ("pIC50_pred", "pIC50_low", "pIC50_high", "in_domain", "max_sim_active", "qed", "pains"):
        assert column in ranked.columns


def test_screen_dock_top_on_dask(tmp_path: Path) -> None:
    lib = _write(tmp_path / "lib.csv", "ID,Name,SMILES\nd1,moonshot,O=C(Nc1cncc2ccccc12)[C@@H]1CCOc2ccc(Cl)cc21\n"
                 "d2,ethanol,CCO\n")  # a potent Moonshot chromane ranks first and is the one docked
    out = tmp_path / "ranked.csv"
    result = runner.invoke(app, ["drugs", "screen", "--library", str(lib), "--out", str(out), "--dock",
                                 "--dock-top", "1", "--workers", "1", "--exhaustiveness", "1"])
    assert result.exit_code == 0, result.output
    ranked = pd.read_csv(out)
    assert set(ranked.id) == {"d1", "d2"} and ranked.vina_score_kcal.notna().sum() == 1
    assert ranked.id.iloc[0] == "d1" and ranked.vina_score_kcal.iloc[0] < -3


def test_dock_bad_smiles_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["drugs", "dock", "C1CC(", "--out", str(tmp_path / "d")])
    assert _code(result) == 2 and "invalid SMILES" in result.output


def test_dock_writes_poses_and_scores(tmp_path: Path) -> None:
    out = tmp_path / "dock"
    result = runner.invoke(app, ["drugs", "dock", "O=C(Nc1cccnc1)c1ccccc1", "--out", str(out),
                                 "--exhaustiveness", "1"])
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(out / "scores.csv")
    assert list(scores.columns) == ["pose", "vina_score_kcal"] and (scores.vina_score_kcal < -3).all()
    sdf = (out / "poses.sdf").read_text()
    assert sdf.count("$$$$") == len(scores) and "vina_score_kcal" in sdf


def test_analogues_and_series(tmp_path: Path) -> None:
    out = tmp_path / "analogues.csv"
    result = runner.invoke(app, ["drugs", "analogues", HIT, "--out", str(out), "--top", "5"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert table.transformation.iloc[0] == "hit" and 1 < len(table) <= 6
    assert (table.qed.iloc[1:] >= 0.4).all() and table.score.iloc[1:].is_monotonic_decreasing
    series = tmp_path / "series.csv"
    assert runner.invoke(app, ["drugs", "series", "--out", str(series)]).exit_code == 0
    clusters = pd.read_csv(series)
    assert clusters.n_compounds.sum() > 100 and (clusters.best_pIC50 >= 5).all()


def test_status_ready() -> None:
    result = runner.invoke(app, ["drugs", "status"])
    assert result.exit_code == 0 and result.output.startswith("ready")


def test_console_entry_point_exit_codes(tmp_path: Path) -> None:
    """The installed ``iasante`` command itself: bad file -> 2 with the file named on stderr."""
    binary = Path(sys.executable).parent / "iasante"
    src = _write(tmp_path / "garbage.csv", "")
    done = subprocess.run([str(binary), "drugs", "predict", "--input", str(src), "--smiles-column", "smiles",
                           "--out", str(tmp_path / "o.csv")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "garbage.csv" in done.stderr
