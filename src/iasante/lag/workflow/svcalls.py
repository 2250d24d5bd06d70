"""Harmonise each caller's output into one vocabulary of SV calls, written as a simple VCF for SURVIVOR.

Why: delly, lumpy, tiddit and CNVkit disagree on how they spell the same event (``DUP:TANDEM``, intra-contig
BND pairs for inversions or duplications, two INV records per inversion, CNV segments). Merging works only if
each caller first states every event once, with standard SVTYPE/END/SVLEN.

Positions are 1-based (VCF); END is the last affected base. CNVkit segments (0-based half-open ``.cns``) are
converted here.

Usage: ``python -m iasante.lag.workflow.svcalls GENOME.fa.fai CALLER=INPUT=OUT.vcf ...`` with CALLER one of
delly, lumpy, tiddit, cnvkit.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["SvCall", "read_caller", "write_calls", "CALLERS"]

CALLERS = ("delly", "lumpy", "tiddit", "cnvkit")
_BND = re.compile(r"([\[\]])(.+):(\d+)([\[\]])")
# CNVkit log2 thresholds for one/three copies in a diploid sample (CNVkit ``call -m threshold`` defaults are
# -1.1/-0.25/0.2/0.7; we use the midpoints between log2(1/2)=-1, log2(2/2)=0 and log2(3/2)=0.58).
LOG2_LOSS, LOG2_GAIN = -0.5, 0.3


@dataclass
class SvCall:
    """One event from one caller (1-based POS, END = last affected base; BND: chrom2/pos2 is the mate)."""

    chrom: str
    pos: int
    end: int
    svtype: str
    caller: str
    ident: str
    gt: str = "./."
    precise: bool = False
    passed: bool = True
    reads: int = 0
    cipos: tuple[int, int] = (0, 0)
    ciend: tuple[int, int] = (0, 0)
    chrom2: str = ""
    pos2: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def size_bp(self) -> int:
        """Length in bp (INS: inserted length when known, else 0)."""
        return int(self.extra.get("INSLEN", 0)) if self.svtype == "INS" else self.end - self.pos


def _bnd_to_intra(pos: int, alt: str) -> tuple[str, int] | None:
    """Type of an intra-contig BND seen from its first breakend (VCF 4.2 bracket notation), with its END."""
    match = _BND.search(alt)
    if not match:
        return None
    mate = int(match.group(3))
    if mate <= pos:
        return None
    before = alt.startswith(("[", "]"))
    bracket = match.group(1)
    if not before and bracket == "[":
        return "DEL", mate - 1  # t[p[ : 3'->5' join, the bases between are lost
    if before and bracket == "]":
        return "DUP", mate  # ]p]t : tandem duplication junction
    return "INV", mate


def _number(value: object) -> int:
    """Integer of an INFO value that may be missing or a tuple (lumpy's Number=. fields)."""
    if value is None:
        return 0
    if isinstance(value, tuple):
        return int(sum(v for v in value if v is not None))
    return int(float(str(value)))


def _gt(record: object) -> str:
    samples = getattr(record, "samples", None)
    if not samples:
        return "./."
    value = samples[0].get("GT")
    if not value or None in value:
        return "./."
    return "/".join(str(a) for a in sorted(value))


def _read_vcf(path: Path, caller: str) -> list[SvCall]:
    import pysam

    calls: list[SvCall] = []
    with pysam.VariantFile(str(path)) as vcf:
        known = set(vcf.header.info)
        for rec in vcf:
            raw = rec.info
            info = {key: raw[key] for key in known if key in raw}
            svtype = str(info.get("SVTYPE", "")).split(":")[0]
            if info.get("SECONDARY"):
                continue
            end = int(info.get("END", rec.stop))
            chrom2, pos2 = "", 0
            alt = rec.alts[0] if rec.alts else ""
            if svtype == "BND":
                match = _BND.search(alt)
                if not match:
                    continue
                chrom2, pos2 = match.group(2), int(match.group(3))
                if chrom2 == rec.chrom:
                    converted = _bnd_to_intra(rec.pos, alt)
                    if converted is None:
                        continue  # the mate record of a pair already seen
                    svtype, end = converted
                    chrom2, pos2 = "", 0
                elif (chrom2, pos2) < (rec.chrom, rec.pos):
                    continue
            if svtype not in {"DEL", "DUP", "INV", "INS", "BND"}:
                continue
            filters = list(rec.filter.keys())
            keys = {"lumpy": ("SU",), "tiddit": ("LTE",)}.get(caller, ("PE", "SR"))
            reads = sum(_number(info.get(key)) for key in keys)
            call = SvCall(
                chrom=rec.chrom,
                pos=rec.pos,
                end=end,
                svtype=svtype,
                caller=caller,
                ident=str(rec.id or ""),
                gt=_gt(rec),
                precise=not info.get("IMPRECISE", False) and caller != "tiddit",
                passed=not filters or filters == ["PASS"],
                reads=reads,
                cipos=tuple(info.get("CIPOS", (0, 0))),
                ciend=tuple(info.get("CIEND", (0, 0))),
                chrom2=chrom2,
                pos2=pos2,
            )
            if svtype == "INS":
                call.end = call.pos
                call.extra["INSLEN"] = str(abs(int(info.get("SVLEN", 0) or info.get("INSLEN", 0) or 0)))
            calls.append(call)
    return calls


def _bin_log2(cnr: Path) -> dict[str, list[tuple[int, int, float]]]:
    """``{chrom: [(start, end, log2)]}`` of a CNVkit ``.cnr`` bin table (0-based half-open)."""
    bins: dict[str, list[tuple[int, int, float]]] = {}
    lines = Path(cnr).read_text().splitlines()
    columns = lines[0].split("\t")
    for line in lines[1:]:
        row = dict(zip(columns, line.split("\t"), strict=True))
        bins.setdefault(row["chromosome"], []).append((int(row["start"]), int(row["end"]), float(row["log2"])))
    return bins


def _read_cns(path: Path, min_bins: int = 3) -> list[SvCall]:
    """CNV calls from a CNVkit ``.cns`` segment table (0-based half-open) with >= ``min_bins`` bins.

    The segment's log2 is recomputed as the median of its bins (from the sibling ``.cnr``): CNVkit's weighted
    mean is dragged far down by a few empty bins of a homozygous deletion, which turns a mostly normal
    segment into a false one-copy loss.
    """
    import statistics

    lines = Path(path).read_text().splitlines()
    columns = lines[0].split("\t")
    cnr = Path(path).with_suffix(".cnr")
    bins_by_chrom = _bin_log2(cnr) if cnr.is_file() else {}
    calls = []
    for number, line in enumerate(lines[1:]):
        row = dict(zip(columns, line.split("\t"), strict=True))
        log2, bins = float(row["log2"]), int(row.get("probes", min_bins))
        start, end = int(row["start"]), int(row["end"])
        inside = [v for s, e, v in bins_by_chrom.get(row["chromosome"], []) if s >= start and e <= end]
        if inside:
            log2 = statistics.median(inside)
        if bins < min_bins or LOG2_LOSS < log2 < LOG2_GAIN:
            continue
        svtype = "DEL" if log2 <= LOG2_LOSS else "DUP"
        gt = "1/1" if svtype == "DEL" and log2 < -2 else "0/1"
        calls.append(
            SvCall(
                chrom=row["chromosome"],
                pos=start + 1,
                end=end,
                svtype=svtype,
                caller="cnvkit",
                ident=f"cnvkit{number}",
                gt=gt,
                reads=bins,
                cipos=(-500, 500),
                ciend=(-500, 500),
                extra={"LOG2": f"{log2:.3f}"},
            )
        )
    return calls


def _collapse(calls: list[SvCall], distance_bp: int = 1000) -> list[SvCall]:
    """Collapse same-type calls of one caller whose both breakpoints lie within ``distance_bp``.

    Why: delly and others report an inversion as two records (3to3 and 5to5 junctions).
    """
    kept: list[SvCall] = []
    for call in sorted(calls, key=lambda c: (c.chrom, c.pos, -c.reads)):
        twin = next(
            (
                k
                for k in kept
                if k.svtype == call.svtype
                and k.chrom == call.chrom
                and abs(k.pos - call.pos) <= distance_bp
                and abs(k.end - call.end) <= distance_bp
            ),
            None,
        )
        if twin is None:
            kept.append(call)
        else:
            twin.reads += call.reads
            twin.passed = twin.passed or call.passed
    return kept


def read_caller(caller: str, path: Path) -> list[SvCall]:
    """All harmonised calls of one caller's output file."""
    calls = _read_cns(path) if caller == "cnvkit" else _read_vcf(path, caller)
    return _collapse(calls)


def write_calls(calls: list[SvCall], fai: Path, path: Path, sample: str) -> None:
    """Write calls as a sorted VCF 4.2 that SURVIVOR reads (symbolic ALTs; BND in bracket notation)."""
    contigs = [row.split("\t")[:2] for row in Path(fai).read_text().splitlines() if row]
    order = {name: index for index, (name, _) in enumerate(contigs)}
    lines = ["##fileformat=VCFv4.2"] + [f"##contig=<ID={n},length={length}>" for n, length in contigs]
    lines += [
        '##INFO=<ID=SVTYPE,Number=1,Type=String,Description="Type of structural variant">',
        '##INFO=<ID=END,Number=1,Type=Integer,Description="End position">',
        '##INFO=<ID=SVLEN,Number=1,Type=Integer,Description="Length">',
        '##INFO=<ID=CIPOS,Number=2,Type=Integer,Description="Confidence interval around POS">',
        '##INFO=<ID=CIEND,Number=2,Type=Integer,Description="Confidence interval around END">',
        '##INFO=<ID=CHR2,Number=1,Type=String,Description="Mate contig">',
        '##INFO=<ID=READS,Number=1,Type=Integer,Description="Supporting reads (CNVkit: bins)">',
        '##INFO=<ID=PRECISE,Number=0,Type=Flag,Description="Base-pair resolution">',
        '##INFO=<ID=LOG2,Number=1,Type=Float,Description="CNVkit median bin log2 ratio">',
        '##FILTER=<ID=LowQual,Description="Caller did not pass the call">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", sample]),
    ]
    for call in sorted(calls, key=lambda c: (order.get(c.chrom, 10**9), c.pos)):
        if call.svtype == "BND":
            alt, svlen = f"N[{call.chrom2}:{call.pos2}[", 0
        else:
            alt = f"<{call.svtype}>"
            svlen = -call.size_bp if call.svtype == "DEL" else call.size_bp
        info = [
            f"SVTYPE={call.svtype}",
            f"END={call.end if call.svtype != 'BND' else call.pos}",
            f"SVLEN={svlen}",
            f"CIPOS={call.cipos[0]},{call.cipos[1]}",
            f"CIEND={call.ciend[0]},{call.ciend[1]}",
            f"READS={call.reads}",
        ]
        if call.svtype == "BND":
            info.append(f"CHR2={call.chrom2}")
        if call.precise:
            info.append("PRECISE")
        if "LOG2" in call.extra:
            info.append(f"LOG2={call.extra['LOG2']}")
        ident = f"{call.caller}_{call.ident or len(lines)}".replace(";", "_")
        lines.append(
            "\t".join(
                [
                    call.chrom,
                    str(call.pos),
                    ident,
                    "N",
                    alt,
                    ".",
                    "PASS" if call.passed else "LowQual",
                    ";".join(info),
                    "GT",
                    call.gt,
                ]
            )
        )
    Path(path).write_text("\n".join(lines) + "\n")


def _main(argv: list[str]) -> None:
    """``svcalls.py GENOME.fa.fai CALLER=RAW=OUT.vcf ...``: harmonise every caller in one process."""
    fai = Path(argv[0])
    for spec in argv[1:]:
        name, source, target = spec.split("=", 2)
        write_calls(read_caller(name, Path(source)), fai, Path(target), sample=name)


if __name__ == "__main__":
    _main(sys.argv[1:])
