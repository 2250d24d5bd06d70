"""Interval index against brute force; chain liftover against ClinGen's own GRCh37/GRCh38 coordinates."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iasante.lag.intervals import IntervalIndex, reciprocal_overlap
from tests.lag.part2_fixtures import genomics_ready  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("genomics_ready")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10**7), st.integers(1, 3 * 10**7)), min_size=1, max_size=60),
       st.integers(0, 10**7), st.integers(1, 10**7))
def test_index_matches_brute_force(intervals: list[tuple[int, int]], qstart: int, qlen: int) -> None:
    start = np.array([s for s, _ in intervals])
    end = start + np.array([n for _, n in intervals])
    idx = IntervalIndex(np.array(["1"] * len(start), dtype=object), start, end)
    expected = np.flatnonzero((start < qstart + qlen) & (end > qstart))
    assert idx.overlapping("1", qstart, qstart + qlen).tolist() == expected.tolist()
    assert idx.overlapping("2", qstart, qstart + qlen).tolist() == []


def test_reciprocal_overlap() -> None:
    ro = reciprocal_overlap(100, 200, np.array([100, 150, 300]), np.array([200, 350, 400]))
    assert ro.tolist() == [1.0, 0.25, 0.0]


def test_liftover_agrees_with_clingen_coordinates() -> None:
    """ClinGen lists every gene in both builds; gene models changed between builds (many genes grew), so at
    least one lifted end must land exactly on ClinGen's GRCh38 coordinate, and lifting back must round-trip."""
    import pandas as pd

    from iasante.lag.resources import _FILES, data_root, load_resources

    res = load_resources()
    cg = pd.read_csv(data_root() / _FILES["clingen"], encoding="utf-8-sig")
    genes = cg[cg.iloc[:, 0] == "G"].dropna(subset=["GRCh37", "GRCh38"]).head(300)
    a = genes["GRCh37"].str.extract(r"^(\w+):(\d+)-(\d+)$").dropna()
    b = genes.loc[a.index, "GRCh38"].str.extract(r"^(\w+):(\d+)-(\d+)$")
    ok = b.notna().all(axis=1) & (a[0] == b[0])
    a, b = a[ok], b[ok]
    c, s, e = res.lift_37_to_38.lift_intervals(a[0].to_numpy(object), a[1].astype(int).to_numpy() - 1,
                                                a[2].astype(int).to_numpy())
    start_ok = s == b[1].astype(int).to_numpy() - 1
    assert (start_ok | (e == b[2].astype(int).to_numpy())).mean() > 0.95
    _, back_s, _ = res.lift_38_to_37.lift_intervals(c[start_ok], s[start_ok], s[start_ok] + 1)
    assert (back_s == a[1].astype(int).to_numpy()[start_ok] - 1).mean() > 0.95
