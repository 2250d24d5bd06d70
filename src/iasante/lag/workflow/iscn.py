"""ISCN 2020-style descriptions of SV/CNV events from cytogenetic bands.

Why: clinicians and cytogeneticists read events as ``del(22)(q11.21q11.21)``, not as coordinates.

Coordinates are 1-based inclusive on the named build (UCSC cytoband tables are 0-based half-open and are
converted here). Contigs named like ``22:20000001-21000000`` (a slice, as in the shipped chr22 reference) are
mapped back to chromosome ``22`` with an offset of 20,000,000 bp.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Cytobands", "locate_contig", "describe_event"]

_SLICE = re.compile(r"^(?:chr)?([0-9XYM]+|MT)[:_](\d+)[-_](\d+)$", re.IGNORECASE)


def locate_contig(contig: str) -> tuple[str, int]:
    """Return (chromosome without 'chr', offset in bp) for a contig name.

    >>> locate_contig("22:20000001-21000000")
    ('22', 20000000)
    >>> locate_contig("chrX")
    ('X', 0)
    """
    match = _SLICE.match(contig)
    if match:
        return match.group(1).upper(), int(match.group(2)) - 1
    name = contig[3:] if contig.lower().startswith("chr") else contig
    return name.upper() if name.lower() in {"x", "y", "m", "mt"} else name, 0


@dataclass
class Cytobands:
    """Band lookup for one build: ``{chrom: (starts, ends, names)}`` with 0-based half-open bands."""

    bands: dict[str, tuple[list[int], list[int], list[str]]]

    @classmethod
    def from_ucsc(cls, path: Path) -> Cytobands:
        """Read a UCSC ``cytoBand`` table (chrom, start, end, band, stain; optional '#' header)."""
        table: dict[str, tuple[list[int], list[int], list[str]]] = {}
        for line in Path(path).read_text().splitlines():
            if not line or line.startswith("#"):
                continue
            chrom, start, end, name = line.split("\t")[:4]
            key = chrom[3:] if chrom.startswith("chr") else chrom
            starts, ends, names = table.setdefault(key, ([], [], []))
            starts.append(int(start))
            ends.append(int(end))
            names.append(name)
        return cls(table)

    def band(self, chrom: str, pos_1based: int) -> str | None:
        """Band name (e.g. 'q11.21') holding a 1-based position, or None when unknown."""
        if chrom not in self.bands:
            return None
        starts, ends, names = self.bands[chrom]
        index = bisect.bisect_right(starts, pos_1based - 1) - 1
        if index < 0 or pos_1based - 1 >= ends[index]:
            return None
        return names[index]


_PREFIX = {"DEL": "del", "DUP": "dup", "INV": "inv", "INS": "ins"}


def describe_event(
    cytobands: Cytobands | None,
    contig: str,
    start: int,
    end: int,
    svtype: str,
    contig2: str = "",
    pos2: int = 0,
) -> str:
    """ISCN-style short description of an event (1-based inclusive start/end on ``contig``).

    >>> bands = Cytobands({"22": ([17900000], [22200000], ["q11.21"])})
    >>> describe_event(bands, "22:20000001-21000000", 34725, 37354, "DEL")
    'del(22)(q11.21q11.21)'
    """
    chrom, offset = locate_contig(contig)

    def _band(c: str, p: int) -> str:
        found = cytobands.band(c, p) if cytobands else None
        return found or "?"

    if svtype == "BND":
        chrom2, offset2 = locate_contig(contig2)
        if chrom2 == chrom:
            return f"der({chrom})({_band(chrom, start + offset)}{_band(chrom, pos2 + offset2)})"
        pairs = sorted(
            [(chrom, _band(chrom, start + offset)), (chrom2, _band(chrom2, pos2 + offset2))],
            key=lambda item: _chrom_rank(item[0]),
        )
        return f"t({pairs[0][0]};{pairs[1][0]})({pairs[0][1]};{pairs[1][1]})"
    prefix = _PREFIX.get(svtype, svtype.lower())
    first = _band(chrom, start + offset)
    if svtype == "INS":
        return f"{prefix}({chrom})({first})"
    return f"{prefix}({chrom})({first}{_band(chrom, end + offset)})"


def _chrom_rank(chrom: str) -> tuple[int, str]:
    return (int(chrom), "") if chrom.isdigit() else (100, chrom)
