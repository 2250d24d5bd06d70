"""Benchmark of the LAG SV/CNV calling workflow (issue 7) on simulated patients of the real chr22 slice.

For each patient (planted DEL/DUP/INV of 1-100 kb plus insertions, 30x paired 150 bp reads, wgsim/ART/dwgsim in
turn) it measures, in the same run and in alternating order (baseline first for even patients, workflow first
for odd ones, so that load drift on the shared machine does not favour either):
  * the full workflow (``run_calling``: input checks, reference index, bwa+markdup, delly, lumpy, tiddit, CNVkit,
    SURVIVOR merge, VCF, QC) - wall time, CPU time (all child processes) and peak memory;
  * the baseline "bwa + delly alone" (reference index, bwa mem | samtools sort, index, delly call), with the same
    bwa/sort threads; both build the reference index inside the timing (the CLI contract builds it when missing);
  * accuracy with truvari (DEL+DUP+INV, per type, insertions apart), pooled over patients with 95% bootstrap
    CIs over events;
  * the wall time of every rule (Snakemake ``benchmark:`` files), median over patients.
The first ``--scale-patients`` patients (default 2) are then re-simulated at ``--scale-coverage`` (default 90x,
three times the reads) and both are timed again: the ratios there and the slopes between the two coverages show
the cost that grows with the data, i.e. the ratio to bwa + delly on a whole genome, where fixed start-up
costs (Snakemake, Python, R, CNVkit imports) vanish.

Usage: ``.venv/bin/python benchmarks/bench_lag_calling.py [--patients 4] [--seed 300]``; writes
``bench-results/lag_calling/{summary,params,per_case}.json`` and ``log.txt``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from iasante.core.config import get_settings
from iasante.lag.calling import run_calling
from iasante.lag.simulate import score_calls, simulate_patient

REPO = Path(__file__).resolve().parents[1]
SIMULATORS = ("wgsim", "art", "dwgsim")
COUNTS = {"DEL": 4, "DUP": 4, "INV": 4, "INS": 2}
HUMAN_GENOME_MB = 3100


def _log(handle: object, message: str) -> None:
    print(message, flush=True)
    handle.write(message + "\n")  # type: ignore[attr-defined]
    handle.flush()  # type: ignore[attr-defined]


def _baseline(reference: Path, r1: Path, r2: Path, work: Path, threads: int) -> dict[str, float]:
    """bwa mem + samtools sort + delly call, the comparison point the issue names; wall s and peak RSS MB."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    ref = work / "ref.fa"
    started, cpu0 = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    script = (
        f"zcat -f {reference} | sed 's/^>\\([^:]*\\):\\([0-9]*\\)-\\([0-9]*\\)/>\\1_\\2_\\3/' > {ref}"
        f" && samtools faidx {ref} && bwa index {ref} 2>/dev/null"
        f" && bwa mem -t {threads} {ref} {r1} {r2} 2>/dev/null | samtools sort -@ {threads} -o {work}/b.bam -"
        f" && samtools index {work}/b.bam && delly call -g {ref} -o {work}/d.bcf {work}/b.bam > /dev/null 2>&1"
    )
    rss_file = work / "rss.txt"
    subprocess.run(
        ["/usr/bin/time", "-f", "%M", "-o", str(rss_file), "bash", "-o", "pipefail", "-c", script], check=True
    )
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "wall_s": time.monotonic() - started,
        "cpu_s": (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime),
        "peak_rss_mb": int(rss_file.read_text().split()[-1]) / 1024,  # GNU time: max RSS of the tree's largest
    }


def _workflow(reference: Path, r1: Path, r2: Path, out: Path, sample: str, cores: int) -> dict:
    """The whole workflow through ``run_calling``: wall s, CPU s of all child processes, peak RSS MB, per rule."""
    shutil.rmtree(out, ignore_errors=True)
    started, cpu0 = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run_calling(reference, out, fastq=[r1, r2], sample=sample, cores=cores)
    wall, cpu1 = time.monotonic() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
    rules: dict[str, dict[str, float]] = {}
    for path in (Path(result["work_dir"]) / "benchmarks").glob("*.tsv"):
        with open(path) as handle:
            row = next(csv.DictReader(handle, delimiter="\t"))
        rules[path.name.split(".")[0]] = {"wall_s": float(row["s"]), "max_rss_mb": float(row.get("max_rss") or 0)}
    return {
        "result": result,
        "wall_s": wall,
        "cpu_s": (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime),
        "peak_rss_mb": max((r["max_rss_mb"] for r in rules.values()), default=0.0),
        "rules": rules,
    }


def _timed_pair(reference: Path, r1: Path, r2: Path, work: Path, sample: str, cores: int, workflow_first: bool):
    """Baseline and workflow on the same reads, in the order given."""
    if workflow_first:
        flow = _workflow(reference, r1, r2, work / f"{sample}_out", sample, cores)
        return _baseline(reference, r1, r2, work / f"{sample}_baseline", cores), flow
    base = _baseline(reference, r1, r2, work / f"{sample}_baseline", cores)
    return base, _workflow(reference, r1, r2, work / f"{sample}_out", sample, cores)


def _outcomes(eval_dir: Path) -> dict[str, list[int]]:
    """Per-event outcomes from truvari's VCFs: truth events (1 found, 0 missed), calls (1 true, 0 false)."""
    import pysam

    def count(name: str) -> int:
        path = eval_dir / "bench.DEL_DUP_INV" / f"{name}.vcf.gz"
        return sum(1 for _ in pysam.VariantFile(str(path))) if path.exists() else 0

    return {"truth": [1] * count("tp-base") + [0] * count("fn"), "calls": [1] * count("tp-comp") + [0] * count("fp")}


def _bootstrap(values: list[int], rng: np.random.Generator, n: int = 2000) -> list[float]:
    if not values:
        return [float("nan"), float("nan")]
    array = np.asarray(values)
    means = array[rng.integers(0, len(array), size=(n, len(array)))].mean(axis=1)
    return [round(float(np.quantile(means, 0.025)), 4), round(float(np.quantile(means, 0.975)), 4)]


def _scale_pair(reference: Path, args: argparse.Namespace, case: dict, workflow_first: bool) -> dict[str, float]:
    """One patient re-simulated at ``--scale-coverage`` and timed again (baseline and workflow).

    Why: on 1 Mb, fixed costs (Snakemake, tool and Python start-up) dominate; on a 30x genome only the cost
    that grows with the reads matters: the ratio at the higher coverage and the ratio of the slopes between
    the two coverages show it.
    """
    sample = f"{case['sample']}x{args.scale_coverage:g}"
    sim = simulate_patient(
        reference,
        args.work / sample,
        sample,
        COUNTS,
        coverage=args.scale_coverage,
        simulator=case["simulator"],
        seed=case["seed"],
    )
    r1, r2 = (Path(p) for p in sim["fastq"])  # type: ignore[union-attr]
    base, flow = _timed_pair(reference, r1, r2, args.work, sample, args.cores, workflow_first)
    d_cov = args.scale_coverage - args.coverage
    return {
        "sample": sample,
        "workflow_first": workflow_first,
        "workflow_wall_s": round(flow["wall_s"], 1),
        "workflow_cpu_s": round(flow["cpu_s"], 1),
        "baseline_wall_s": round(base["wall_s"], 1),
        "baseline_cpu_s": round(base["cpu_s"], 1),
        "ratio_wall": round(flow["wall_s"] / base["wall_s"], 3),
        "ratio_cpu": round(flow["cpu_s"] / base["cpu_s"], 3),
        "workflow_cpu_slope": (flow["cpu_s"] - case["workflow_cpu_s"]) / d_cov,
        "baseline_cpu_slope": (base["cpu_s"] - case["baseline_cpu_s"]) / d_cov,
        "workflow_wall_slope": (flow["wall_s"] - case["workflow_wall_s"]) / d_cov,
        "baseline_wall_slope": (base["wall_s"] - case["baseline_wall_s"]) / d_cov,
        "workflow_peak_rss_mb": flow["peak_rss_mb"],
        "rules": flow["rules"],
    }


def _scale_summary(pairs: list[dict], args: argparse.Namespace) -> dict[str, object]:
    """Medians over the scale pairs: ratios at the higher coverage, slopes (s per x per Mb), projections."""

    def median(key: str) -> float:
        return float(np.median([pair[key] for pair in pairs]))

    wf_cpu, base_cpu, wf_wall, base_wall = (
        median(f"{who}_{what}_slope")
        for who, what in (("workflow", "cpu"), ("baseline", "cpu"), ("workflow", "wall"), ("baseline", "wall"))
    )
    per_genome = 30 * HUMAN_GENOME_MB / 3600  # hours per (s per x per Mb) for a 30x human genome
    return {
        "scale_coverage": args.scale_coverage,
        "scale_pairs": [{k: v for k, v in pair.items() if k != "rules"} for pair in pairs],
        "scale_ratio_wall_median": round(median("ratio_wall"), 2),
        "scale_ratio_cpu_median": round(median("ratio_cpu"), 2),
        "workflow_cpu_s_per_x_per_mb": round(wf_cpu, 3),
        "baseline_cpu_s_per_x_per_mb": round(base_cpu, 3),
        "workflow_wall_s_per_x_per_mb": round(wf_wall, 3),
        "baseline_wall_s_per_x_per_mb": round(base_wall, 3),
        "ratio_at_scale_cpu_marginal": _ratio(wf_cpu, base_cpu),
        "ratio_at_scale_wall_marginal": _ratio(wf_wall, base_wall),
        "projected_30x_human_cpu_hours_marginal": round(wf_cpu * per_genome, 1),
        "projected_30x_human_wall_hours_2cores_marginal": round(wf_wall * per_genome, 1),
        "projected_30x_human_baseline_wall_hours_2cores_marginal": round(base_wall * per_genome, 1),
        "scale_workflow_peak_rss_mb": max(pair["workflow_peak_rss_mb"] for pair in pairs),
        "scale_rules": _rule_profile(pairs),
    }


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 2) if denominator > 0 else None


def _rule_profile(cases: list[dict]) -> dict[str, dict[str, float]]:
    """Median wall s and max RSS MB of every rule over the patients (where the workflow's time goes)."""
    profile = {}
    for name in sorted({name for case in cases for name in case["rules"]}):
        rows = [case["rules"][name] for case in cases if name in case["rules"]]
        profile[name] = {
            "wall_s_median": round(float(np.median([row["wall_s"] for row in rows])), 2),
            "max_rss_mb": round(max(row["max_rss_mb"] for row in rows), 1),
        }
    return profile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=3)
    parser.add_argument("--seed", type=int, default=300)  # dev: 1, 5, 11-14, 100-101; v0.1.0 test: 200-203
    parser.add_argument("--coverage", type=float, default=30.0)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--scale-coverage", type=float, default=90.0, help="second coverage (0 = skip)")
    parser.add_argument("--scale-patients", type=int, default=2, help="patients re-run at --scale-coverage")
    parser.add_argument("--work", type=Path, default=Path("/tmp/lag_calling_bench"))
    parser.add_argument("--out", type=Path, default=REPO / "bench-results" / "lag_calling")
    args = parser.parse_args()
    data_dir = get_settings().data_dir
    if data_dir is None:
        sys.exit("no data dir (IASANTE_DATA_DIR)")
    reference = data_dir / "genomics" / "reference" / "hisat2_example_22_20-21M.GRCh37.fa.gz"
    ref_mb = 1.0
    args.out.mkdir(parents=True, exist_ok=True)
    log = open(args.out / "log.txt", "w")
    cases, truth_outcomes, call_outcomes, ins = [], [], [], {"found": 0, "truth": 0}
    for index in range(args.patients):
        seed, simulator = args.seed + index, SIMULATORS[index % len(SIMULATORS)]
        sample = f"BENCH{seed}"
        sim = simulate_patient(
            reference, args.work / sample, sample, COUNTS, coverage=args.coverage, simulator=simulator, seed=seed
        )
        r1, r2 = (Path(p) for p in sim["fastq"])  # type: ignore[union-attr]
        base, flow = _timed_pair(reference, r1, r2, args.work, sample, args.cores, workflow_first=index % 2 == 1)
        result, wall = flow["result"], flow["wall_s"]
        scores = score_calls(Path(result["sv_vcf_gz"]), Path(str(sim["truth_vcf"])), args.work / f"{sample}_eval")
        outcomes = _outcomes(args.work / f"{sample}_eval")
        truth_outcomes += outcomes["truth"]
        call_outcomes += outcomes["calls"]
        ins["found"] += int(scores.get("INS", {}).get("TP", 0))
        ins["truth"] += int(scores.get("INS", {}).get("truth", 0))
        case = {
            "sample": sample,
            "seed": seed,
            "simulator": simulator,
            "workflow_first": index % 2 == 1,
            "workflow_wall_s": round(wall, 1),
            "workflow_cpu_s": round(flow["cpu_s"], 1),
            "workflow_peak_rss_mb": flow["peak_rss_mb"],
            "baseline_wall_s": round(base["wall_s"], 1),
            "baseline_cpu_s": round(base["cpu_s"], 1),
            "baseline_peak_rss_mb": round(base["peak_rss_mb"], 1),
            "ratio_wall": round(wall / base["wall_s"], 2),
            "ratio_cpu": round(flow["cpu_s"] / base["cpu_s"], 2),
            "rules": flow["rules"],
            "scores": scores,
            "qc": result["qc"],
        }
        cases.append(case)
        _log(
            log,
            json.dumps({k: v for k, v in case.items() if k not in {"scores", "qc", "rules"}})
            + f" DEL_DUP_INV={scores.get('DEL_DUP_INV')}",
        )
    pairs = [
        _scale_pair(reference, args, case, workflow_first=index % 2 == 1)
        for index, case in enumerate(cases[: args.scale_patients] if args.scale_coverage else [])
    ]
    for pair in pairs:
        _log(log, json.dumps({k: v for k, v in pair.items() if k != "rules"}))
    scale = _scale_summary(pairs, args) if pairs else {}
    rng = np.random.default_rng(args.seed)
    walls = np.array([c["workflow_wall_s"] for c in cases])
    base_walls = np.array([c["baseline_wall_s"] for c in cases])
    cpu = np.array([c["workflow_cpu_s"] for c in cases])
    base_cpu = np.array([c["baseline_cpu_s"] for c in cases])
    precision = float(np.mean(call_outcomes)) if call_outcomes else float("nan")
    recall = float(np.mean(truth_outcomes)) if truth_outcomes else float("nan")
    summary = {
        "task": "SV/CNV calling, FASTQ to merged VCF, 30x on 1 Mb of chr22 (GRCh37), planted DEL/DUP/INV 1-100 kb",
        "patients": len(cases),
        "precision_DEL_DUP_INV": round(precision, 4),
        "precision_95ci": _bootstrap(call_outcomes, rng),
        "recall_DEL_DUP_INV": round(recall, 4),
        "recall_95ci": _bootstrap(truth_outcomes, rng),
        "events_truth": len(truth_outcomes),
        "calls": len(call_outcomes),
        "insertion_recall": round(ins["found"] / ins["truth"], 4) if ins["truth"] else None,
        "insertions_truth": ins["truth"],
        "workflow_wall_s_median": round(float(np.median(walls)), 1),
        "baseline_bwa_delly_wall_s_median": round(float(np.median(base_walls)), 1),
        "ratio_workflow_over_baseline_median": round(float(np.median(walls / base_walls)), 2),
        "baseline_bwa_delly_cpu_s_median": round(float(np.median(base_cpu)), 1),
        "ratio_cpu_workflow_over_baseline_median": round(float(np.median(cpu / base_cpu)), 2),
        "workflow_wall_s_per_mb": round(float(np.median(walls)) / ref_mb, 1),
        "workflow_cpu_s_per_mb": round(float(np.median(cpu)) / ref_mb, 1),
        "workflow_peak_rss_mb": max(c["workflow_peak_rss_mb"] for c in cases),
        "baseline_peak_rss_mb": max(c["baseline_peak_rss_mb"] for c in cases),
        "rules": _rule_profile(cases),
        "projected_30x_human_cpu_hours_linear": round(float(np.median(cpu)) / ref_mb * HUMAN_GENOME_MB / 3600, 1),
        **scale,
        "targets": {"precision": 0.95, "recall": 0.95, "wall_s_max": 180, "ratio_max": 1.3},
    }
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    params = {
        **vars(args),
        "work": str(args.work),
        "out": str(args.out),
        "counts": COUNTS,
        "simulators": SIMULATORS,
        "git_commit": commit,
        "reference_sha256": hashlib.sha256(reference.read_bytes()).hexdigest(),
        "random_state": args.seed,
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    (args.out / "params.json").write_text(json.dumps(params, indent=1))
    (args.out / "per_case.json").write_text(json.dumps(cases, indent=1))
    _log(log, json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
