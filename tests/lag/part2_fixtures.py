"""Fixtures of the LAG part 2 tests (imported by those modules; part 1 keeps its own)."""

from __future__ import annotations

from pathlib import Path

import pytest

DEMO_BED = Path(__file__).resolve().parents[2] / "src" / "iasante" / "lag" / "demo" / "demo_cnvs.bed"


@pytest.fixture(scope="session")
def genomics_ready() -> None:
    """The real annotation sources (../shared/data/genomics); the LAG tests need them."""
    from iasante.core.errors import ConfigError
    from iasante.lag.resources import data_root

    try:
        data_root()
    except ConfigError as exc:
        pytest.skip(f"LAG annotation tests need the shared genomics data (IASANTE_DATA_DIR): {exc}")
