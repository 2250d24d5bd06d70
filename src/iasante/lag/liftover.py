"""Coordinate conversion GRCh37 <-> GRCh38 with a UCSC chain file, vectorised with numpy.

The chain (hg19ToHg38.over.chain.gz) is read once; its ungapped blocks become, per source chromosome, sorted
arrays of ``src_start`` (0-based), ``size`` and a linear map ``dst = anchor + sign * (pos - src_start)``. The
reverse direction (GRCh38 -> GRCh37) uses the same blocks swapped. A position that falls in a chain gap is
moved to the nearest aligned base, which is what CNV breakpoints (known to a few kb at best) need.
"""

from __future__ import annotations

import bisect
import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_PRIMARY = {f"chr{c}" for c in [*map(str, range(1, 23)), "X", "Y"]}


@dataclass
class _Blocks:
    """Blocks of one source chromosome, sorted by ``src_start`` (all int64 arrays of one length)."""

    src_start: np.ndarray
    size: np.ndarray
    anchor: np.ndarray
    sign: np.ndarray
    dst_chrom: np.ndarray  # object array of chromosome names without 'chr'


class ChainLifter:
    """Lift 0-based positions between two builds; ``reverse=True`` lifts from the chain's query build back."""

    def __init__(self, chain_path: Path, reverse: bool = False) -> None:
        self.chain_path = chain_path
        self.reverse = reverse
        self.blocks_ = _read_chain(chain_path, reverse)

    def lift_positions(self, chrom: str, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lift 0-based positions on ``chrom`` (``1``..``Y``).

        Returns:
            (destination chromosome names, object array; None if the chromosome has no chain) and
            positions (int64, 0-based; -1 where unmapped).
        """
        pos = np.asarray(pos, dtype=np.int64)
        blocks = self.blocks_.get(chrom)
        if blocks is None or len(blocks.src_start) == 0:
            return np.full(len(pos), None, dtype=object), np.full(len(pos), -1, dtype=np.int64)
        i = np.clip(np.searchsorted(blocks.src_start, pos, side="right") - 1, 0, len(blocks.src_start) - 1)
        offset = pos - blocks.src_start[i]
        inside = (offset >= 0) & (offset < blocks.size[i])
        # in a gap: snap to the last base of block i or the first base of block i+1, whichever is closer
        nxt = np.minimum(i + 1, len(blocks.src_start) - 1)
        left_gap = pos - (blocks.src_start[i] + blocks.size[i] - 1)
        right_gap = blocks.src_start[nxt] - pos
        use_next = ~inside & ((offset < 0) | ((right_gap >= 0) & (right_gap < left_gap)))
        j = np.where(use_next, nxt, i)
        offset = np.where(inside, offset, np.where(use_next, 0, blocks.size[i] - 1))
        out = blocks.anchor[j] + blocks.sign[j] * offset
        return blocks.dst_chrom[j], out

    def lift_intervals(
        self, chrom: np.ndarray, start: np.ndarray, end: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Lift half-open intervals; an interval whose two ends land on different chromosomes is unmapped.

        Returns:
            chromosome (object, None if unmapped), start, end (int64, 0-based half-open; -1 if unmapped).
        """
        n = len(chrom)
        out_c = np.full(n, None, dtype=object)
        out_s = np.full(n, -1, dtype=np.int64)
        out_e = np.full(n, -1, dtype=np.int64)
        chrom = np.asarray(chrom, dtype=object)
        for c in np.unique(chrom):
            idx = np.flatnonzero(chrom == c)
            c1, p1 = self.lift_positions(c, np.asarray(start)[idx])
            c2, p2 = self.lift_positions(c, np.maximum(np.asarray(end)[idx] - 1, np.asarray(start)[idx]))
            ok = (c1 == c2) & (p1 >= 0) & (p2 >= 0) & np.array([x is not None for x in c1], dtype=bool)
            out_c[idx[ok]] = c1[ok]
            out_s[idx[ok]] = np.minimum(p1, p2)[ok]
            out_e[idx[ok]] = np.maximum(p1, p2)[ok] + 1
        return out_c, out_s, out_e


def _read_chain(path: Path, reverse: bool) -> dict[str, _Blocks]:
    rows: list[tuple[str, int, int, int, int, str]] = []
    scores: list[float] = []
    with gzip.open(path, "rt") as handle:
        head: list[str] = []
        t_pos = q_pos = 0
        for line in handle:
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "chain":
                head = parts
                t_pos, q_pos = int(parts[5]), int(parts[10])
                continue
            if head[2] not in _PRIMARY or head[7] not in _PRIMARY:
                continue
            size = int(parts[0])
            q_size, strand = int(head[8]), head[9]
            if strand == "+":
                q_fwd, sign = q_pos, 1
            else:  # query coordinates count from the end of the reverse strand
                q_fwd, sign = q_size - 1 - q_pos, -1
            if not reverse:
                rows.append((head[2][3:], t_pos, size, q_fwd, sign, head[7][3:]))
            elif sign == 1:
                rows.append((head[7][3:], q_fwd, size, t_pos, 1, head[2][3:]))
            else:
                rows.append((head[7][3:], q_fwd - size + 1, size, t_pos + size - 1, -1, head[2][3:]))
            scores.append(float(head[1]))
            if len(parts) == 3:
                t_pos += size + int(parts[1])
                q_pos += size + int(parts[2])
    blocks: dict[str, _Blocks] = {}
    by_chrom: dict[str, list[tuple[str, int, int, int, int, str]]] = {}
    for k in sorted(range(len(rows)), key=lambda k: -scores[k]):  # best-scoring chains claim bases first
        by_chrom.setdefault(rows[k][0], []).append(rows[k])
    for chrom, chrom_rows in by_chrom.items():
        kept = _drop_overlaps(chrom_rows)
        blocks[chrom] = _Blocks(
            np.array([r[1] for r in kept], dtype=np.int64), np.array([r[2] for r in kept], dtype=np.int64),
            np.array([r[3] for r in kept], dtype=np.int64), np.array([r[4] for r in kept], dtype=np.int64),
            np.array([r[5] for r in kept], dtype=object))
    return blocks


def _drop_overlaps(rows: list[tuple[str, int, int, int, int, str]]) -> list[tuple[str, int, int, int, int, str]]:
    """Keep blocks that overlap no block of a better-scoring chain (``rows`` come best chain first)."""
    starts: list[int] = []
    ends: list[int] = []
    kept: list[tuple[str, int, int, int, int, str]] = []
    for row in rows:
        start, end = row[1], row[1] + row[2]
        i = bisect.bisect_right(starts, start)
        if (i > 0 and ends[i - 1] > start) or (i < len(starts) and starts[i] < end):
            continue
        starts.insert(i, start)
        ends.insert(i, end)
        kept.insert(i, row)
    return kept
