"""Seeded training and validation of the potency model; reproduces the committed weights and model-card numbers.

Validation follows how the model is used: on *chemical series it has never seen*.
- Series split: Butina clusters (Butina 1999) of Morgan fingerprints at Tanimoto distance 0.65 stand for the
  Moonshot chemical series; 5-fold GroupKFold over clusters, so a whole series is held out at a time.
- Scaffold split: Bemis-Murcko scaffold sets, largest to training until 80 %, the rest is the test set.
Each split also scores a Tanimoto 5-nearest-neighbour baseline. Model choices (feature sets, SVR kernel and C,
the combination weight γ) were made by 5-fold GroupKFold over series *inside the scaffold-split training set*;
the scaffold test set was scored once, after the choice. 95 % CIs come from 1,000 bootstrap resamples of
the held-out *groups* (clusters or scaffolds), so correlated analogues are not counted as independent evidence.
"""

from __future__ import annotations

import json
import pickle
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rdkit import DataStructs
from rdkit.ML.Cluster import Butina
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold

from iasante.drugs import chem
from iasante.drugs.io import ASSAY_FLOOR_PIC50, PotencyData, active_labels, load_moonshot
from iasante.drugs.model import PotencyModel

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
SERIES_DISTANCE = 0.65
N_FOLDS = 5
N_BOOT = 1000


def butina_clusters(fps: list, distance: float = SERIES_DISTANCE) -> np.ndarray:
    """Cluster id per molecule (int array (n,)); cluster 0 is the largest."""
    dists: list[float] = []
    for i in range(1, len(fps)):
        dists.extend(1.0 - np.asarray(DataStructs.BulkTanimotoSimilarity(fps[i], fps[:i])))
    labels = np.zeros(len(fps), dtype=int)
    for cid, members in enumerate(Butina.ClusterData(dists, len(fps), distance, isDistData=True,
                                                     reordering=True)):
        labels[list(members)] = cid
    return labels


def scaffold_split(scaffolds: list[str], train_fraction: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
    """Boolean train mask and scaffold-set ids: biggest scaffold sets go to training (Wu et al. 2018)."""
    codes, uniques = pd.factorize(pd.Series(scaffolds))
    sizes = np.bincount(codes)
    train = np.zeros(len(scaffolds), dtype=bool)
    for group in sorted(range(len(uniques)), key=lambda g: (-sizes[g], g)):
        if train.sum() + sizes[group] > train_fraction * len(scaffolds):
            continue
        train[codes == group] = True
    return train, codes


def censored_abs_error(pred: np.ndarray, y: np.ndarray, censor: np.ndarray) -> np.ndarray:
    """|error| for exact values; distance to the wrong side of a bound for censored ones (0 if consistent)."""
    err = np.abs(pred - y)
    err[censor == -1] = np.maximum(pred - y, 0)[censor == -1]
    err[censor == 1] = np.maximum(y - pred, 0)[censor == 1]
    return err


def regression_metrics(score: np.ndarray, y: np.ndarray, censor: np.ndarray) -> dict[str, float]:
    """MAE and Spearman on exact values, censor-aware MAE on all, AUC at 1 µM (pIC50 6).

    MAEs use the reported pIC50 (``score`` floored at the assay floor, as the CLI writes it); Spearman and
    AUC use the unfloored ``score``, which is what rankings use.
    """
    pred = np.maximum(score, ASSAY_FLOOR_PIC50)
    exact = censor == 0
    labels = active_labels(y, censor)
    known = ~np.isnan(labels)
    auc = (roc_auc_score(labels[known], score[known]) if len(np.unique(labels[known])) == 2 else float("nan"))
    return {
        "mae_exact": float(np.mean(np.abs(pred[exact] - y[exact]))),
        "spearman_exact": float(spearmanr(score[exact], y[exact]).statistic),
        "mae_censored": float(np.mean(censored_abs_error(pred, y, censor))),
        "auc_1uM": float(auc),
        "n": int(len(y)), "n_exact": int(exact.sum()),
    }


def bootstrap(metric_fn: Callable[[np.ndarray], dict[str, float]], groups: np.ndarray,
              seed: int = 0) -> dict[str, list[float]]:
    """95 % percentile CI of each metric by resampling whole groups (clusters/scaffolds) with replacement."""
    rng = np.random.default_rng(seed)
    unique = np.unique(groups)
    members = {g: np.flatnonzero(groups == g) for g in unique}
    samples: dict[str, list[float]] = {}
    for _ in range(N_BOOT):
        idx = np.concatenate([members[g] for g in rng.choice(unique, len(unique))])
        try:
            for name, value in metric_fn(idx).items():
                samples.setdefault(name, []).append(value)
        except ValueError:  # a resample with a single class or constant values has no AUC/correlation
            continue
    return {name: [float(np.nanpercentile(v, 2.5)), float(np.nanpercentile(v, 97.5))]
            for name, v in samples.items() if name not in ("n", "n_exact")}


def knn_baseline(train_fps: list, y_train: np.ndarray, test_fps: list, k: int = 5) -> np.ndarray:
    """Similarity-weighted mean pIC50 (bounds taken as values) of the k nearest training compounds."""
    out = np.zeros(len(test_fps))
    for i, fp in enumerate(test_fps):
        sims = np.asarray(DataStructs.BulkTanimotoSimilarity(fp, train_fps))
        top = np.argsort(-sims)[:k]
        out[i] = np.average(y_train[top], weights=sims[top] + 1e-6)
    return out


def featurise(cache: Path | None = None) -> dict[str, Any]:
    """Standardised Moonshot data with features, fingerprints, clusters and scaffolds (cached as pickle)."""
    if cache and cache.is_file():
        return pickle.loads(cache.read_bytes())  # noqa: S301 - our own cache file
    data: PotencyData = load_moonshot()
    fps = [chem.fingerprint(m) for m in data.mols]
    bundle = {
        "frame": data.frame, "X": chem.features(data.mols), "fps_packed": chem.fingerprints_to_array(fps),
        "clusters": butina_clusters(fps), "scaffolds": [chem.murcko_scaffold(m) for m in data.mols],
    }
    if cache:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_bytes(pickle.dumps(bundle))
    return bundle


def _evaluate(name: str, pred: np.ndarray, base: np.ndarray, y: np.ndarray, censor: np.ndarray,
              groups: np.ndarray, extra: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {"split": name, "model": regression_metrics(pred, y, censor),
                              "baseline_knn5": regression_metrics(base, y, censor), **extra}
    result["model_ci95"] = bootstrap(lambda i: regression_metrics(pred[i], y[i], censor[i]), groups)
    result["baseline_ci95"] = bootstrap(lambda i: regression_metrics(base[i], y[i], censor[i]), groups)
    return result


def run(params: dict[str, Any] | None = None, out_dir: Path = WEIGHTS_DIR, cache: Path | None = None,
        log: Callable[[str], None] = print) -> dict[str, Any]:
    """Validate on series and scaffold splits, fit the final model on all data, save weights + metrics."""
    start = time.time()
    params = {"random_state": 0, **(params or {})}
    bundle = featurise(cache)
    frame, X = bundle["frame"], bundle["X"]
    y, censor = frame.pic50.to_numpy(float), frame.censor.to_numpy(int)
    fps = chem.array_to_fingerprints(bundle["fps_packed"])
    clusters, scaffolds = bundle["clusters"], bundle["scaffolds"]
    log(f"{len(y)} compounds ({(censor == 0).sum()} exact, {(censor != 0).sum()} censored), "
        f"{len(np.unique(clusters))} series clusters")

    oof_mean, oof_spread, oof_base = np.zeros(len(y)), np.zeros(len(y)), np.zeros(len(y))
    fold_of = np.zeros(len(y), dtype=int)
    for fold, (tr, te) in enumerate(GroupKFold(N_FOLDS).split(X, y, clusters)):
        members = PotencyModel(**params).fit(X[tr], y[tr], censor[tr]).predict_members(X[te])
        oof_mean[te], oof_spread[te], fold_of[te] = members.mean(0), members.std(0), fold
        oof_base[te] = knn_baseline([fps[i] for i in tr], y[tr], [fps[i] for i in te])
        log(f"series fold {fold + 1}/{N_FOLDS}: {len(te)} held out, {time.time() - start:.0f} s")

    # Interval coverage, honestly: q from four folds' residuals, coverage on the fifth.
    exact = censor == 0
    covered, widths = [], []
    for fold in range(N_FOLDS):
        cal, ev = exact & (fold_of != fold), exact & (fold_of == fold)
        q = PotencyModel(**params).calibrate(y[cal], oof_mean[cal], oof_spread[cal])
        half = q * (oof_spread[ev] + PotencyModel.spread_floor)
        covered.extend(np.abs(y[ev] - oof_mean[ev]) <= half)
        widths.extend(2 * half)
    sims_oof = np.zeros(len(y))
    for fold in range(N_FOLDS):
        te, tr = np.flatnonzero(fold_of == fold), np.flatnonzero(fold_of != fold)
        sims_oof[te], _ = chem.max_similarity([fps[i] for i in te], [fps[i] for i in tr])
    in_dom = sims_oof >= PotencyModel(**params).domain_threshold
    err = np.abs(np.maximum(oof_mean, ASSAY_FLOOR_PIC50) - y)
    series = _evaluate("series_groupkfold", oof_mean, oof_base, y, censor, clusters, {
        "interval_coverage_exact": float(np.mean(covered)), "interval_mean_width": float(np.mean(widths)),
        "mae_exact_in_domain": float(err[exact & in_dom].mean()),
        "mae_exact_out_of_domain": float(err[exact & ~in_dom].mean()) if (exact & ~in_dom).any() else None,
        "fraction_in_domain": float(in_dom.mean()),
    })

    train_mask, scaffold_ids = scaffold_split(scaffolds)
    tr, te = np.flatnonzero(train_mask), np.flatnonzero(~train_mask)
    pred = PotencyModel(**params).fit(X[tr], y[tr], censor[tr]).predict(X[te])
    base = knn_baseline([fps[i] for i in tr], y[tr], [fps[i] for i in te])
    scaffold = _evaluate("scaffold_80_20", pred, base, y[te], censor[te], scaffold_ids[te],
                         {"n_train": int(len(tr)), "n_test": int(len(te))})
    log(f"scaffold split done, {time.time() - start:.0f} s")

    final = PotencyModel(**params).fit(X, y, censor, fps=bundle["fps_packed"])
    final.calibrate(y[exact], oof_mean[exact], oof_spread[exact])
    metrics = {"series": series, "scaffold": scaffold, "n_compounds": int(len(y)),
               "n_exact": int(exact.sum()), "n_upper_bound": int((censor == -1).sum()),
               "n_lower_bound": int((censor == 1).sum()), "n_series_clusters": int(len(np.unique(clusters))),
               "conformal_q": final.conformal_q_, "train_seconds": round(time.time() - start, 1)}
    final.save(out_dir, extra={"trained_on": "COVID Moonshot noncovalent IC50, 2023-10-18",
                               "n_compounds": int(len(y))})
    _save_actives(frame, out_dir)
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    log(json.dumps({k: metrics[k]["model"] for k in ("series", "scaffold")}, indent=1))
    return metrics


def _save_actives(frame: pd.DataFrame, out_dir: Path) -> None:
    """Keep the Moonshot compounds with IC50 ≤ 10 µM (for similarity to known actives and lead finding)."""
    actives = frame[(frame.pic50 >= 5.0) & (frame.censor >= 0)][["smiles", "ids", "pic50", "censor"]]
    actives.sort_values("pic50", ascending=False).to_csv(out_dir / "moonshot_actives.csv.gz", index=False,
                                                         compression={"method": "gzip", "mtime": 0})
