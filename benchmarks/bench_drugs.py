"""COVIDrug-19 speed benchmark: ligand-model screen of the approved drugs, docking time, Dask scaling.

Run: ``.venv/bin/python benchmarks/bench_drugs.py [--ligands 4] [--exhaustiveness 8] [--workers 1 2]``.
Writes ``bench-results/drugs/{params.json,summary.json,log.txt}``.

Issue targets: 2,000 drugs scored by the ligand model ≤ 60 s; docking ≤ 30 s per ligand per core, scaling
with Dask workers. Baselines measured in the same run: a Tanimoto similarity screen of the same library
(nearest-neighbour similarity to known actives, the simplest ligand-based screen) and serial in-process
docking (no Dask). CPU seconds are reported beside wall seconds because the benchmark machine may be shared:
per-core cost is CPU time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import subprocess
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench-results" / "drugs"
LIGANDS = [  # Moonshot-like and approved-drug ligands of growing flexibility
    "O=C(Nc1cccnc1)c1ccccc1",
    "O=C(Nc1cncc2ccccc12)[C@@H]1CCOc2ccc(Cl)cc21",
    "CC(C)(C)NC(=O)N[C@H](C(=O)N1C[C@H]2[C@@H]([C@H]1C(=O)NC(CC1CCC1)C(=O)C(N)=O)C2(C)C)C(C)(C)C",
    "CN(C(=O)Cc1cccc(Cl)c1)c1cnccc1C",
    "CC(=O)Nc1ccc(O)cc1",
    "Cc1ccncc1NC(=O)Cc1cccc(Cl)c1",
    "O=C(Cc1cccc(Cl)c1)Nc1cncc2ccccc12",
    "COc1ccc(CC(=O)Nc2cccnc2)cc1",
]


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), _cpu()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - wall, _cpu() - cpu


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def bench_screen(log) -> dict:  # type: ignore[no-untyped-def]
    from iasante.drugs import chem
    from iasante.drugs.io import load_approved
    from iasante.drugs.scoring import load_actives, load_model
    from iasante.drugs.service import screen

    load_model(), load_actives()  # weights loading is start-up cost, not per-screen cost
    (ranked, errors), wall, cpu = _timed(screen, "approved")
    log(f"screen: {len(ranked)} approved drugs in {wall:.1f} s wall / {cpu:.1f} s CPU ({len(errors)} errors)")
    library = load_approved()

    def similarity_screen() -> np.ndarray:
        """Baseline: rank by nearest-neighbour Tanimoto to the known Moonshot actives (no model)."""
        mols = [chem.standardise(s) for s in library.SMILES]
        sims, _ = chem.max_similarity([chem.fingerprint(m) for m in mols], load_actives().fps)
        return sims

    _, knn_wall, knn_cpu = _timed(similarity_screen)
    log(f"baseline similarity screen: {knn_wall:.1f} s wall / {knn_cpu:.1f} s CPU")
    return {"n_drugs": int(len(ranked)), "n_errors": len(errors), "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "target_s": 60, "meets_target_cpu": cpu <= 60, "baseline_similarity_wall_s": round(knn_wall, 2),
            "baseline_similarity_cpu_s": round(knn_cpu, 2),
            "ratio_cpu_model_over_similarity": round(cpu / max(knn_cpu, 1e-9), 2),
            "top10": ranked.head(10)[["name", "pIC50_pred"]].to_dict("records")}


def bench_docking(n_ligands: int, exhaustiveness: int, workers: list[int], log) -> dict:  # type: ignore[no-untyped-def]
    from iasante.drugs.docking import redock_reference
    from iasante.drugs.service import dock_many, dock_record

    ligands = (LIGANDS * ((n_ligands // len(LIGANDS)) + 1))[:n_ligands]
    (rmsd, redocked), wall, cpu = _timed(redock_reference, exhaustiveness, 0)
    log(f"re-dock crystal ligand: RMSD {rmsd:.2f} A, {redocked.best_score:.2f} kcal/mol, {cpu:.1f} s CPU")
    serial, serial_wall, serial_cpu = _timed(lambda: [dock_record(s, exhaustiveness) for s in ligands])
    per_ligand_cpu = serial_cpu / len(ligands)
    log(f"serial docking: {len(ligands)} ligands, {serial_wall:.1f} s wall, {per_ligand_cpu:.1f} s CPU/ligand")
    scaling = []
    for n in workers:
        records, w_wall, _ = _timed(dock_many, ligands, n, exhaustiveness)
        same = all(abs(a["scores_kcal"][0] - b["scores_kcal"][0]) < 1e-6 for a, b in zip(serial, records, strict=True))
        scaling.append({"workers": n, "wall_s": round(w_wall, 2), "speedup_vs_serial": round(serial_wall / w_wall, 2),
                        "same_scores_as_serial": same})
        log(f"dask {n} worker(s): {w_wall:.1f} s wall, speed-up x{serial_wall / w_wall:.2f} vs serial")
    return {"redock_rmsd_A": round(rmsd, 3), "redock_score_kcal": redocked.best_score,
            "redock_cpu_s": round(cpu, 2), "n_ligands": len(ligands), "exhaustiveness": exhaustiveness,
            "serial_wall_s": round(serial_wall, 2), "cpu_s_per_ligand": round(per_ligand_cpu, 2), "target_s": 30,
            "meets_target_cpu": per_ligand_cpu <= 30, "dask": scaling,
            "scores": [{"smiles": s, "vina_score_kcal": r["scores_kcal"][0] if r["scores_kcal"] else None,
                        "wall_s": r["seconds"]} for s, r in zip(ligands, serial, strict=True)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ligands", type=int, default=4)
    parser.add_argument("--exhaustiveness", type=int, default=8)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []

    def log(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    weights = ROOT / "src" / "iasante" / "drugs" / "weights"
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    params = {"ligands": args.ligands, "exhaustiveness": args.exhaustiveness, "workers": args.workers,
              "random_state": 0, "git_commit": commit, "cpu_count": os.cpu_count(),
              "load_average": os.getloadavg(), "python": platform.python_version(),
              "weights_sha256": {p.name: _sha256(p) for p in sorted(weights.glob("potency_*.txt"))},
              "receptor_sha256": _sha256(weights / "receptor_mpro.pdbqt")}
    (OUT / "params.json").write_text(json.dumps(params, indent=2))
    summary = {"screen": bench_screen(log),
               "docking": bench_docking(args.ligands, args.exhaustiveness, args.workers, log),
               "model_metrics": json.loads((weights / "metrics.json").read_text())}
    (OUT / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    (OUT / "log.txt").write_text("\n".join(lines) + "\n")
    log(f"wrote {OUT / 'summary.json'}")


if __name__ == "__main__":
    main()
