"""Challenge benchmark: 10,000-row validation + scoring speed, and a 50-submission concurrent load test.

Run: ``.venv/bin/python benchmarks/bench_challenge.py`` (writes ``bench-results/challenge/``).

1. Speed: ``score_files`` (our CSV validation + numpy metrics) on a 10,000-row binary submission, against a
   baseline measured in the same run: pandas parsing + scikit-learn metrics (no validation). Target <= 1 s.
2. Load: 50 participants submit at once through ``service.submit`` (threads, embedded Dask cluster, SQLite);
   we wait for every scoring job and count scored / failed / lost / stuck submissions. Baseline: the same 50
   files scored one after the other in-process (``run_inline``). Target: all 50 scored, none lost or stuck.
3. Leaderboard: time to build the boards (bootstrap CIs, rank stability, QI) once all 50 are scored.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench-results" / "challenge"
SEED = 0
N_ROWS = 10_000
N_SUBMISSIONS = 50
REPEATS = 5


def _csvs(folder: Path, n: int, seed: int) -> tuple[Path, Path, list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    ids = [f"id{i:06d}" for i in range(n)]
    y = rng.integers(0, 2, n)
    truth = folder / "truth.csv"
    truth.write_text("id,label\n" + "".join(f"{i},{v}\n" for i, v in zip(ids, y, strict=True)))
    score = np.clip(0.5 + (y - 0.5) * 0.4 + rng.normal(0, 0.3, n), 0, 1)
    sub = folder / "sub.csv"
    sub.write_text("id,score\n" + "".join(f"{i},{v:.6f}\n" for i, v in zip(ids, score, strict=True)))
    return truth, sub, ids, y


def bench_speed(folder: Path) -> dict[str, object]:
    import pandas as pd
    from sklearn import metrics as skm

    from iasante.challenge.scoring import score_files

    truth, sub, _, _ = _csvs(folder, N_ROWS, SEED)
    names = ["auc", "pauc", "balanced_accuracy", "f1", "kappa", "sens_at_spec90"]
    ours, reference = [], []
    for _ in range(REPEATS):
        start = time.perf_counter()
        values = score_files(truth, sub, names)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        t = pd.read_csv(truth).set_index("id")
        s = pd.read_csv(sub).set_index("id").loc[t.index]
        y, p = t["label"].to_numpy(), s["score"].to_numpy()
        skm.roc_auc_score(y, p)
        skm.roc_auc_score(1 - y, 1 - p, max_fpr=0.2)
        skm.balanced_accuracy_score(y, p >= 0.5)
        skm.f1_score(y, p >= 0.5)
        skm.cohen_kappa_score(y, p >= 0.5)
        skm.roc_curve(y, p)
        reference.append(time.perf_counter() - start)
    median, base = float(np.median(ours)), float(np.median(reference))
    return {
        "n_rows": N_ROWS,
        "metrics": names,
        "validate_and_score_s": round(median, 4),
        "baseline_pandas_sklearn_no_validation_s": round(base, 4),
        "ratio_vs_baseline": round(median / base, 2),
        "target_s": 1.0,
        "meets_target": median <= 1.0,
        "auc": values["auc"],
    }


def bench_load(folder: Path) -> dict[str, object]:
    from iasante.challenge import service
    from iasante.challenge.schemas import parse_spec
    from iasante.core import jobs
    from iasante.core.auth import Principal
    from iasante.core.db import session_scope, upgrade_database

    upgrade_database()
    rng = np.random.default_rng(SEED)
    ids = [f"case{i:04d}" for i in range(500)]
    y = rng.integers(0, 2, 500)
    truth = ("id,label\n" + "".join(f"{i},{v}\n" for i, v in zip(ids, y, strict=True))).encode()
    spec = {
        "slug": "load",
        "title": "Load test",
        "task": "binary",
        "primary_metric": "auc",
        "secondary_metrics": ["pauc", "balanced_accuracy", "sens_at_spec90"],
        "phases": [{"name": "development", "subset": "public", "days": 1, "daily_quota": 5}],
    }
    service.create_challenge(parse_spec(spec, "spec"), truth, Principal("org", "admin"))
    files = []
    for _ in range(N_SUBMISSIONS):
        score = np.clip(0.5 + (y - 0.5) * rng.uniform(0.1, 0.6) + rng.normal(0, 0.3, 500), 0, 1)
        files.append(("id,score\n" + "".join(f"{i},{v:.5f}\n" for i, v in zip(ids, score, strict=True))).encode())
    people = [Principal(f"team{k:02d}", "challenge_participant") for k in range(N_SUBMISSIONS)]

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=N_SUBMISSIONS) as pool:
        submitted = list(
            pool.map(lambda k: service.submit("load", people[k], files[k], f"s{k}.csv"), range(N_SUBMISSIONS))
        )
    accepted_s = time.perf_counter() - start
    from iasante.challenge.db import Submission

    with session_scope() as session:
        job_ids = [session.get_one(Submission, s.id).job_id for s in submitted]
    for job_id in job_ids:
        jobs.wait(job_id or 0, timeout_s=300)
    final = [service.get_submission(s.id, people[k]) for k, s in enumerate(submitted)]
    concurrent_s = time.perf_counter() - start
    states = {state: sum(f.status == state for f in final) for state in ("scored", "failed", "queued", "scoring")}

    from iasante.challenge import boards

    start = time.perf_counter()
    board = service.leaderboard("load", Principal("org", "admin"))
    board_s = time.perf_counter() - start
    boards._cache.clear()  # as after one more scored submission: boards rebuilt, bootstrap vectors reused
    start = time.perf_counter()
    service.leaderboard("load", Principal("org", "admin"))
    board_warm_s = time.perf_counter() - start

    start = time.perf_counter()
    spec_seq = {**spec, "slug": "load-seq"}
    service.create_challenge(parse_spec(spec_seq, "spec"), truth, Principal("org", "admin"))
    for k in range(N_SUBMISSIONS):
        service.submit("load-seq", people[k], files[k], f"s{k}.csv", run_inline=True)
    sequential_s = time.perf_counter() - start
    jobs.close_client()
    return {
        "n_submissions": N_SUBMISSIONS,
        "rows_per_submission": 500,
        "accepted_all_s": round(accepted_s, 2),
        "all_scored_s": round(concurrent_s, 2),
        "baseline_sequential_inline_s": round(sequential_s, 2),
        "ratio_vs_baseline": round(concurrent_s / sequential_s, 2),
        "states": states,
        "lost": N_SUBMISSIONS - len(final),
        "stuck": states["queued"] + states["scoring"],
        "meets_target": states["scored"] == N_SUBMISSIONS,
        "leaderboard_build_s": round(board_s, 2),
        "leaderboard_rebuild_cached_bootstrap_s": round(board_warm_s, 2),
        "leaderboard_rows": len(board.boards[0].rows),
        "n_boards": len(board.boards),
    }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-challenge-") as tmp:
        os.environ["IASANTE_HOME"] = str(Path(tmp) / "home")
        os.environ.pop("IASANTE_DATABASE_URL", None)
        speed = bench_speed(Path(tmp))
        print(
            f"10k rows: validate+score {speed['validate_and_score_s']} s (target 1 s); "
            f"pandas+sklearn without validation {speed['baseline_pandas_sklearn_no_validation_s']} s; "
            f"ratio {speed['ratio_vs_baseline']}"
        )
        load = bench_load(Path(tmp))
        print(
            f"load: {load['n_submissions']} concurrent submissions -> {load['states']}, lost {load['lost']}, "
            f"stuck {load['stuck']}; all scored in {load['all_scored_s']} s vs sequential inline "
            f"{load['baseline_sequential_inline_s']} s (ratio {load['ratio_vs_baseline']}); "
            f"leaderboard of {load['leaderboard_rows']} rows x {load['n_boards']} metrics built in "
            f"{load['leaderboard_build_s']} s, rebuilt from cached bootstrap vectors in "
            f"{load['leaderboard_rebuild_cached_bootstrap_s']} s"
        )
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    OUT.mkdir(parents=True, exist_ok=True)
    params = {
        "seed": SEED,
        "n_rows": N_ROWS,
        "n_submissions": N_SUBMISSIONS,
        "repeats": REPEATS,
        "git_commit": commit,
        "python": sys.version.split()[0],
        "machine": platform.platform(),
        "cpu_count": os.cpu_count(),
    }
    (OUT / "params.json").write_text(json.dumps(params, indent=2) + "\n")
    (OUT / "summary.json").write_text(json.dumps({"speed": speed, "load": load}, indent=2) + "\n")
    print(f"wrote {OUT / 'summary.json'}")


if __name__ == "__main__":
    main()
