"""Karyotype AI benchmark: seconds per metaphase (target <= 2 s on 2 CPU cores) and the lab's metrics,
each beside a baseline measured in the same run.

Speed baseline: the same pipeline scoring each chromosome alone (no batching, no TTA), as a naive loop would.
Accuracy baselines (single chromosomes, cell-disjoint test cells): sklearn's DummyClassifier (most frequent
class) and a size-only logistic regression (chromosome length and area), the classic pre-banding approach;
the model is measured in the same run image by image and with each cell's images classified together.

Run: .venv/bin/python benchmarks/bench_karyotype.py [--per-cell 1] [--seed 0]
Writes bench-results/karyotype/{params.json,summary.json,metaphases.csv,log.txt}.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

from iasante.karyotype.evaluate import evaluate_metaphases, make_cell_metaphase
from iasante.karyotype.io import load_labels
from iasante.karyotype.metrics import summarise
from iasante.karyotype.model import WEIGHTS_DIR, WEIGHTS_FILE, ChromosomeClassifier
from iasante.karyotype.pipeline import analyze_metaphase
from iasante.karyotype.train import build_canvases, evaluate_single

OUT = Path("bench-results/karyotype")


def _size_features(canvases: np.ndarray) -> np.ndarray:
    mask = canvases.astype(np.float32) > 0.05
    length = np.array([np.ptp(np.nonzero(m.any(1))[0]) + 1 if m.any() else 0 for m in mask])
    return np.log1p(np.stack([mask.sum((1, 2)), length], axis=1).astype(np.float64))


def _naive_seconds(clf: ChromosomeClassifier, image: np.ndarray) -> float:
    """Whole pipeline, then every chromosome re-scored one at a time without TTA (the unbatched loop)."""
    start = time.perf_counter()
    result = analyze_metaphase(image, clf)
    single = ChromosomeClassifier(tta=False, batch_size=1)
    single.nets_, single.meta_ = clf.nets_, clf.meta_
    for segment in result.segments:
        single.predict_images([segment.crop], dark_on_light=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-cell", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads; 1 avoids oversubscribing a shared 2-core machine")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    OUT.mkdir(parents=True, exist_ok=True)
    log_lines: list[str] = []

    def log(line: str) -> None:
        print(line, flush=True)
        log_lines.append(line)

    clf = ChromosomeClassifier().load()
    table = load_labels()
    canvases, sources = build_canvases(table)
    split = clf.meta_["split"]
    train, test = table["cell"].isin(split["train"]).to_numpy(), table["cell"].isin(split["test"]).to_numpy()

    y = table["y"].to_numpy()
    feats = _size_features(canvases)
    baselines = {}
    for name, model in (("dummy_most_frequent", DummyClassifier(strategy="most_frequent")),
                        ("size_only_logistic", LogisticRegression(max_iter=2000))):
        model.fit(feats[train], y[train])
        errors = (model.predict(feats[test]) != y[test]).astype(float)
        baselines[name] = summarise("ClassifErrors", errors, table["cell"].to_numpy()[test], args.seed)
        log(f"baseline {name}: {baselines[name]}")

    single = evaluate_single(clf, table[test].reset_index(drop=True), args.seed)
    single_model = {k: single[k] for k in ("classif_errors", "classif_errors_cell", "angle_errors")}
    log(f"single chromosomes, image by image vs whole cell: {single_model}")

    result = evaluate_metaphases(clf, table, sources, split["test"], args.per_cell, args.seed, log=log)
    rng = np.random.default_rng(args.seed + 7)
    naive, fast = [], []
    for cell in split["test"][:5]:
        meta, _ = make_cell_metaphase(table, sources, cell, "normal", rng)
        start = time.perf_counter()
        analyze_metaphase(meta.image, clf)
        fast.append(time.perf_counter() - start)
        naive.append(_naive_seconds(clf, meta.image))
    speed = {"seconds_per_metaphase_median": round(float(np.median(result["rows"]["seconds"])), 3),
             "seconds_per_metaphase_p95": round(float(np.percentile(result["rows"]["seconds"], 95)), 3),
             "target_seconds": 2.0,
             "baseline_unbatched_seconds_median": round(float(np.median(naive)), 3),
             "pipeline_seconds_median_same_spreads": round(float(np.median(fast)), 3),
             "speedup_vs_unbatched": round(float(np.median(naive) / np.median(fast)), 2)}
    log(f"speed: {speed}")
    summary = {"system": "karyotype", "metaphase_metrics": {k: v for k, v in result.items() if k != "rows"},
               "single_chromosome_baselines": baselines,
               "single_chromosome_model": single_model, "speed": speed}
    weights = (WEIGHTS_DIR / WEIGHTS_FILE).read_bytes()
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    params = {"per_cell": args.per_cell, "random_state": args.seed, "torch_threads": args.threads,
              "test_cells": split["test"], "git_commit": commit,
              "weights_sha256": hashlib.sha256(weights).hexdigest(),
              "labels_sha256": hashlib.sha256((Path(table["path"].iat[0]).parent.parent / "labels.csv")
                                              .read_bytes()).hexdigest()}
    (OUT / "params.json").write_text(json.dumps(params, indent=2) + "\n")
    (OUT / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    result["rows"].to_csv(OUT / "metaphases.csv", index=False)
    (OUT / "log.txt").write_text("\n".join(log_lines) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
