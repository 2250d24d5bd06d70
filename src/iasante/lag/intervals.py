"""Fast interval queries on sorted numpy arrays (no per-variant linear scan over a whole table).

Intervals are 0-based half-open and grouped by chromosome (``1``..``Y``). Each chromosome's intervals are
split into length tiers so that the look-back window ``start >= query_start - max_len`` stays small even when
a few intervals are tens of megabases long: a query costs two ``searchsorted`` per tier plus the real hits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_TIER_EDGES = np.array([1e4, 1e5, 1e6, 1e7])


@dataclass
class _Tier:
    start: np.ndarray
    end: np.ndarray
    row: np.ndarray
    max_len: int


class IntervalIndex:
    """Index over ``n`` intervals; queries return row numbers into the arrays given at construction.

    Args:
        chrom: (n,) chromosome names without ``chr``.
        start: (n,) int 0-based starts.
        end: (n,) int exclusive ends.

    Example:
        >>> idx = IntervalIndex(np.array(["1", "1"]), np.array([0, 50]), np.array([100, 60]))
        >>> idx.overlapping("1", 55, 70).tolist()
        [0, 1]
    """

    def __init__(self, chrom: np.ndarray, start: np.ndarray, end: np.ndarray) -> None:
        chrom = np.asarray(chrom, dtype=object)
        start = np.asarray(start, dtype=np.int64)
        end = np.asarray(end, dtype=np.int64)
        tier_of = np.searchsorted(_TIER_EDGES, end - start)
        self.tiers_: dict[str, list[_Tier]] = {}
        for c in np.unique(chrom):
            tiers = []
            for t in range(len(_TIER_EDGES) + 1):
                rows = np.flatnonzero((chrom == c) & (tier_of == t))
                if len(rows) == 0:
                    continue
                rows = rows[np.argsort(start[rows], kind="stable")]
                tiers.append(_Tier(start[rows], end[rows], rows, int((end[rows] - start[rows]).max())))
            self.tiers_[str(c)] = tiers

    def overlapping(self, chrom: str, qstart: int, qend: int) -> np.ndarray:
        """Rows of intervals with ``start < qend`` and ``end > qstart`` (sorted row numbers)."""
        hits = []
        for tier in self.tiers_.get(chrom, ()):
            lo = np.searchsorted(tier.start, qstart - tier.max_len, side="left")
            hi = np.searchsorted(tier.start, qend, side="left")
            if hi > lo:
                sel = tier.end[lo:hi] > qstart
                hits.append(tier.row[lo:hi][sel])
        return np.sort(np.concatenate(hits)) if hits else np.empty(0, dtype=np.int64)


def overlap_bp(qstart: int, qend: int, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Overlap length in bp of ``[qstart, qend)`` with each interval (0 if disjoint)."""
    overlap: np.ndarray = np.maximum(0, np.minimum(qend, end) - np.maximum(qstart, start))
    return overlap


def reciprocal_overlap(qstart: int, qend: int, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Reciprocal overlap: overlap / max(query length, interval length), in [0, 1]."""
    length = np.maximum(np.maximum(qend - qstart, end - start), 1)
    ratio: np.ndarray = overlap_bp(qstart, qend, start, end) / length
    return ratio
