"""Benchmark of iasante.derm: per-image latency (target <= 50 ms on 2 CPU cores) and accuracy vs baselines.

Run: .venv/bin/python benchmarks/bench_derm.py [--n-images 200]
Latency: the full pipeline (decode, Shades of Gray, hair removal, segmentation, descriptors, CNN with 4-view TTA
in ONNX Runtime, LightGBM, calibration) against the same pipeline with the CNN in eager PyTorch (baseline).
Accuracy: melanoma AUC on the lesion-disjoint HAM10000 test images and PH2 against a DummyClassifier (prior).
Writes bench-results/derm/{params.json,summary.json,predictions.csv,log.txt}.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import time
from pathlib import Path

import numpy as np
import torch
from scipy.special import softmax
from sklearn.dummy import DummyClassifier
from sklearn.metrics import roc_auc_score

from iasante.derm.data import DIAGNOSES, MELANOMA_INDEX, load_ham_labels, load_ph2_labels, split_by_lesion
from iasante.derm.io import read_image
from iasante.derm.metrics import bootstrap_ci
from iasante.derm.model import DermNet, normalise
from iasante.derm.predictor import CNN_NAME, ONNX_NAME, WEIGHTS_DIR, MelanomaClassifier

OUT = Path("bench-results/derm")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _time_pipeline(classifier: MelanomaClassifier, paths: list[str]) -> tuple[np.ndarray, np.ndarray, float]:
    """Per-image wall seconds (N,), melanoma probabilities (N,) and mean CPU seconds per image of the deployed
    (ONNX) pipeline; CPU time is what an idle machine would take, wall time includes waiting for busy cores."""
    seconds, p_mel = [], []
    cpu_start = time.process_time()
    for path in paths:
        start = time.perf_counter()
        analysis = classifier.analyse(read_image(path))
        seconds.append(time.perf_counter() - start)
        p_mel.append(analysis.p_melanoma)
    return np.asarray(seconds), np.asarray(p_mel), (time.process_time() - cpu_start) / max(len(paths), 1)


def _time_torch_baseline(classifier: MelanomaClassifier, paths: list[str]) -> np.ndarray:
    """Same pipeline with the CNN run in eager PyTorch instead of ONNX Runtime (baseline)."""
    net = DermNet()
    net.load_state_dict(torch.load(WEIGHTS_DIR / CNN_NAME, map_location="cpu", weights_only=True))
    net.eval()

    def torch_log_probs(crops: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            batch = normalise(crops)
            views = torch.cat([batch, batch.flip(-1), batch.flip(-2), batch.flip(-1).flip(-2)])
            probs = softmax(net(views).double().numpy(), axis=1).reshape(4, len(crops), -1).mean(0)
        return np.log(probs + 1e-9)

    classifier._cnn_log_probs = torch_log_probs  # type: ignore[method-assign]
    try:
        seconds = []
        for path in paths:
            start = time.perf_counter()
            classifier.analyse(read_image(path))
            seconds.append(time.perf_counter() - start)
    finally:
        del classifier._cnn_log_probs
    return np.asarray(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n-images", type=int, default=200, help="test images timed (all are scored)")
    parser.add_argument("--random-state", type=int, default=0, help="split seed (as in training)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    log_lines: list[str] = []

    def log(line: str) -> None:
        print(line)
        log_lines.append(line)

    classifier = MelanomaClassifier(WEIGHTS_DIR).load()
    ham = load_ham_labels()
    test = ham[split_by_lesion(ham, args.random_state) == "test"].reset_index(drop=True)
    ph2 = load_ph2_labels()
    classifier.analyse(read_image(test["path"][0]))  # warm-up (lazy imports, ONNX session)

    timed = list(test["path"][: args.n_images])
    load_before = os.getloadavg()[0]
    onnx_s, _, onnx_cpu = _time_pipeline(classifier, timed)
    torch_s = _time_torch_baseline(classifier, timed)
    log(f"latency per image, ONNX pipeline: mean {1000 * onnx_s.mean():.1f} ms, p95 "
        f"{1000 * np.percentile(onnx_s, 95):.1f} ms, CPU {1000 * onnx_cpu:.1f} ms (target <= 50 ms; "
        f"machine load average {load_before:.1f} on {os.cpu_count()} cores)")
    log(f"latency per image, eager PyTorch baseline: mean {1000 * torch_s.mean():.1f} ms; "
        f"speed-up x{torch_s.mean() / onnx_s.mean():.2f}")

    _, p_test, _ = _time_pipeline(classifier, list(test["path"]))
    _, p_ph2, _ = _time_pipeline(classifier, list(ph2["path"]))
    y_test = (test["y"] == MELANOMA_INDEX).to_numpy().astype(int)
    y_ph2 = ph2["melanoma"].to_numpy()
    dummy = DummyClassifier(strategy="prior").fit(np.zeros((len(y_test), 1)), y_test)
    p_dummy = dummy.predict_proba(np.zeros((len(y_test), 1)))[:, 1]
    groups = test["lesion_id"].to_numpy()
    auc = bootstrap_ci(lambda i: float(roc_auc_score(y_test[i], p_test[i])), groups)
    auc_ph2 = bootstrap_ci(lambda i: float(roc_auc_score(y_ph2[i], p_ph2[i])), np.arange(len(y_ph2)))
    auc_dummy = float(roc_auc_score(y_test, p_dummy))
    log(f"melanoma AUC HAM10000 lesion-disjoint test: {auc[0]:.4f} (95% CI {auc[1]:.4f}-{auc[2]:.4f}), "
        f"DummyClassifier(prior) {auc_dummy:.4f}")
    log(f"melanoma AUC PH2 external: {auc_ph2[0]:.4f} (95% CI {auc_ph2[1]:.4f}-{auc_ph2[2]:.4f})")

    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    params = {"n_images_timed": len(timed), "random_state": args.random_state, "git_commit": commit,
              "torch_threads": 1, "onnx_intra_op_threads": 1, "tta": classifier.config_["tta"],
              "weights_sha256": {n: _sha256(WEIGHTS_DIR / n) for n in (ONNX_NAME, CNN_NAME)},
              "labels_sha256": _sha256(Path(ham["path"][0]).parent.parent / "labels.csv"),
              "diagnoses": list(DIAGNOSES)}
    summary = {
        "latency_ms_mean_onnx": round(1000 * onnx_s.mean(), 2),
        "latency_ms_p95_onnx": round(1000 * float(np.percentile(onnx_s, 95)), 2),
        "cpu_ms_per_image_onnx": round(1000 * onnx_cpu, 2), "load_average_1min": round(load_before, 2),
        "cpu_cores": os.cpu_count(),
        "latency_ms_mean_torch_baseline": round(1000 * torch_s.mean(), 2),
        "speedup_vs_torch": round(float(torch_s.mean() / onnx_s.mean()), 3),
        "latency_target_ms": 50, "meets_latency_target": bool(onnx_s.mean() <= 0.050),
        "auc_melanoma_ham_test": [round(v, 4) for v in auc],
        "auc_melanoma_ph2": [round(v, 4) for v in auc_ph2],
        "auc_melanoma_dummy_prior": round(auc_dummy, 4),
        "targets": {"auc_ham_test": 0.92, "auc_external": 0.85},
        "n_test_images": len(test), "n_ph2_images": len(ph2),
    }
    (OUT / "params.json").write_text(json.dumps(params, indent=2))
    (OUT / "summary.json").write_text(json.dumps(summary, indent=2))
    rows = ["set,image,melanoma,p_melanoma"]
    rows += [f"ham_test,{i},{m},{p:.6f}" for i, m, p in zip(test["image_id"], y_test, p_test, strict=True)]
    rows += [f"ph2,{i},{m},{p:.6f}" for i, m, p in zip(ph2["image"], y_ph2, p_ph2, strict=True)]
    (OUT / "predictions.csv").write_text("\n".join(rows) + "\n")
    (OUT / "log.txt").write_text("\n".join(log_lines) + "\n")
    log(f"wrote {OUT}/summary.json")


if __name__ == "__main__":
    main()
