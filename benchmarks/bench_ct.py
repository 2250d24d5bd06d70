"""ScanCovid-IA speed benchmark: per-slice inference latency, PyTorch eager vs ONNX Runtime, on a 2-core CPU.

Run: ``.venv/bin/python benchmarks/bench_ct.py [--repeats 30] [--threads 1|2]``.
Writes ``bench-results/ct/summary.json`` and ``params.json``. The target is <= 50 ms per slice (issue 3).
PyTorch eager is the baseline; ``torch_ms / onnx_ms`` is the speed-up of the exported graph. The model's
measured accuracy (from ``weights/metrics.json``) is copied beside the trivial baselines: chance, and
the shortcut model that sees only image size and global intensity.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "src" / "iasante" / "ct" / "demo"


def _timed(fn, repeats: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return {"median_ms": round(float(np.median(times)), 2), "p90_ms": round(float(np.percentile(times, 90)), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1, help="intra-op threads (the service uses 1)")
    args = parser.parse_args()

    import onnxruntime as ort
    import torch

    from iasante.ct.io import load_input
    from iasante.ct.model import WEIGHTS_DIR, WEIGHTS_FILE
    from iasante.ct.predict import load

    model = load()  # sets one thread (the service's setting); the benchmark's choice comes after
    torch.set_num_threads(args.threads)
    series = load_input(DEMO / "covid_ct_md_P001_series")
    raw_slice = series.slices[0]
    x1 = model.inputs(series)[:1]
    batch = model.inputs(series)

    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = Path(tmp) / "ct_triage.onnx"
        torch.onnx.export(
            model.net_,
            torch.from_numpy(x1),
            str(onnx_path),
            input_names=["slices"],
            output_names=["logits"],
            dynamic_axes={"slices": {0: "n"}, "logits": {0: "n"}},
            opset_version=17,
            dynamo=False,
        )
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        onnx_mb = onnx_path.stat().st_size / 1e6

    def torch_run(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model.net_(torch.from_numpy(x)).numpy()  # type: ignore[no-any-return]

    def onnx_run(x: np.ndarray) -> np.ndarray:
        return session.run(["logits"], {"slices": x})[0]  # type: ignore[no-any-return]

    max_diff = float(np.abs(torch_run(batch) - onnx_run(batch)).max())
    torch_1 = _timed(lambda: torch_run(x1), args.repeats)
    onnx_1 = _timed(lambda: onnx_run(x1), args.repeats)
    torch_b = _timed(lambda: torch_run(batch), max(5, args.repeats // 3))
    onnx_b = _timed(lambda: onnx_run(batch), max(5, args.repeats // 3))
    prep = _timed(lambda: model.input_of(raw_slice), args.repeats)
    texture = _timed(lambda: model.texture_scores(x1), args.repeats)  # second view, outside the ONNX graph
    end_to_end = _timed(lambda: model.predict_series(series), max(5, args.repeats // 3))
    n = len(batch)
    speed = {
        "torch_ms_per_slice_batch1": torch_1,
        "onnx_ms_per_slice_batch1": onnx_1,
        "torch_ms_per_slice_batched": round(torch_b["median_ms"] / n, 2),
        "onnx_ms_per_slice_batched": round(onnx_b["median_ms"] / n, 2),
        "preprocess_ms_per_slice_512px_dicom": prep,
        "texture_model_ms_per_slice": texture,
        "end_to_end_torch_ms_per_slice": round(end_to_end["median_ms"] / n, 2),
        "speedup_onnx_vs_torch_batch1": round(torch_1["median_ms"] / onnx_1["median_ms"], 2),
        "max_abs_logit_diff_torch_vs_onnx": max_diff,
        "target_ms_per_slice": 50.0,
        "meets_target_torch": torch_1["median_ms"] + prep["median_ms"] + texture["median_ms"] <= 50.0,
        "meets_target_onnx": onnx_1["median_ms"] + prep["median_ms"] + texture["median_ms"] <= 50.0,
        "onnx_size_mb": round(onnx_mb, 2),
    }
    metrics = json.loads((WEIGHTS_DIR / "metrics.json").read_text())
    accuracy = {
        "model_test_auc_covid": metrics["test"]["covid_vs_noncovid"]["auc"],
        "model_test_auc_covid_ucsd_only": metrics["test"]["covid_vs_noncovid_ucsd_only"]["auc"],
        "baseline_chance_auc": 0.5,
        "baseline_shortcut_test_auc_covid": metrics["shortcut_baseline"]["test_auc_covid"],
    }
    out = ROOT / "bench-results" / "ct"
    out.mkdir(parents=True, exist_ok=True)
    weights = WEIGHTS_DIR / WEIGHTS_FILE
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    params = {
        "repeats": args.repeats,
        "threads": args.threads,
        "input": "demo P001 series, 6 DICOM slices",
        "weights_sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
        "git_commit": commit.strip(),
        "torch": torch.__version__,
        "onnxruntime": ort.__version__,
        "cpu": platform.processor() or "?",
    }
    (out / "params.json").write_text(json.dumps(params, indent=2) + "\n")
    (out / "summary.json").write_text(json.dumps({"speed": speed, "accuracy": accuracy}, indent=2) + "\n")
    print(
        f"per slice, batch 1, {args.threads} threads: torch {torch_1['median_ms']} ms, "
        f"onnxruntime {onnx_1['median_ms']} ms (x{speed['speedup_onnx_vs_torch_batch1']} vs torch); "
        f"preprocessing {prep['median_ms']} ms; texture model {texture['median_ms']} ms; "
        f"end to end {speed['end_to_end_torch_ms_per_slice']} ms"
    )
    print(
        f"target <= 50 ms: torch {speed['meets_target_torch']}, onnx {speed['meets_target_onnx']}; "
        f"max |logit diff| {max_diff:.2e}"
    )
    print(
        f"test COVID AUC {accuracy['model_test_auc_covid']['value']} vs shortcut baseline "
        f"{accuracy['baseline_shortcut_test_auc_covid']['value']} vs chance 0.5 -> {out / 'summary.json'}"
    )


if __name__ == "__main__":
    main()
