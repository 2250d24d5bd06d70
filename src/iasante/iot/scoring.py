"""File-level scoring behind the CLI contracts: NEWS2 on a vitals CSV, early alerts on Welltory wearables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from iasante.core.errors import InputDataError
from iasante.iot.io import read_participants, read_vitals, read_wearables
from iasante.iot.model import load_detector
from iasante.iot.news2 import VitalSet, score_news2, validate_vitals


def parse_vital_row(row: dict[str, str]) -> VitalSet:
    """One CSV/JSON row of text values → a validated :class:`VitalSet` (error names the bad column)."""

    def number(name: str) -> float:
        text = str(row.get(name, "")).strip()
        try:
            value = float(text)
        except ValueError:
            raise InputDataError(f"{name}={text!r} is not a number") from None
        if value != value:  # NaN
            raise InputDataError(f"{name} is missing")
        return value

    scale_text, oxygen_text = str(row.get("spo2_scale", "")).strip(), str(row.get("on_oxygen", "")).strip()
    if scale_text not in ("1", "2", "1.0", "2.0"):
        raise InputDataError(f"spo2_scale={scale_text!r}: must be 1 or 2")
    if oxygen_text.lower() not in ("0", "1", "0.0", "1.0", "true", "false"):
        raise InputDataError(f"on_oxygen={oxygen_text!r}: must be 0 (air) or 1 (oxygen)")
    vitals = VitalSet(
        resp_rate=number("resp_rate"),
        spo2=number("spo2"),
        spo2_scale=int(float(scale_text)),
        on_oxygen=oxygen_text.lower() in ("1", "1.0", "true"),
        systolic_bp=number("systolic_bp"),
        pulse=number("pulse"),
        consciousness=str(row.get("consciousness", "")).strip().upper(),
        temperature=number("temperature"),
    )
    validate_vitals(vitals)
    return vitals


def score_vitals_file(input_path: Path, out_path: Path) -> tuple[int, list[str]]:
    """Write every ``input`` row plus ``news2,risk`` to ``out_path``, in input order; a bad row keeps its place with
    both left empty (so the output lines up with the input) and is reported.

    Returns:
        (rows scored, error lines ``"<file> row <n>: <problem>"`` with n the 1-based line in the file).
    """
    frame = read_vitals(input_path)
    news2: list[int | None] = []
    risk: list[str | None] = []
    errors: list[str] = []
    for index, row in enumerate(frame.to_dict(orient="records")):
        try:
            total, band = score_news2(parse_vital_row(row))
        except InputDataError as exc:
            errors.append(f"{input_path} row {index + 2}: {exc}")
            total, band = None, None
        news2.append(total)
        risk.append(band)
    out = frame.copy()
    out["news2"] = pd.array(news2, dtype="Int64")
    out["risk"] = risk
    _write_csv(out, out_path)
    return len(out) - len(errors), errors


def detect_file(
    wearables: Path, participants: Path, out_path: Path, explain: bool = False
) -> tuple[pd.DataFrame, list[str]]:
    """Score every user-day of a Welltory wearables file using only data up to that day.

    Returns:
        (the written frame ``user_code, day, score, alert`` [+ ``tier, explanation``], warnings).
    """
    daily = read_wearables(wearables)
    known = set(read_participants(participants)["user_code"])
    unknown = sorted(set(daily["user_code"]) - known)
    warnings = (
        [f"{wearables}: {len(unknown)} user_code(s) not in {participants} (scored anyway): {', '.join(unknown[:5])}"]
        if unknown
        else []
    )
    result = load_detector().detect(daily)
    result["day"] = result["day"].dt.strftime("%Y-%m-%d")
    result["score"] = result["score"].round(4)
    columns = ["user_code", "day", "score", "alert"] + (["tier", "explanation"] if explain else [])
    _write_csv(result[columns], out_path)
    return result[columns], warnings


def _write_csv(frame: pd.DataFrame, out_path: Path) -> None:
    out_path = Path(out_path)
    if out_path.parent and not out_path.parent.exists():
        raise InputDataError(f"{out_path}: output folder does not exist")
    frame.to_csv(out_path, index=False)
