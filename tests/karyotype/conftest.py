"""Shared inputs of the karyotype tests: the shipped demo metaphase and chromosomes, the loaded classifier."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[2] / "src" / "iasante" / "karyotype" / "demo"


@pytest.fixture(scope="session")
def classifier():  # type: ignore[no-untyped-def]
    from iasante.karyotype.model import ChromosomeClassifier

    return ChromosomeClassifier().load()


@pytest.fixture(scope="session")
def demo_metaphase() -> tuple[Path, dict]:  # type: ignore[type-arg]
    image = sorted(DEMO.glob("*.png"))[0]
    return image, json.loads(image.with_suffix(".json").read_text())


@pytest.fixture(scope="session")
def demo_chromosomes() -> list[tuple[Path, str]]:
    rows = (DEMO / "chromosomes" / "truth.csv").read_text().splitlines()[1:]
    return [(DEMO / "chromosomes" / r.split(",")[0], r.split(",")[1]) for r in rows]


@pytest.fixture(scope="session")
def demo_result(classifier, demo_metaphase):  # type: ignore[no-untyped-def]
    """The pipeline's result on the demo spread (computed once; web and CLI must show the same)."""
    from iasante.karyotype.io import read_gray
    from iasante.karyotype.pipeline import analyze_metaphase

    return analyze_metaphase(read_gray(demo_metaphase[0]), classifier)
