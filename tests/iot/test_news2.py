"""NEWS2 against the RCP 2017 chart: every band edge of every parameter, both SpO2 scales, risk bands."""

from __future__ import annotations

import pytest

from iasante.core.errors import InputDataError
from iasante.iot.news2 import (
    VitalSet,
    risk_band,
    score_consciousness,
    score_news2,
    score_pulse,
    score_resp_rate,
    score_spo2,
    score_systolic_bp,
    score_temperature,
    validate_vitals,
)

# (value, expected score) on each side of every chart boundary (RCP 2017, chart 1).
RESP = [(5, 3), (8, 3), (9, 1), (11, 1), (12, 0), (20, 0), (21, 2), (24, 2), (25, 3), (40, 3)]
PULSE = [(30, 3), (40, 3), (41, 1), (50, 1), (51, 0), (90, 0), (91, 1), (110, 1), (111, 2), (130, 2), (131, 3)]
SBP = [(70, 3), (90, 3), (91, 2), (100, 2), (101, 1), (110, 1), (111, 0), (219, 0), (220, 3), (250, 3)]
TEMP = [(34.0, 3), (35.0, 3), (35.1, 1), (36.0, 1), (36.1, 0), (38.0, 0), (38.1, 1), (39.0, 1), (39.1, 2), (41, 2)]
SPO2_SCALE1 = [(85, 3), (91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0), (100, 0)]
SPO2_SCALE2_AIR = [(80, 3), (83, 3), (84, 2), (85, 2), (86, 1), (87, 1), (88, 0), (92, 0), (93, 0), (97, 0), (100, 0)]
SPO2_SCALE2_O2 = [
    (83, 3),
    (84, 2),
    (85, 2),
    (86, 1),
    (87, 1),
    (88, 0),
    (92, 0),
    (93, 1),
    (94, 1),
    (95, 2),
    (96, 2),
    (97, 3),
    (100, 3),
]


@pytest.mark.parametrize(("value", "expected"), RESP)
def test_resp_rate_bands(value: float, expected: int) -> None:
    assert score_resp_rate(value) == expected


@pytest.mark.parametrize(("value", "expected"), PULSE)
def test_pulse_bands(value: float, expected: int) -> None:
    assert score_pulse(value) == expected


@pytest.mark.parametrize(("value", "expected"), SBP)
def test_systolic_bands(value: float, expected: int) -> None:
    assert score_systolic_bp(value) == expected


@pytest.mark.parametrize(("value", "expected"), TEMP)
def test_temperature_bands(value: float, expected: int) -> None:
    assert score_temperature(value) == expected


@pytest.mark.parametrize(("value", "expected"), SPO2_SCALE1)
@pytest.mark.parametrize("on_oxygen", [False, True])
def test_spo2_scale1_ignores_oxygen_for_the_spo2_row(value: float, expected: int, on_oxygen: bool) -> None:
    assert score_spo2(value, 1, on_oxygen) == expected


@pytest.mark.parametrize(("value", "expected"), SPO2_SCALE2_AIR)
def test_spo2_scale2_on_air(value: float, expected: int) -> None:
    assert score_spo2(value, 2, False) == expected


@pytest.mark.parametrize(("value", "expected"), SPO2_SCALE2_O2)
def test_spo2_scale2_on_oxygen(value: float, expected: int) -> None:
    assert score_spo2(value, 2, True) == expected


@pytest.mark.parametrize(("level", "expected"), [("A", 0), ("C", 3), ("V", 3), ("P", 3), ("U", 3)])
def test_consciousness_acvpu(level: str, expected: int) -> None:
    assert score_consciousness(level) == expected


def test_non_integer_values_fall_in_the_next_band() -> None:
    assert score_resp_rate(8.5) == 1
    assert score_temperature(35.05) == 1
    assert score_pulse(90.5) == 1


@pytest.mark.parametrize(
    ("total", "red", "risk"),
    [
        (0, False, "low"),
        (4, False, "low"),
        (3, True, "low-medium"),
        (4, True, "low-medium"),
        (5, False, "medium"),
        (6, True, "medium"),
        (7, False, "high"),
        (20, True, "high"),
    ],
)
def test_risk_bands(total: int, red: bool, risk: str) -> None:
    assert risk_band(total, red) == risk


def test_aggregate_examples() -> None:
    normal = VitalSet(16, 97, 1, False, 120, 70, "A", 37.0)
    assert score_news2(normal) == (0, "low")
    assert score_news2(VitalSet(16, 97, 1, True, 120, 70, "A", 37.0)) == (2, "low")  # oxygen adds 2
    assert score_news2(VitalSet(16, 97, 1, False, 120, 70, "C", 37.0)) == (3, "low-medium")  # new confusion
    assert score_news2(VitalSet(22, 94, 1, True, 105, 95, "A", 38.5)) == (2 + 1 + 2 + 1 + 1 + 1, "high")
    assert score_news2(VitalSet(21, 95, 1, False, 115, 95, "A", 38.5)) == (2 + 1 + 1 + 1, "medium")
    assert score_news2(VitalSet(26, 90, 1, True, 88, 135, "V", 39.5)) == (3 + 3 + 2 + 3 + 3 + 3 + 2, "high")


def test_validation_names_the_bad_value() -> None:
    with pytest.raises(InputDataError, match="pulse=400"):
        validate_vitals(VitalSet(16, 97, 1, False, 120, 400, "A", 37.0))
    with pytest.raises(InputDataError, match="consciousness"):
        validate_vitals(VitalSet(16, 97, 1, False, 120, 70, "X", 37.0))
    with pytest.raises(InputDataError, match="spo2_scale"):
        score_spo2(95, 3, False)
