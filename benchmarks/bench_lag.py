"""LAG part 2 speed benchmark: 10,000 SVs annotated, ACMG-classified and ranked (target <= 20 s on 2 cores).

Input: the real 1000 Genomes HG00096 SV VCF (GRCh37, ../shared/data/genomics/sv_examples), scaled to 10,000
records by repeating it with shifted positions. Baseline measured in the same run: the same annotation
queries done by a linear scan of the gene and gnomAD-SV tables per variant (no interval index), timed on a
subset and scaled to 10,000. Writes bench-results/lag/{summary,params}.json.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
N_VARIANTS = 10_000
BASELINE_SUBSET = 300
SEED = 0


def scaled_variants(vcf: Path) -> pd.DataFrame:
    """The VCF's readable records repeated with a per-copy shift of 997 bp until N_VARIANTS rows."""
    from iasante.lag.io import read_variants

    base = read_variants(vcf).variants
    copies = []
    for k in range(int(np.ceil(N_VARIANTS / len(base)))):
        part = base.copy()
        part["start"] += 997 * k
        part["end"] += 997 * k
        copies.append(part)
    return pd.concat(copies, ignore_index=True).iloc[:N_VARIANTS].reset_index(drop=True)


def linear_scan_seconds(variants: pd.DataFrame) -> float:
    """Baseline: per-variant boolean masks over whole tables (genes GRCh37, gnomAD-SV GRCh38)."""
    from iasante.lag.annotate import lift_both
    from iasante.lag.resources import load_resources

    res = load_resources()
    sub = lift_both(res, variants.sample(BASELINE_SUBSET, random_state=SEED), "GRCh37")
    genes, pop = res.genes37.cols, res.population38.cols
    t0 = time.perf_counter()
    for row in sub.to_dict("records"):
        _ = genes["gene"][
            (genes["chrom"] == row["chrom37"]) & (genes["start"] < row["end37"]) & (genes["end"] > row["start37"])
        ]
        _ = pop["af"][(pop["chrom"] == row["chrom38"]) & (pop["start"] < row["end38"]) & (pop["end"] > row["start38"])]
    return (time.perf_counter() - t0) * N_VARIANTS / BASELINE_SUBSET


def main() -> None:
    from iasante.core.config import get_settings
    from iasante.lag.pipeline import classify_table, get_ranker
    from iasante.lag.resources import load_resources

    vcf = get_settings().data_dir / "genomics" / "sv_examples" / "HG00096.1000G_phase3.svs.GRCh37.vcf.gz"
    out_dir = ROOT / "bench-results" / "lag"
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    res = load_resources()
    get_ranker()
    load_s = time.perf_counter() - t0
    variants = scaled_variants(vcf)
    t0 = time.perf_counter()
    results = classify_table(variants, "GRCh37")
    classify_s = time.perf_counter() - t0
    vcf10k = out_dir / "hg00096_x10k.bed"
    variants.assign(t=variants["svtype"])[variants["svtype"].isin(["DEL", "DUP"])][
        ["in_chrom", "start", "end", "t"]
    ].to_csv(vcf10k, sep="\t", header=False, index=False)
    n_cli = int(variants["svtype"].isin(["DEL", "DUP"]).sum())
    t0 = time.perf_counter()
    subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "iasante"),
            "lag",
            "classify",
            str(vcf10k),
            "--genome",
            "GRCh37",
            "--out",
            str(out_dir / "cli_out.tsv"),
        ],
        check=True,
        capture_output=True,
    )
    cli_s = time.perf_counter() - t0
    baseline_s = linear_scan_seconds(variants)
    classes = pd.Series([r.acmg.acmg_class for r in results]).value_counts().to_dict()
    summary = {
        "n_variants": len(results),
        "target_s": 20.0,
        "annotate_classify_rank_s": round(classify_s, 2),
        "variants_per_s": round(len(results) / classify_s, 1),
        "resource_load_s": round(load_s, 2),
        "cli_end_to_end_s": round(cli_s, 2),
        "cli_n_variants": n_cli,
        "baseline_linear_scan_two_sources_s": round(baseline_s, 2),
        "speedup_vs_linear_scan": round(baseline_s / classify_s, 2),
        "meets_target": bool(classify_s + load_s <= 20.0),
        "acmg_classes": classes,
    }
    params = {
        "input": str(vcf),
        "n_variants": N_VARIANTS,
        "shift_bp": 997,
        "baseline_subset": BASELINE_SUBSET,
        "seed": SEED,
        "resources_fingerprint": res.fingerprint,
        "python": sys.version.split()[0],
        "machine": platform.platform(),
        "git_commit": subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=1))
    (out_dir / "params.json").write_text(json.dumps(params, indent=1))
    vcf10k.unlink()
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
