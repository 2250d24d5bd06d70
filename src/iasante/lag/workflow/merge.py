"""Merge harmonised caller VCFs into the published VCF 4.2: support counts, genotype, CI, ISCN.

Why: SURVIVOR groups the breakpoint callers' calls (delly, lumpy, tiddit: breakpoints within 1 kb, same type);
read-depth segments from CNVkit have coarse ends, so they support a DEL/DUP by reciprocal overlap instead.
An event is published when at least ``min_support`` callers agree, or when delly alone calls it precisely
(split-read junction) with enough reads; the rule and thresholds were set on simulated patients (see
docs/lag_calling.md), never on the held-out ones. Insertion junctions from soft-clipped reads
(:mod:`iasante.lag.workflow.insertions`) are published on their own unless a caller has a breakpoint near them.

Positions are 1-based; published contig names are the reference's original ones (the work folder
uses aliases).

Usage: ``python -m iasante.lag.workflow.merge CONFIG.json``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from iasante.lag.workflow.depth import DepthBins, depth_agrees, refine_cnv_breakpoints
from iasante.lag.workflow.iscn import Cytobands, describe_event
from iasante.lag.workflow.reference import read_contig_map
from iasante.lag.workflow.svcalls import SvCall

__all__ = ["MergedEvent", "merge_calls", "write_final_vcf"]

PRIORITY = ("delly", "lumpy", "tiddit", "cnvkit", "softclip")
# An insertion junction this close to a breakpoint of any caller's SV (>= 50 bp, or a breakend) is that event's
# junction (e.g. an inversion's); smaller calls there are the insertion's own trace (lumpy: 2 bp DEL).
INS_EXCLUDE_BP, INS_EXCLUDE_MIN_BP = 1000, 50
# A CNVkit segment is published on its own only when its depth change is unambiguous: >= 5 bins (~5 kb) with a
# median log2 ratio near one copy lost (-1) or gained (+0.58).
CNV_ONLY_MIN_BINS, CNV_ONLY_LOSS, CNV_ONLY_GAIN = 5, -0.7, 0.45


@dataclass
class MergedEvent:
    """One published event: the representative call and the set of callers that support it."""

    call: SvCall
    callers: set[str] = field(default_factory=set)
    gt: str = "./."

    @property
    def support(self) -> int:
        return len(self.callers)


def _key_value(item: str) -> tuple[str, str]:
    """``KEY=VALUE`` of an INFO item; a flag maps to "1"."""
    key, sep, value = item.partition("=")
    return key, value if sep else "1"


def _read_harmonised(path: Path, caller: str) -> dict[str, SvCall]:
    """``{ID: call}`` of a VCF written by :func:`iasante.lag.workflow.svcalls.write_calls`."""
    calls: dict[str, SvCall] = {}
    for line in Path(path).read_text().splitlines():
        if line.startswith("#") or not line:
            continue
        chrom, pos, ident, _, alt, _, flt, info_text, _, gt = line.split("\t")[:10]
        info = dict(_key_value(item) for item in info_text.split(";"))
        cipos = tuple(int(v) for v in info["CIPOS"].split(","))
        ciend = tuple(int(v) for v in info["CIEND"].split(","))
        call = SvCall(
            chrom,
            int(pos),
            int(info["END"]),
            info["SVTYPE"],
            caller,
            ident,
            gt=gt,
            precise="PRECISE" in info,
            passed=flt == "PASS",
            reads=int(info.get("READS", 0)),
            cipos=(cipos[0], cipos[1]),
            ciend=(ciend[0], ciend[1]),
        )
        if call.svtype == "BND":
            call.chrom2 = info.get("CHR2", "")
            call.pos2 = int(alt.split(":")[-1].rstrip("[]N"))
        if "LOG2" in info:
            call.extra["LOG2"] = info["LOG2"]
        if call.svtype == "INS":
            call.extra["INSLEN"] = str(abs(int(info.get("SVLEN", 0))))
        calls[ident] = call
    return calls


def _overlap_fraction(a: SvCall, b: SvCall) -> float:
    """Reciprocal overlap of two intervals (1-based inclusive)."""
    inter = min(a.end, b.end) - max(a.pos, b.pos)
    if inter <= 0:
        return 0.0
    return inter / max(a.end - a.pos, b.end - b.pos, 1)


def _vcf_escape(value: str) -> str:
    """Percent-encode the characters VCF forbids in INFO values (VCF 4.3 section 1.2), e.g. ISCN's ';'.

    >>> _vcf_escape("t(9;22)(q34;q11.2)")
    't(9%3B22)(q34%3Bq11.2)'
    """
    return value.replace("%", "%25").replace(";", "%3B").replace("=", "%3D").replace(" ", "%20").replace(",", "%2C")


def _is_sv_junction(call: SvCall) -> bool:
    """A breakend, or a DEL/DUP/INV of reportable size, whose junctions may clip reads like an insertion."""
    return call.svtype == "BND" or (call.svtype in {"DEL", "DUP", "INV"} and call.size_bp >= INS_EXCLUDE_MIN_BP)


def _representative(calls: list[SvCall]) -> SvCall:
    """The call whose breakpoints we trust most: passed, precise, then caller priority, then reads."""
    return min(calls, key=lambda c: (not c.passed, not c.precise, PRIORITY.index(c.caller), -c.reads))


def _genotype(calls: list[SvCall]) -> str:
    for caller in ("delly", "tiddit", "cnvkit"):
        found = [c.gt for c in calls if c.caller == caller and c.gt not in {"./.", "0/0"}]
        if found:
            return found[0]
    return "./."


def merge_calls(
    survivor_vcf: Path,
    harmonised: dict[str, Path],
    min_support: int = 2,
    solo_min_reads: int = 10,
    cnv_overlap: float = 0.5,
    cnr: Path | None = None,
    bam: Path | None = None,
    insertions: Path | None = None,
) -> list[MergedEvent]:
    """Group calls from a SURVIVOR merge, add CNVkit depth support, and keep the supported events.

    Args:
        survivor_vcf: SURVIVOR ``merge`` output over the breakpoint callers (sample columns in caller order).
        harmonised: ``{caller: harmonised VCF}`` for every caller, CNVkit included.
        min_support: callers needed to publish an event.
        solo_min_reads: a delly call (any FILTER: its LowQual mostly flags low mapping quality in repeats)
            or an inter-chromosomal breakend of any caller with at least this many reads is published alone.
        cnv_overlap: reciprocal overlap for a CNVkit segment to support a DEL/DUP.
        cnr: CNVkit bin depths; a DEL/DUP whose inner bins show the expected depth change also counts
            CNVkit as a supporting caller (segmentation misses small or weak-contrast CNVs).
        bam: alignments; large CNVkit-only CNVs (breakpoints in repeats that no breakpoint caller maps, e.g.
            LCR-mediated 22q11.2 deletions) are published with ends refined on read starts from it.
        insertions: soft-clip insertion junctions (harmonised VCF), published alone when no call of any
            caller's SV has a breakpoint within ``INS_EXCLUDE_BP``.
    """
    by_caller = {caller: _read_harmonised(path, caller) for caller, path in harmonised.items()}
    events: list[MergedEvent] = []
    for line in Path(survivor_vcf).read_text().splitlines():
        if line.startswith("#") or not line:
            continue
        fields = line.split("\t")
        fmt = fields[8].split(":")
        members: list[SvCall] = []
        for column in fields[9:]:
            ident = dict(zip(fmt, column.split(":"), strict=False)).get("ID", "NaN")
            for calls in by_caller.values():
                if ident in calls:
                    members.append(calls[ident])
        if members:
            events.append(MergedEvent(_representative(members), {m.caller for m in members}, _genotype(members)))
    bins = DepthBins(cnr) if cnr is not None and Path(cnr).is_file() else None
    for event in events:
        if depth_agrees(bins, event.call):
            event.callers.add("cnvkit")
    for cnv in by_caller.get("cnvkit", {}).values():
        for event in events:
            if (
                event.call.svtype == cnv.svtype
                and event.call.chrom == cnv.chrom
                and _overlap_fraction(event.call, cnv) >= cnv_overlap
            ):
                event.callers.add("cnvkit")
                if event.gt == "./.":
                    event.gt = cnv.gt

    def _keep(event: MergedEvent) -> bool:
        call = event.call
        translocation = call.svtype == "BND" and call.chrom2 != call.chrom
        solo = (call.caller == "delly" or translocation) and call.reads >= solo_min_reads
        return event.support >= min_support or solo

    kept = [e for e in events if _keep(e)]
    for cnv in by_caller.get("cnvkit", {}).values():
        log2 = float(cnv.extra.get("LOG2", 0.0))
        strong = log2 <= CNV_ONLY_LOSS if cnv.svtype == "DEL" else log2 >= CNV_ONLY_GAIN
        if bam is None or cnv.reads < CNV_ONLY_MIN_BINS or not strong:
            continue
        if any(e.call.chrom == cnv.chrom and _overlap_fraction(e.call, cnv) > 0 for e in events):
            continue
        kept.append(MergedEvent(refine_cnv_breakpoints(Path(bam), cnv), {"cnvkit"}, cnv.gt))
    if insertions is not None and Path(insertions).is_file():
        svs = [c for calls in by_caller.values() for c in calls.values() if _is_sv_junction(c)]
        ends = [(c.chrom, p) for c in svs for p in (c.pos, c.end)] + [(e.call.chrom, e.call.pos) for e in kept]
        for ins in _read_harmonised(insertions, "softclip").values():
            if not any(chrom == ins.chrom and abs(p - ins.pos) <= INS_EXCLUDE_BP for chrom, p in ends):
                kept.append(MergedEvent(ins, {"softclip"}))
    return kept


def write_final_vcf(
    events: list[MergedEvent],
    fasta: Path,
    contigs_tsv: Path,
    out_vcf_gz: Path,
    sample: str,
    build: str = "GRCh37",
    cytobands: Cytobands | None = None,
) -> int:
    """Write, bgzip and tabix-index the published VCF 4.2; return the number of records."""
    import pysam

    aliases = read_contig_map(contigs_tsv)
    lengths = {row.split("\t")[0]: row.split("\t")[2] for row in Path(contigs_tsv).read_text().splitlines() if row}
    order = {alias: index for index, alias in enumerate(aliases)}
    header = [
        "##fileformat=VCFv4.2",
        "##source=iasante.lag (delly, lumpy, tiddit, cnvkit, soft-clip insertions; SURVIVOR merge)",
        f"##reference={build}",
    ]
    header += [f"##contig=<ID={aliases[a]},length={lengths[a]}>" for a in aliases]
    header += [
        f'##ALT=<ID={t},Description="{d}">'
        for t, d in (("DEL", "Deletion"), ("DUP", "Duplication"), ("INV", "Inversion"), ("INS", "Insertion"))
    ]
    header += [
        '##INFO=<ID=SVTYPE,Number=1,Type=String,Description="Type of structural variant">',
        '##INFO=<ID=END,Number=1,Type=Integer,Description="End position of the variant">',
        '##INFO=<ID=SVLEN,Number=1,Type=Integer,Description="Difference in length between REF and ALT">',
        '##INFO=<ID=CIPOS,Number=2,Type=Integer,Description="Confidence interval around POS">',
        '##INFO=<ID=CIEND,Number=2,Type=Integer,Description="Confidence interval around END">',
        '##INFO=<ID=IMPRECISE,Number=0,Type=Flag,Description="Imprecise structural variation">',
        '##INFO=<ID=SUPPORT,Number=1,Type=Integer,Description="Number of callers supporting the event">',
        '##INFO=<ID=CALLERS,Number=.,Type=String,Description="Callers supporting the event">',
        '##INFO=<ID=READS,Number=1,Type=Integer,Description="Supporting reads of the representative call">',
        '##INFO=<ID=CHR2,Number=1,Type=String,Description="Partner contig of a breakend">',
        '##INFO=<ID=POS2,Number=1,Type=Integer,Description="Partner position of a breakend">',
        f'##INFO=<ID=ISCN,Number=1,Type=String,Description="ISCN-style description ({build} cytobands), '
        'percent-encoded (%3B is ;)">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", sample]),
    ]
    rows = []
    with pysam.FastaFile(str(fasta)) as ref:
        ordered = sorted(events, key=lambda e: (order.get(e.call.chrom, 10**9), e.call.pos))
        for index, event in enumerate(ordered, start=1):
            call = event.call
            chrom = aliases.get(call.chrom, call.chrom)
            base = ref.fetch(call.chrom, call.pos - 1, call.pos).upper() or "N"
            end = call.pos if call.svtype in {"INS", "BND"} else call.end
            info = [f"SVTYPE={call.svtype}", f"END={end}"]
            if call.svtype == "BND":
                chrom2 = aliases.get(call.chrom2, call.chrom2)
                alt = f"{base}[{chrom2}:{call.pos2}["
                info += [f"CHR2={chrom2}", f"POS2={call.pos2}"]
            else:
                alt = f"<{call.svtype}>"
                size = call.size_bp
                info.append(f"SVLEN={-size if call.svtype == 'DEL' else size}")
            info += [f"CIPOS={call.cipos[0]},{call.cipos[1]}", f"CIEND={call.ciend[0]},{call.ciend[1]}"]
            if not call.precise:
                info.append("IMPRECISE")
            callers = sorted(event.callers, key=PRIORITY.index)
            iscn = describe_event(
                cytobands,
                chrom,
                call.pos + 1,
                end,
                call.svtype,
                contig2=aliases.get(call.chrom2, call.chrom2),
                pos2=call.pos2,
            )
            info += [
                f"SUPPORT={event.support}",
                f"CALLERS={','.join(callers)}",
                f"READS={call.reads}",
                f"ISCN={_vcf_escape(iscn)}",
            ]
            rows.append(
                "\t".join(
                    [
                        chrom,
                        str(call.pos),
                        f"LAG{index:05d}",
                        base,
                        alt,
                        ".",
                        "PASS",
                        ";".join(info),
                        "GT",
                        event.gt,
                    ]
                )
            )
    plain = Path(str(out_vcf_gz).removesuffix(".gz"))
    plain.write_text("\n".join(header + rows) + "\n")
    pysam.tabix_compress(str(plain), str(out_vcf_gz), force=True)
    pysam.tabix_index(str(out_vcf_gz), preset="vcf", force=True)
    plain.unlink()
    return len(rows)


def main(config_path: Path) -> None:
    """Entry point of the ``merge`` rule (all paths in one JSON file written by the rule)."""
    cfg = json.loads(Path(config_path).read_text())
    events = merge_calls(
        Path(cfg["survivor"]),
        {k: Path(v) for k, v in cfg["harmonised"].items()},
        min_support=cfg["min_support"],
        solo_min_reads=cfg["solo_min_reads"],
        cnr=Path(cfg["cnr"]) if cfg.get("cnr") else None,
        bam=Path(cfg["bam"]) if cfg.get("bam") else None,
        insertions=Path(cfg["insertions"]) if cfg.get("insertions") else None,
    )
    bands = Cytobands.from_ucsc(Path(cfg["cytoband"])) if cfg.get("cytoband") else None
    count = write_final_vcf(
        events,
        Path(cfg["fasta"]),
        Path(cfg["contigs"]),
        Path(cfg["out"]),
        cfg["sample"],
        cfg.get("build", "GRCh37"),
        bands,
    )
    print(f"{count} events published")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
