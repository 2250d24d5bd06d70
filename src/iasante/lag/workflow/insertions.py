"""Insertions of novel sequence from soft-clipped reads: a junction clipped from both sides at one position.

Why: delly, lumpy and tiddit resolve no insertion of novel sequence longer than ~100 bp (0 of 8 in the
0.1.1 benchmark). At such an insertion, reads from the left flank are clipped at their end and reads from the
right flank at their start, at the same reference position, and the clipped part (novel sequence) aligns
nowhere else, so bwa gives it no supplementary alignment (SA tag). Deletion, duplication and translocation
junctions clip the two sides at different positions and mostly carry SA tags; inversion junctions do clip
both sides at one position, but their reads without SA tag are those whose clip was too short to align
(20-30 bp), so a junction needs one clip of at least 50 bp, and the merge drops positions near any call.

Input is SAM text from ``samtools view -q 20 -F 3844 -e 'sclen >= 20 && ![SA]'``: the C filter keeps the
few candidate reads, so the per-read Python work stays small on a whole genome.

Usage: ``samtools view ... | python -m iasante.lag.workflow.insertions GENOME.fa.fai OUT.vcf``.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from iasante.lag.workflow.svcalls import SvCall, write_calls

__all__ = ["clip_junctions", "find_insertions", "MIN_CLIP_BP", "MIN_READS_PER_SIDE"]

MIN_CLIP_BP = 20
MIN_READS_PER_SIDE = 3
MIN_LONGEST_CLIP_BP = 50  # the smallest SV size reported; inversion junctions on dev simulations: <= 30 bp
WINDOW_BP = 5  # clip points of one junction scatter by a few bp (microhomology, target-site duplication)
_CIGAR = re.compile(r"(\d+)([MIDNSHP=X])")
_REF_OPS = set("MDN=X")


def clip_junctions(sam_lines: Iterable[str], min_clip_bp: int = MIN_CLIP_BP) -> Iterable[tuple[str, int, str, int]]:
    """``(contig, junction, side, clip_bp)`` per clipped read end: junction = 1-based first base after it.

    ``side`` is "R" for a read clipped at its end (it comes from the left flank), "L" at its start.

    >>> list(clip_junctions(["r\\t0\\tc\\t101\\t60\\t30S70M\\t*\\t0\\t0\\tA\\tI", "r\\t0\\tc\\t31\\t60\\t70M30S"]))
    [('c', 101, 'L', 30), ('c', 101, 'R', 30)]
    """
    for line in sam_lines:
        if line.startswith("@"):
            continue
        fields = line.split("\t", 6)
        ops = [(int(n), op) for n, op in _CIGAR.findall(fields[5])]
        if not ops:
            continue
        start = int(fields[3])
        if ops[0][1] == "S" and ops[0][0] >= min_clip_bp:
            yield fields[2], start, "L", ops[0][0]
        if ops[-1][1] == "S" and ops[-1][0] >= min_clip_bp:
            yield fields[2], start + sum(n for n, op in ops if op in _REF_OPS), "R", ops[-1][0]


def find_insertions(
    junctions: Iterable[tuple[str, int, str, int]],
    min_reads: int = MIN_READS_PER_SIDE,
    window_bp: int = WINDOW_BP,
    min_longest_clip_bp: int = MIN_LONGEST_CLIP_BP,
) -> list[SvCall]:
    """Positions clipped from both sides by at least ``min_reads`` reads each (one call per cluster).

    The call is POS = base before the junction (VCF INS convention); its INSLEN is the longest clip, a lower
    bound of the inserted length (the insertion may be longer than a read).
    """
    sides: dict[tuple[str, int], dict[str, list[int]]] = defaultdict(lambda: {"L": [], "R": []})
    for contig, junction, side, clip in junctions:
        sides[(contig, junction)][side].append(clip)
    calls: list[SvCall] = []
    for contig, junction in sorted(sides):
        near = [sides.get((contig, junction + d), {"L": [], "R": []}) for d in range(-window_bp, window_bp + 1)]
        left = [c for n in near for c in n["L"]]
        right = [c for n in near for c in n["R"]]
        here = sides[(contig, junction)]
        if min(len(left), len(right)) < min_reads or not (here["L"] or here["R"]):
            continue
        if max(left + right) < min_longest_clip_bp:
            continue
        if calls and calls[-1].chrom == contig and junction - 1 - calls[-1].pos <= window_bp:
            continue  # same cluster, first position kept
        calls.append(
            SvCall(
                chrom=contig,
                pos=junction - 1,
                end=junction - 1,
                svtype="INS",
                caller="softclip",
                ident=f"INS{len(calls):05d}",
                precise=True,
                reads=len(left) + len(right),
                cipos=(-window_bp, window_bp),
                ciend=(-window_bp, window_bp),
                extra={"INSLEN": str(max(left + right))},
            )
        )
    return calls


if __name__ == "__main__":
    found = find_insertions(clip_junctions(sys.stdin))
    write_calls(found, Path(sys.argv[1]), Path(sys.argv[2]), sample="softclip")
    print(f"{len(found)} insertion junctions", file=sys.stderr)
