"""CLI contracts of ``iasante iot detect`` and ``iasante iot news2`` (exact columns, exit codes, bad inputs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from iasante.cli import app

DEMO = Path(__file__).resolve().parents[2] / "src" / "iasante" / "iot" / "demo"
runner = CliRunner()


class _Outcome:
    """Exit code and output of the root CLI; its error mapping raises click's Exit, seen as an exception."""

    def __init__(self, args: list[str]) -> None:
        result = runner.invoke(app, args)
        self.output = result.output
        self.exit_code = result.exit_code
        if result.exception is not None and hasattr(result.exception, "exit_code"):
            self.exit_code = result.exception.exit_code


def _run(*args: str) -> _Outcome:
    return _Outcome(["iot", *args])


def test_detect_on_shipped_welltory_demo(tmp_path: Path) -> None:
    out = tmp_path / "alerts.csv"
    result = _run(
        "detect",
        "--wearables",
        str(DEMO / "wearables.csv"),
        "--participants",
        str(DEMO / "participants.csv"),
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    alerts = pd.read_csv(out)
    assert list(alerts.columns) == ["user_code", "day", "score", "alert"]
    source = pd.read_csv(DEMO / "wearables.csv")
    assert len(alerts) == len(source.drop_duplicates(["user_code", "day"]))
    assert set(alerts["alert"]) <= {0, 1} and alerts["score"].between(0, 1).all()
    assert alerts["alert"].sum() > 0  # the demo participants include detectable onsets
    pd.to_datetime(alerts["day"], format="%Y-%m-%d")


def test_detect_explain_adds_two_tiers(tmp_path: Path) -> None:
    out = tmp_path / "alerts.csv"
    args = ["--wearables", str(DEMO / "wearables.csv"), "--participants", str(DEMO / "participants.csv")]
    assert _run("detect", *args, "--out", str(out), "--explain").exit_code == 0
    alerts = pd.read_csv(out, keep_default_na=False)
    assert list(alerts.columns) == ["user_code", "day", "score", "alert", "tier", "explanation"]
    assert set(alerts["tier"]) <= {"alert", "watch", ""}
    assert (alerts["tier"].eq("alert") == alerts["alert"].eq(1)).all()
    flagged = alerts[alerts["tier"] != ""]
    assert flagged["explanation"].ne("").all() and (alerts["tier"] == "watch").sum() > 0


def test_detect_uses_only_past_data(tmp_path: Path) -> None:
    """Scores of days before a cut-off do not change when later days are removed (online detector)."""
    source = pd.read_csv(DEMO / "wearables.csv")
    cut = source[source["day"] <= "2020-04-15"]
    full_out, cut_out = tmp_path / "full.csv", tmp_path / "cut.csv"
    cut.to_csv(tmp_path / "cut_in.csv", index=False)
    for wearables, out in ((DEMO / "wearables.csv", full_out), (tmp_path / "cut_in.csv", cut_out)):
        assert (
            _run(
                "detect",
                "--wearables",
                str(wearables),
                "--participants",
                str(DEMO / "participants.csv"),
                "--out",
                str(out),
            ).exit_code
            == 0
        )
    full = pd.read_csv(full_out).set_index(["user_code", "day"])
    part = pd.read_csv(cut_out).set_index(["user_code", "day"])
    np.testing.assert_allclose(full.loc[part.index, "score"], part["score"])


def test_detect_flags_a_synthetic_heart_rate_rise(tmp_path: Path) -> None:
    days = pd.date_range("2020-03-01", periods=40).strftime("%Y-%m-%d")
    rng = np.random.default_rng(0)
    rhr = list(60 + rng.normal(0, 1.5, 36).round()) + [72, 75, 78, 80]
    pd.DataFrame({"user_code": "synth01", "day": days, "resting_pulse": rhr, "steps_count": 8000}).to_csv(
        tmp_path / "w.csv", index=False
    )
    pd.DataFrame({"user_code": ["synth01"], "symptoms_onset": [""]}).to_csv(tmp_path / "p.csv", index=False)
    assert (
        _run(
            "detect",
            "--wearables",
            str(tmp_path / "w.csv"),
            "--participants",
            str(tmp_path / "p.csv"),
            "--out",
            str(tmp_path / "a.csv"),
        ).exit_code
        == 0
    )
    alerts = pd.read_csv(tmp_path / "a.csv")
    assert alerts["alert"].iloc[-4:].sum() >= 2
    assert alerts["alert"].iloc[:30].sum() == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("user_code,day,resting_pulse\nu1,not-a-date,60\n", "not a YYYY-MM-DD date"),
        ("user_code,resting_pulse\nu1,60\n", "missing column(s) day"),
        ("user_code,day,resting_pulse\nu1,2020-01-01,sixty\n", "is not a number"),
        ("user_code,day,weather\nu1,2020-01-01,sunny\n", "none of the signal columns"),
    ],
)
def test_detect_bad_wearables_exit_2(tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(content)
    result = _run(
        "detect",
        "--wearables",
        str(bad),
        "--participants",
        str(DEMO / "participants.csv"),
        "--out",
        str(tmp_path / "o.csv"),
    )
    assert result.exit_code == 2
    assert "bad.csv" in result.output and message in result.output


def test_detect_missing_participants_file_exit_2(tmp_path: Path) -> None:
    result = _run(
        "detect",
        "--wearables",
        str(DEMO / "wearables.csv"),
        "--participants",
        str(tmp_path / "nope.csv"),
        "--out",
        str(tmp_path / "o.csv"),
    )
    assert result.exit_code == 2 and "nope.csv" in result.output


VITALS = """resp_rate,spo2,spo2_scale,on_oxygen,systolic_bp,pulse,consciousness,temperature,bed
16,97,1,0,120,70,A,37.0,b1
25,91,1,1,90,131,C,39.1,b2
12,95,2,1,120,70,A,37,b3
20,96,1,0,111,91,A,36.1,b4
"""


def test_news2_contract(tmp_path: Path) -> None:
    (tmp_path / "v.csv").write_text(VITALS)
    result = _run("news2", "--input", str(tmp_path / "v.csv"), "--out", str(tmp_path / "s.csv"))
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(tmp_path / "s.csv", dtype=str)
    assert list(scored.columns) == [*VITALS.splitlines()[0].split(","), "news2", "risk"]
    assert scored["news2"].tolist() == ["0", "19", "4", "1"]
    assert scored["risk"].tolist() == ["low", "high", "low", "low"]
    assert scored["bed"].tolist() == ["b1", "b2", "b3", "b4"]


def test_news2_bad_rows_reported_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "v.csv").write_text(
        VITALS + "abc,95,1,0,120,70,A,37,b5\n16,97,3,0,120,70,A,37,b6\n"
        "16,97,1,0,120,70,Z,37,b7\n16,97,1,0,120,500,A,37,b8\n"
    )
    result = _run("news2", "--input", str(tmp_path / "v.csv"), "--out", str(tmp_path / "s.csv"))
    assert result.exit_code == 2
    for row, text in ((6, "resp_rate"), (7, "spo2_scale"), (8, "consciousness"), (9, "pulse=500")):
        assert f"v.csv row {row}: " in result.output and text in result.output
    scored = pd.read_csv(tmp_path / "s.csv", dtype=str, keep_default_na=False)
    assert scored["bed"].tolist() == ["b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8"]  # every row keeps its place
    assert scored["news2"].tolist()[:4] == ["0", "19", "4", "1"] and set(scored["news2"].tolist()[4:]) == {""}
    assert set(scored["risk"].tolist()[4:]) == {""}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("resp_rate,spo2\n16,97\n", "missing column(s) spo2_scale"),
        ("\x00\x01\x02binary", "missing column"),
    ],
)
def test_news2_bad_file_exit_2(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "v.csv").write_text(content)
    result = _run("news2", "--input", str(tmp_path / "v.csv"), "--out", str(tmp_path / "s.csv"))
    assert result.exit_code == 2 and "v.csv" in result.output and message in result.output


def test_installed_command_exit_code_and_message(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "v.csv").write_text("")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "iasante",
            "iot",
            "news2",
            "--input",
            str(tmp_path / "v.csv"),
            "--out",
            str(tmp_path / "s.csv"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "v.csv: empty vitals file" in done.stderr


def test_iot_help_does_not_import_heavy_modules() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from typer.testing import CliRunner; from iasante.cli import app; "
        "r = CliRunner().invoke(app, ['iot', '--help']); assert r.exit_code == 0; "
        "print(sorted(m for m in ('torch', 'pandas', 'paho', 'sklearn') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr
