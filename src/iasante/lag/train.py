"""Seeded training and evaluation of the CNV ranker on ClinVar CNVs, with chromosomes held out.

Data: TADA's ClinVar GRCh37 CNVs (pathogenic/likely pathogenic = 1, benign = 0; deletions and duplications).
Split: a seeded draw of 5 autosomes is the test set; the ranker is fitted on the other 17, its isotonic
calibration on their leave-one-chromosome-out margins. ClinVar is also a knowledge base (reported cases, 2A/2F,
LOF mechanism). Headline test metrics hide every ClinVar record of the test chromosomes from it, so a test CNV
sees no ClinVar evidence at all; "lovo" metrics (leave-one-variant-out: the rest of ClinVar, as for a new
patient's CNV with the shipped knowledge base) are reported beside them, labelled. Training rows always leave
themselves out (their features do not depend on the test chromosomes: every ClinVar query is chromosome-local).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from iasante.lag.acmg import CLASSES, classify
from iasante.lag.annotate import annotate
from iasante.lag.ranker import WEIGHTS_DIR, CnvRanker, feature_matrix
from iasante.lag.resources import load_resources

N_TEST_CHROMS = 5


def test_chromosomes(seed: int) -> list[str]:
    """The held-out autosomes for a seed (sorted names)."""
    rng = np.random.default_rng(seed)
    return sorted((str(c) for c in rng.choice(np.arange(1, 23), N_TEST_CHROMS, replace=False)), key=int)


def _auroc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else float("nan")


def bootstrap_ci(
    values: Callable[[np.ndarray], float], n: int, seed: int, reps: int = 1000
) -> tuple[float, float, float]:
    """(point, low, high): 95 % percentile bootstrap over rows of a size-``n`` sample."""
    rng = np.random.default_rng(seed)
    point = values(np.arange(n))
    stats = [values(rng.integers(0, n, n)) for _ in range(reps)]
    low, high = np.nanpercentile(stats, [2.5, 97.5])
    return round(point, 4), round(float(low), 4), round(float(high), 4)


def _rate_ci(hits: np.ndarray, seed: int) -> tuple[float, float, float, int]:
    """Share of True in ``hits`` with its 95 % bootstrap CI, and n."""

    def share(i: np.ndarray) -> float:
        return float(hits[i].mean())

    return (*bootstrap_ci(share, len(hits), seed), len(hits))


def acmg_targets(frame: pd.DataFrame, seed: int) -> dict[str, Any]:
    """Issue targets on a frame with ``svtype, label, acmg_class, acmg_points``: rates with 95 % CIs."""
    out: dict[str, Any] = {}
    plp = frame["acmg_class"].isin(["pathogenic", "likely_pathogenic"]).to_numpy()
    benignish = (
        frame["acmg_class"].isin(["benign", "likely_benign"])
        | ((frame["acmg_class"] == "vus") & (frame["acmg_points"] <= 0))
    ).to_numpy()
    for name, mask, hit in (
        ("pathogenic_DEL_PLP", (frame.svtype == "DEL") & (frame.label == 1), plp),
        ("pathogenic_DUP_PLP", (frame.svtype == "DUP") & (frame.label == 1), plp),
        ("benign_B_LB_VUSlow", frame.label == 0, benignish),
    ):
        out[name] = _rate_ci(hit[mask.to_numpy()], seed)
    out["confusion"] = {
        f"{t}_{'path' if lab else 'benign'}": {
            c: int(((frame.svtype == t) & (frame.label == lab) & (frame.acmg_class == c)).sum()) for c in CLASSES
        }
        for t in ("DEL", "DUP")
        for lab in (1, 0)
    }
    return out


def load_clinvar_features(
    progress: Callable[[float, str], None] | None = None, hide_chroms: list[str] | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """Annotated, ACMG-classified ClinVar CNVs and their (n, n_features) matrix.

    Args:
        hide_chroms: ClinVar records on these chromosomes are removed from the knowledge base (held-out
            protocol); each variant's own record is always left out.
    """
    res = load_resources()
    cv = res.clinvar37.df
    variants = cv[["chrom", "start", "end", "svtype", "label"]].copy()
    hide = cv["chrom"].isin(hide_chroms).to_numpy() if hide_chroms else None
    anns = annotate(res, variants, "GRCh37", exclude_clinvar=hide, leave_self_out=True, progress=progress)
    results = [classify(a) for a in anns]
    variants["acmg_points"] = [r.points for r in results]
    variants["acmg_class"] = [r.acmg_class for r in results]
    return variants.reset_index(drop=True), feature_matrix(anns, results)


def _test_metrics(
    frame: pd.DataFrame, x: np.ndarray, y: np.ndarray, ranker: CnvRanker, threshold: float, seed: int
) -> dict[str, Any]:
    """Ranker and ACMG metrics with 95 % bootstrap CIs on the test rows ``frame``/``x``/``y``."""
    from sklearn.metrics import average_precision_score, brier_score_loss

    p, pts, n = ranker.predict_proba(x), frame["acmg_points"].to_numpy(), len(y)
    return {
        "ranker_auroc": bootstrap_ci(lambda i: _auroc(y[i], p[i]), n, seed),
        "ranker_auprc": bootstrap_ci(lambda i: float(average_precision_score(y[i], p[i])), n, seed),
        "ranker_brier": bootstrap_ci(lambda i: float(brier_score_loss(y[i], p[i])), n, seed),
        "baseline_acmg_points_auroc": bootstrap_ci(lambda i: _auroc(y[i], pts[i]), n, seed),
        "calibration_bins": _calibration_bins(y, p),
        "acmg_test": acmg_targets(frame, seed),
        "ranker_at_threshold_test": _recall_at(frame, p, threshold, seed),
    }


def train(
    out_dir: Path = WEIGHTS_DIR, seed: int = 0, progress: Callable[[float, str], None] | None = None
) -> dict[str, Any]:
    """Fit, evaluate on held-out chromosomes, save weights and ``metrics.json``; returns the metrics."""
    from sklearn.metrics import brier_score_loss

    held_out = test_chromosomes(seed)
    frame, x = load_clinvar_features((lambda f, m: progress(0.25 * f, m)) if progress else None, held_out)
    lovo_frame, lovo_x = load_clinvar_features((lambda f, m: progress(0.25 + 0.25 * f, m)) if progress else None)
    y = frame["label"].to_numpy()
    test = frame["chrom"].isin(held_out).to_numpy()
    train_chroms = sorted(frame.loc[~test, "chrom"].unique(), key=int)
    oof = np.zeros(len(frame))
    for k, chrom in enumerate(train_chroms):
        fold = (frame["chrom"] == chrom).to_numpy()
        model = CnvRanker(random_state=seed).fit(x[~test & ~fold], y[~test & ~fold])
        oof[fold] = model.predict_raw(x[fold])
        if progress:
            progress(0.5 + 0.4 * k / len(train_chroms), f"chromosome {chrom} out")
    ranker = CnvRanker(random_state=seed).fit(x[~test], y[~test], oof_raw=oof[~test])
    threshold = _threshold_for_specificity(oof[~test], y[~test], ranker)
    metrics: dict[str, Any] = {
        "seed": seed,
        "test_chromosomes": held_out,
        "n_train": int((~test).sum()),
        "n_test": int(test.sum()),
        "validation_oof_auroc": round(_auroc(y[~test], oof[~test]), 4),  # training chromosomes, one out at a time
        "knowledge_base": "ClinVar records of the test chromosomes hidden (headline); lovo: ClinVar minus the variant",
        **_test_metrics(frame[test], x[test], y[test], ranker, threshold, seed),
        "baseline_prior_brier": round(float(brier_score_loss(y[test], np.full(int(test.sum()), y[~test].mean()))), 4),
        "lovo": _test_metrics(lovo_frame[test], lovo_x[test], y[test], ranker, threshold, seed),
        "acmg_all_clinvar_lovo": acmg_targets(lovo_frame, seed),
    }
    ranker.save(out_dir, metrics)
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=1))
    return metrics


def _threshold_for_specificity(
    oof_raw: np.ndarray, y: np.ndarray, ranker: CnvRanker, specificity: float = 0.90
) -> float:
    """Calibrated-score threshold leaving ``specificity`` of benign training CNVs below it (out-of-fold)."""
    p_oof = np.interp(oof_raw, ranker.calibration_["x"], ranker.calibration_["y"])
    return float(np.quantile(p_oof[y == 0], specificity))


def _recall_at(frame: pd.DataFrame, p: np.ndarray, threshold: float, seed: int) -> dict[str, Any]:
    """Issue-style rates if the AI score (>= threshold: P/LP) were the call, for comparison with ACMG."""
    out: dict[str, Any] = {"threshold": round(threshold, 4)}
    for name, mask, hit in (
        ("pathogenic_DEL", (frame.svtype == "DEL") & (frame.label == 1), p >= threshold),
        ("pathogenic_DUP", (frame.svtype == "DUP") & (frame.label == 1), p >= threshold),
        ("benign_below", frame.label == 0, p < threshold),
    ):
        out[name] = _rate_ci(hit[mask.to_numpy()], seed)
    return out


def _calibration_bins(y: np.ndarray, p: np.ndarray, bins: int = 5) -> list[dict[str, Any]]:
    edges = np.linspace(0, 1, bins + 1)
    out = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        m = (p >= lo) & ((p < hi) if hi < 1 else (p <= hi))
        if m.any():
            out.append(
                {
                    "bin": f"{lo:.1f}-{hi:.1f}",
                    "n": int(m.sum()),
                    "mean_predicted": round(float(p[m].mean()), 3),
                    "observed": round(float(y[m].mean()), 3),
                }
            )
    return out
