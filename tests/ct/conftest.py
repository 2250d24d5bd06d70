"""Small real inputs for the CT tests: the shipped demo (COVID-CT-MD slices and DICOM files) and
synthetic phantoms made here (a chest-like ellipse with two dark lungs, in Hounsfield units)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

DEMO = Path(__file__).resolve().parents[2] / "src" / "iasante" / "ct" / "demo"


def chest_phantom_hu(size: int = 96) -> np.ndarray:
    """``(size, size)`` float32 HU: air outside, soft-tissue body (+40 HU), two lungs (-850 HU)."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    hu = np.full((size, size), -1000.0, np.float32)
    hu[((xx - 0.5) / 0.42) ** 2 + ((yy - 0.5) / 0.32) ** 2 < 1] = 40.0
    for cx in (0.32, 0.68):
        hu[((xx - cx) / 0.13) ** 2 + ((yy - 0.5) / 0.22) ** 2 < 1] = -850.0
    return hu


@pytest.fixture(scope="session")
def demo_series() -> Path:
    return DEMO / "covid_ct_md_P001_series"


@pytest.fixture(scope="session")
def demo_png() -> Path:
    return DEMO / "covid_ct_md_normal_normal001_084.png"


@pytest.fixture(scope="session")
def demo_dicom(demo_series: Path) -> Path:
    return sorted(demo_series.glob("*.dcm"))[0]
