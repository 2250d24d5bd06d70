"""Read and validate the CSV files the CLI and the file import accept (Welltory export format, NEWS2 vitals).

Every problem raises :class:`InputDataError` whose message starts with the file name, so the user knows which
input to fix.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from iasante.core.errors import InputDataError

# Welltory ``wearables.csv`` column → detector signal (units: bpm, steps/day, %, °C).
WELLTORY_COLUMNS = {
    "resting_pulse": "rhr_bpm",
    "pulse_average": "hr_avg_bpm",
    "pulse_min": "hr_min_bpm",
    "steps_count": "steps",
    "average_spo2_value": "spo2_pct",
    "body_temperature_avg": "temp_c",
}
# Daily values outside these bounds are sensor artefacts (e.g. a 10 bpm "minimum"), read as not measured.
PLAUSIBLE_DAILY = {
    "rhr_bpm": (25, 220),
    "hr_avg_bpm": (25, 220),
    "hr_min_bpm": (25, 220),
    "steps": (0, 100_000),
    "spo2_pct": (50, 100),
    "temp_c": (30, 43),
}
NEWS2_COLUMNS = ("resp_rate", "spo2", "spo2_scale", "on_oxygen", "systolic_bp", "pulse", "consciousness", "temperature")


def read_csv(path: Path, required: tuple[str, ...], what: str) -> pd.DataFrame:
    """Read a CSV with the ``required`` columns, or raise an error naming ``path`` and what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"{path}: {what} file not found")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError as exc:
        raise InputDataError(f"{path}: empty {what} file") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise InputDataError(f"{path}: not a readable CSV ({str(exc).splitlines()[0][:120]})") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputDataError(
            f"{path}: missing column(s) {', '.join(missing)} for a {what} file "
            f"(found: {', '.join(frame.columns[:12]) or 'none'})"
        )
    return frame


def _numeric(frame: pd.DataFrame, column: str, path: Path) -> pd.Series:
    """Column as float (empty → NaN); a non-numeric cell is an error naming file, row and column."""
    text = frame[column].str.strip()
    values = pd.to_numeric(text.replace("", None), errors="coerce")
    bad = values.isna() & text.ne("")
    if bad.any():
        row = int(bad.idxmax())
        raise InputDataError(f"{path}: row {row + 2}, column {column}: {frame[column][row]!r} is not a number")
    return values.astype(float)


def read_wearables(path: Path) -> pd.DataFrame:
    """Daily wearable summaries in the Welltory ``wearables.csv`` format.

    Returns:
        One row per (user_code, day) with ``day`` as datetime64 and the signal columns ``rhr_bpm``,
        ``hr_avg_bpm``, ``hr_min_bpm`` (the day's lowest heart rate, mostly asleep), ``steps``, ``spo2_pct``,
        ``temp_c`` (NaN when not measured); duplicate rows of a user-day are averaged.
    """
    path = Path(path)
    frame = read_csv(path, ("user_code", "day"), "wearables")
    if frame.empty:
        raise InputDataError(f"{path}: no rows in the wearables file")
    if not any(c in frame.columns for c in WELLTORY_COLUMNS):
        raise InputDataError(f"{path}: none of the signal columns {', '.join(WELLTORY_COLUMNS)}")
    days = pd.to_datetime(frame["day"].str.strip(), format="%Y-%m-%d", errors="coerce")
    if days.isna().any():
        row = int(days.isna().idxmax())
        raise InputDataError(f"{path}: row {row + 2}: day {frame['day'][row]!r} is not a YYYY-MM-DD date")
    users = frame["user_code"].str.strip()
    if users.eq("").any():
        raise InputDataError(f"{path}: row {int(users.eq('').idxmax()) + 2}: empty user_code")
    out = pd.DataFrame({"user_code": users, "day": days})
    for source, name in WELLTORY_COLUMNS.items():
        values = _numeric(frame, source, path) if source in frame.columns else pd.Series(float("nan"), frame.index)
        low, high = PLAUSIBLE_DAILY[name]
        out[name] = values.where(values.between(low, high))
    return out.groupby(["user_code", "day"], as_index=False, sort=True).mean()


def read_participants(path: Path) -> pd.DataFrame:
    """Participants in the Welltory ``participants.csv`` format (``user_code`` required, onset optional).

    Returns:
        Columns ``user_code`` and ``onset`` (datetime64, NaT when absent or blank; Welltory writes M/D/YYYY).
    """
    path = Path(path)
    frame = read_csv(path, ("user_code",), "participants")
    onset_text = frame["symptoms_onset"].str.strip() if "symptoms_onset" in frame else pd.Series("", frame.index)
    onset = pd.to_datetime(onset_text.replace("", None), format="%m/%d/%Y", errors="coerce")
    iso = pd.to_datetime(onset_text.replace("", None), format="%Y-%m-%d", errors="coerce")
    onset = onset.fillna(iso)
    bad = onset.isna() & onset_text.ne("")
    if bad.any():
        row = int(bad.idxmax())
        raise InputDataError(f"{path}: row {row + 2}: symptoms_onset {onset_text[row]!r} is not M/D/YYYY")
    return pd.DataFrame({"user_code": frame["user_code"].str.strip(), "onset": onset})


def read_vitals(path: Path) -> pd.DataFrame:
    """A NEWS2 vitals CSV (columns of ``NEWS2_COLUMNS``; extra columns are kept as text)."""
    path = Path(path)
    frame = read_csv(path, NEWS2_COLUMNS, "vitals")
    if frame.empty:
        raise InputDataError(f"{path}: no rows in the vitals file")
    return frame
