"""NEWS2, the National Early Warning Score 2 (Royal College of Physicians, 2017), exactly as on the chart.

Reference: Royal College of Physicians. *National Early Warning Score (NEWS) 2: Standardising the assessment of
acute-illness severity in the NHS.* Updated report of a working party. London: RCP, 2017 (chart 1 and table 1).

Bands are closed intervals of the chart, applied to the recorded value without rounding: a respiration rate of
8.5 /min is above 8 so it scores like 9 (the chart only lists whole numbers; temperature bands are 0.1 °C apart:
35.05 °C is above 35.0 and scores like 35.1).
"""

from __future__ import annotations

from dataclasses import dataclass

from iasante.core.errors import InputDataError

RISK_LEVELS = ("low", "low-medium", "medium", "high")
CONSCIOUSNESS = ("A", "C", "V", "P", "U")

# Plausible physiological ranges (units in names); values outside are data errors, not scores.
VALID_RANGES = {
    "resp_rate": (0.0, 80.0),  # breaths/min
    "spo2": (40.0, 100.0),  # %
    "systolic_bp": (30.0, 300.0),  # mmHg
    "pulse": (10.0, 300.0),  # beats/min
    "temperature": (25.0, 45.0),  # °C
}


@dataclass(frozen=True)
class VitalSet:
    """One set of vital signs as recorded on the NEWS2 chart.

    Args:
        resp_rate: respiration rate, breaths/min.
        spo2: peripheral oxygen saturation, %.
        spo2_scale: 1 (default) or 2 (hypercapnic respiratory failure, target 88–92 %, prescribed by a clinician).
        on_oxygen: True when the patient breathes supplemental oxygen (any device), False on room air.
        systolic_bp: systolic blood pressure, mmHg.
        pulse: heart rate, beats/min.
        consciousness: ACVPU: "A" alert, "C" new confusion, "V" voice, "P" pain, "U" unresponsive.
        temperature: body temperature, °C.
    """

    resp_rate: float
    spo2: float
    spo2_scale: int
    on_oxygen: bool
    systolic_bp: float
    pulse: float
    consciousness: str
    temperature: float


def score_resp_rate(rr: float) -> int:
    """≤8: 3; 9–11: 1; 12–20: 0; 21–24: 2; ≥25: 3."""
    if rr <= 8:
        return 3
    if rr <= 11:
        return 1
    if rr <= 20:
        return 0
    if rr <= 24:
        return 2
    return 3


def score_spo2(spo2: float, scale: int, on_oxygen: bool) -> int:
    """SpO2 scale 1: ≤91: 3; 92–93: 2; 94–95: 1; ≥96: 0.

    Scale 2: ≤83: 3; 84–85: 2; 86–87: 1; 88–92 (or ≥93 on air): 0; 93–94 on oxygen: 1; 95–96 on oxygen: 2;
    ≥97 on oxygen: 3.
    """
    if scale == 1:
        if spo2 <= 91:
            return 3
        if spo2 <= 93:
            return 2
        if spo2 <= 95:
            return 1
        return 0
    if scale != 2:
        raise InputDataError(f"spo2_scale {scale!r}: must be 1 or 2")
    if spo2 <= 83:
        return 3
    if spo2 <= 85:
        return 2
    if spo2 <= 87:
        return 1
    if spo2 <= 92 or not on_oxygen:
        return 0
    if spo2 <= 94:
        return 1
    if spo2 <= 96:
        return 2
    return 3


def score_air_oxygen(on_oxygen: bool) -> int:
    """Air: 0; oxygen: 2."""
    return 2 if on_oxygen else 0


def score_systolic_bp(sbp: float) -> int:
    """≤90: 3; 91–100: 2; 101–110: 1; 111–219: 0; ≥220: 3."""
    if sbp <= 90:
        return 3
    if sbp <= 100:
        return 2
    if sbp <= 110:
        return 1
    if sbp <= 219:
        return 0
    return 3


def score_pulse(pulse: float) -> int:
    """≤40: 3; 41–50: 1; 51–90: 0; 91–110: 1; 111–130: 2; ≥131: 3."""
    if pulse <= 40:
        return 3
    if pulse <= 50:
        return 1
    if pulse <= 90:
        return 0
    if pulse <= 110:
        return 1
    if pulse <= 130:
        return 2
    return 3


def score_consciousness(level: str) -> int:
    """Alert: 0; new confusion, voice, pain or unresponsive (CVPU): 3."""
    if level not in CONSCIOUSNESS:
        raise InputDataError(f"consciousness {level!r}: must be one of {', '.join(CONSCIOUSNESS)}")
    return 0 if level == "A" else 3


def score_temperature(temp_c: float) -> int:
    """≤35.0: 3; 35.1–36.0: 1; 36.1–38.0: 0; 38.1–39.0: 1; ≥39.1: 2."""
    if temp_c <= 35.0:
        return 3
    if temp_c <= 36.0:
        return 1
    if temp_c <= 38.0:
        return 0
    if temp_c <= 39.0:
        return 1
    return 2


def parameter_scores(v: VitalSet) -> dict[str, int]:
    """Score of each of the seven chart parameters."""
    return {
        "resp_rate": score_resp_rate(v.resp_rate),
        "spo2": score_spo2(v.spo2, v.spo2_scale, v.on_oxygen),
        "air_oxygen": score_air_oxygen(v.on_oxygen),
        "systolic_bp": score_systolic_bp(v.systolic_bp),
        "pulse": score_pulse(v.pulse),
        "consciousness": score_consciousness(v.consciousness),
        "temperature": score_temperature(v.temperature),
    }


def risk_band(total: int, any_red: bool) -> str:
    """Clinical risk: ≥7 high; 5–6 medium; 0–4 with a 3 in any single parameter low-medium; else low."""
    if total >= 7:
        return "high"
    if total >= 5:
        return "medium"
    if any_red:
        return "low-medium"
    return "low"


def score_news2(v: VitalSet) -> tuple[int, str]:
    """Aggregate NEWS2 and its clinical risk band.

    >>> score_news2(VitalSet(16, 97, 1, False, 120, 70, "A", 37.0))
    (0, 'low')
    >>> score_news2(VitalSet(16, 97, 1, False, 120, 70, "C", 37.0))
    (3, 'low-medium')
    """
    scores = parameter_scores(v)
    total = sum(scores.values())
    return total, risk_band(total, any(s == 3 for s in scores.values()))


def validate_vitals(v: VitalSet) -> None:
    """Raise :class:`InputDataError` naming the first implausible value (never score garbage)."""
    for name, (low, high) in VALID_RANGES.items():
        value = getattr(v, name)
        if not low <= value <= high:
            raise InputDataError(f"{name}={value:g} outside the plausible range [{low:g}, {high:g}]")
    if v.spo2_scale not in (1, 2):
        raise InputDataError(f"spo2_scale {v.spo2_scale!r}: must be 1 or 2")
    if v.consciousness not in CONSCIOUSNESS:
        raise InputDataError(f"consciousness {v.consciousness!r}: must be one of {', '.join(CONSCIOUSNESS)}")
