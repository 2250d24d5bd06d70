"""Score SV calls against a truth set: truvari bench for DEL/DUP/INV and INS, breakend matching for TRA.

Why: one scoring routine for the simulation kit, the ``evaluate`` command and the benchmark, so a number in
the docs is reproducible with ``iasante lag evaluate``. Positions are VCF 1-based.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from iasante.core.errors import ExternalToolError, InputDataError

__all__ = ["score_calls"]

_MAIN_TYPES = ("DEL", "DUP", "INV")


def _subset_vcf(source: Path, svtypes: tuple[str, ...], target: Path) -> int:
    """Copy the records of some SV types into a bgzipped, indexed VCF; return their number."""
    import pysam

    count = 0
    with pysam.VariantFile(str(source)) as vcf, pysam.VariantFile(str(target), "wz", header=vcf.header) as out:
        for rec in vcf:
            if str(rec.info.get("SVTYPE", "")) in svtypes:
                out.write(rec)
                count += 1
    pysam.tabix_index(str(target), preset="vcf", force=True)
    return count


def _types_in(path: Path) -> list[str]:
    import pysam

    if not path.exists():
        return []
    with pysam.VariantFile(str(path)) as vcf:
        return [str(rec.info.get("SVTYPE", "")) for rec in vcf]


def _metrics(tp_base: int, tp_comp: int, fp: int, n_base: int, n_comp: int) -> dict[str, float]:
    precision = tp_comp / (tp_comp + fp) if tp_comp + fp else float("nan")
    recall = tp_base / n_base if n_base else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "TP": tp_base,
        "FP": fp,
        "FN": n_base - tp_base,
        "truth": n_base,
        "calls": n_comp,
    }


def _truvari(base: Path, comp: Path, out: Path, ins: bool) -> None:
    """Run ``truvari bench`` into ``out`` (its tp/fp/fn VCFs are read back by the caller)."""
    if out.exists():
        shutil.rmtree(out)
    cmd = [sys.executable, "-m", "truvari", "bench", "-b", str(base), "-c", str(comp), "-o", str(out)]
    cmd += ["--pctseq", "0", "--sizemax", "-1", "--refdist", "500", "--sizemin", "50"]
    cmd += ["--pctsize", "0", "--sizefilt", "0"] if ins else ["--pctsize", "0.7", "--sizefilt", "30"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ExternalToolError(f"truvari bench failed: {proc.stderr[-500:]}")


def score_calls(calls_vcf: Path, truth_vcf: Path, out_dir: Path) -> dict[str, dict[str, float]]:
    """Score calls against a truth VCF with truvari bench: DEL+DUP+INV together and per type, INS apart.

    Matching: breakpoints within 500 bp, size similarity >= 0.7 and same SVTYPE (insertions: position only,
    since short-read callers rarely resolve the inserted length), sequence ignored (symbolic alleles), no size
    cap. Per-type figures are read back from truvari's tp/fp/fn VCFs of the combined run; translocations
    (inter-contig breakends) match when both ends lie within 500 bp.

    Returns:
        ``{group: {"precision", "recall", "f1", "TP", "FP", "FN", "truth", "calls"}}`` for the groups
        DEL_DUP_INV, DEL, DUP, INV, INS and TRA (a group is left out when neither file has such records).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in (calls_vcf, truth_vcf):
        if not Path(path).is_file():
            raise InputDataError(f"{path}: file not found")
    summary: dict[str, dict[str, float]] = {}
    for group, svtypes in (("DEL_DUP_INV", _MAIN_TYPES), ("INS", ("INS",))):
        base, comp = out_dir / f"truth.{group}.vcf.gz", out_dir / f"calls.{group}.vcf.gz"
        try:
            n_base, n_comp = _subset_vcf(Path(truth_vcf), svtypes, base), _subset_vcf(Path(calls_vcf), svtypes, comp)
        except (OSError, ValueError) as exc:
            raise InputDataError(f"{calls_vcf} or {truth_vcf}: unreadable VCF ({exc})") from exc
        if n_base == 0 and n_comp == 0:
            continue
        bench = out_dir / f"bench.{group}"
        if n_base and n_comp:
            _truvari(base, comp, bench, ins=group == "INS")
        kinds = {name: _types_in(bench / f"{name}.vcf.gz") for name in ("tp-base", "tp-comp", "fp")}
        truth_types, call_types = _types_in(base), _types_in(comp)
        if not (n_base and n_comp):
            kinds["fp"] = call_types
        for name, types in ((group, svtypes), *(((t, (t,)) for t in svtypes) if len(svtypes) > 1 else ())):
            count = {key: sum(v in types for v in values) for key, values in kinds.items()}
            n_b, n_c = sum(v in types for v in truth_types), sum(v in types for v in call_types)
            if n_b or n_c:
                summary[name] = _metrics(count["tp-base"], count["tp-comp"], count["fp"], n_b, n_c)
    translocations = _score_breakends(Path(calls_vcf), Path(truth_vcf))
    if translocations is not None:
        summary["TRA"] = translocations
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=1))
    return summary


def _breakends(path: Path) -> list[tuple[str, int, str, int]]:
    """Inter-contig breakends (contig, pos, mate contig, mate pos) of a VCF, each pair once, sorted ends."""
    import pysam

    found = set()
    with pysam.VariantFile(str(path)) as vcf:
        for rec in vcf:
            alt = rec.alts[0] if rec.alts else ""
            if str(rec.info.get("SVTYPE", "")) != "BND" or ":" not in alt:
                continue
            mate, mate_pos = alt.strip("ACGTNacgtn[]").rsplit(":", 1)
            if mate != rec.chrom:
                found.add(tuple(sorted([(rec.chrom, rec.pos), (mate, int(mate_pos))])))
    return [(a[0], a[1], b[0], b[1]) for a, b in found]


def _score_breakends(calls_vcf: Path, truth_vcf: Path, distance_bp: int = 500) -> dict[str, float] | None:
    """Translocations: a call matches a truth pair when both ends are on the same contigs within 500 bp."""
    truth, calls = _breakends(truth_vcf), _breakends(calls_vcf)
    if not truth and not calls:
        return None

    def _match(a: tuple[str, int, str, int], b: tuple[str, int, str, int]) -> bool:
        return a[0] == b[0] and a[2] == b[2] and abs(a[1] - b[1]) <= distance_bp and abs(a[3] - b[3]) <= distance_bp

    tp_base = sum(any(_match(t, c) for c in calls) for t in truth)
    tp_comp = sum(any(_match(t, c) for t in truth) for c in calls)
    return _metrics(tp_base, tp_comp, len(calls) - tp_comp, len(truth), len(calls))
