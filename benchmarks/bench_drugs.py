"""COVIDrug-19 speed benchmark: ligand-model screen of the approved drugs, docking time, Dask scaling.

Run: ``.venv/bin/python benchmarks/bench_drugs.py [--ligands 8] [--exhaustiveness 4] [--workers 1 2]``.
Writes ``bench-results/drugs/{params.json,summary.json,log.txt}``.

Issue targets: 2,000 drugs scored by the ligand model ≤ 60 s; docking ≤ 30 s per ligand per core, scaling
with Dask workers. Baselines measured in the same run: a Tanimoto similarity screen of the same library
(nearest-neighbour similarity to known actives, the simplest ligand-based screen), and serial in-process
docking (no Dask) at Vina's default exhaustiveness 8 beside ours (4): CPU time and best-score agreement.
CPU seconds are reported beside wall seconds because the benchmark machine may be shared: per-core cost is
CPU time.
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

from iasante.drugs.docking import EXHAUSTIVENESS

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench-results" / "drugs"
LIGANDS = [  # Moonshot-like fragments and leads, then the flexible approved drug boceprevir
    "O=C(Nc1cccnc1)c1ccccc1",
    "O=C(Nc1cncc2ccccc12)[C@@H]1CCOc2ccc(Cl)cc21",
    "CN(C(=O)Cc1cccc(Cl)c1)c1cnccc1C",
    "CC(=O)Nc1ccc(O)cc1",
    "Cc1ccncc1NC(=O)Cc1cccc(Cl)c1",
    "O=C(Cc1cccc(Cl)c1)Nc1cncc2ccccc12",
    "COc1ccc(CC(=O)Nc2cccnc2)cc1",
    # boceprevir last: ``--ligands 7`` gives a balanced Moonshot-size set to show Dask scaling
    "CC(C)(C)NC(=O)N[C@H](C(=O)N1C[C@H]2[C@@H]([C@H]1C(=O)NC(CC1CCC1)C(=O)C(N)=O)C2(C)C)C(C)(C)C",
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


def _dock_serial(ligands: list[str], exhaustiveness: int, log) -> dict:  # type: ignore[no-untyped-def]
    """Dock each ligand in this process, one core; per-ligand CPU seconds and best scores."""
    from iasante.drugs.service import dock_record

    records, cpu_s = [], []
    start = time.perf_counter()
    for smiles in ligands:
        record, _, cpu = _timed(dock_record, smiles, exhaustiveness)
        records.append(record)
        cpu_s.append(cpu)
        log(f"  exhaustiveness {exhaustiveness}: {smiles[:40]:40s} {record['scores_kcal'][0]:7.3f} kcal/mol "
            f"{cpu:6.1f} s CPU")
    return {"records": records, "cpu_s": cpu_s, "wall_s": time.perf_counter() - start,
            "cpu_s_per_ligand": float(np.mean(cpu_s))}


def _warm_up(smiles: str) -> None:
    """Dock once at exhaustiveness 1: imports RDKit, meeko and Vina and prepares receptor and maps."""
    from iasante.drugs.service import dock_record

    dock_record(smiles, 1)


def _warm_dask_wall(ligands: list[str], workers: int, exhaustiveness: int) -> float:
    """Wall seconds of the docking alone on a started cluster whose workers already docked once (imports,
    receptor and maps loaded): the throughput part of the scaling, without the start-up cost."""
    from distributed import Client, LocalCluster

    from iasante.drugs.service import dock_on_client

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.run(_warm_up, ligands[0])  # on every worker
        _, wall, _ = _timed(dock_on_client, client, ligands, exhaustiveness)
    return float(wall)


def bench_docking(n_ligands: int, exhaustiveness: int, baseline_exhaustiveness: int, workers: list[int],
                  log) -> dict:  # type: ignore[no-untyped-def]
    """Re-docking, serial per-ligand CPU cost at the default and at Vina's default exhaustiveness (baseline,
    same run), then Dask scaling at the default."""
    from iasante.drugs.docking import redock_reference
    from iasante.drugs.service import dock_many

    ligands = (LIGANDS * ((n_ligands // len(LIGANDS)) + 1))[:n_ligands]
    redock = {}
    for exh in (exhaustiveness, baseline_exhaustiveness):
        (rmsd, redocked), _, cpu = _timed(redock_reference, exh, 0)
        redock[exh] = {"rmsd_A": round(rmsd, 3), "score_kcal": redocked.best_score, "cpu_s": round(cpu, 2)}
        log(f"re-dock crystal ligand, exhaustiveness {exh}: RMSD {rmsd:.2f} A, {redocked.best_score:.2f} "
            f"kcal/mol, {cpu:.1f} s CPU")
    new = _dock_serial(ligands, exhaustiveness, log)
    base = _dock_serial(ligands, baseline_exhaustiveness, log)
    score_gap = [a["scores_kcal"][0] - b["scores_kcal"][0] for a, b in zip(new["records"], base["records"],
                                                                          strict=True)]
    log(f"serial: {new['cpu_s_per_ligand']:.1f} s CPU/ligand at exhaustiveness {exhaustiveness} vs "
        f"{base['cpu_s_per_ligand']:.1f} at {baseline_exhaustiveness}; best score gap max "
        f"{max(score_gap):+.3f} kcal/mol")
    scaling = []
    for n in workers:
        records, w_wall, _ = _timed(dock_many, ligands, n, exhaustiveness)
        warm_wall = _warm_dask_wall(ligands, n, exhaustiveness)
        same = all(abs(a["scores_kcal"][0] - b["scores_kcal"][0]) < 1e-6
                   for a, b in zip(new["records"], records, strict=True))
        scaling.append({"workers": n, "wall_s": round(w_wall, 2), "warm_wall_s": round(warm_wall, 2),
                        "same_scores_as_serial": same})
        log(f"dask {n} worker(s): {w_wall:.1f} s wall for {len(ligands)} ligands with cluster start-up, "
            f"{warm_wall:.1f} s on warm workers")
    if len(scaling) > 1:
        for row in scaling:
            row["speedup_vs_1_worker"] = round(scaling[0]["wall_s"] / row["wall_s"], 2)
            row["warm_speedup_vs_1_worker"] = round(scaling[0]["warm_wall_s"] / row["warm_wall_s"], 2)
    return {"redock": redock, "n_ligands": len(ligands), "exhaustiveness": exhaustiveness,
            "baseline_exhaustiveness": baseline_exhaustiveness, "serial_wall_s": round(new["wall_s"], 2),
            "cpu_s_per_ligand": round(new["cpu_s_per_ligand"], 2),
            "baseline_cpu_s_per_ligand": round(base["cpu_s_per_ligand"], 2), "target_s": 30,
            "meets_target_cpu": new["cpu_s_per_ligand"] <= 30, "dask": scaling,
            "per_ligand": [{"smiles": s, "vina_score_kcal": a["scores_kcal"][0], "cpu_s": round(ca, 2),
                            "baseline_vina_score_kcal": b["scores_kcal"][0], "baseline_cpu_s": round(cb, 2)}
                           for s, a, b, ca, cb in zip(ligands, new["records"], base["records"], new["cpu_s"],
                                                      base["cpu_s"], strict=True)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ligands", type=int, default=8)
    parser.add_argument("--exhaustiveness", type=int, default=EXHAUSTIVENESS)
    parser.add_argument("--baseline-exhaustiveness", type=int, default=8, help="Vina's default, for comparison")
    parser.add_argument("--skip-screen", action="store_true", help="only the docking part")
    parser.add_argument("--skip-docking", action="store_true", help="only the screening part")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []

    def log(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    weights = ROOT / "src" / "iasante" / "drugs" / "weights"
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    params = {"ligands": args.ligands, "exhaustiveness": args.exhaustiveness,
              "baseline_exhaustiveness": args.baseline_exhaustiveness, "workers": args.workers,
              "random_state": 0, "git_commit": commit, "cpu_count": os.cpu_count(),
              "load_average": os.getloadavg(), "python": platform.python_version(),
              "weights_sha256": {p.name: _sha256(p) for p in sorted(weights.glob("potency_*.txt"))},
              "receptor_sha256": _sha256(weights / "receptor_mpro.pdbqt")}
    (OUT / "params.json").write_text(json.dumps(params, indent=2))
    summary = {"screen": None if args.skip_screen else bench_screen(log),
               "docking": None if args.skip_docking else bench_docking(
                   args.ligands, args.exhaustiveness, args.baseline_exhaustiveness, args.workers, log),
               "model_metrics": json.loads((weights / "metrics.json").read_text())}
    (OUT / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    (OUT / "log.txt").write_text("\n".join(lines) + "\n")
    log(f"wrote {OUT / 'summary.json'}")


if __name__ == "__main__":
    main()
