"""Measured numbers for the model card: test-set metrics with patient-bootstrap CIs, OOF CV metrics,
per-source results, calibration, a shortcut baseline, what each view (CNN, texture) gives alone, and the
COVID-CT-MD series calls (each patient judged by the fold models that never saw it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier

from iasante.ct.data import ct_data_dir
from iasante.ct.metrics import aggregate_series, auc, balanced_accuracy, cluster_bootstrap
from iasante.ct.model import CascadeNet, CovidTriageNet, TriageConfig, cascade_of, decide, sigmoid, stack_covid
from iasante.ct.texture import TextureModel, texture_features

Log = Callable[[str], None]


def _calibrate(logits: np.ndarray, texture_score: np.ndarray, config: TriageConfig) -> np.ndarray:
    """Probabilities ``(N, 2)`` from mean member logits and texture log-odds, as the shipped model computes."""
    calibrated = logits * np.array(config.platt_scale) + np.array(config.platt_bias)
    return sigmoid(stack_covid(calibrated, texture_score, config))


def _head_metrics(
    prob: np.ndarray, y: np.ndarray, groups: np.ndarray, rows: np.ndarray, threshold: float
) -> dict[str, Any]:
    """AUC and balanced accuracy (at ``threshold``) with patient-bootstrap 95% CIs on labelled ``rows``."""
    rows = rows[y[rows] >= 0]
    return {
        "auc": cluster_bootstrap(auc, y[rows], prob[rows], groups[rows]),
        "balanced_accuracy": cluster_bootstrap(
            lambda yy, pp: balanced_accuracy(yy, pp, threshold), y[rows], prob[rows], groups[rows]
        ),
        "threshold": threshold,
        "brier": round(float(np.mean((prob[rows] - y[rows]) ** 2)), 4),
        "ece": _ece(prob[rows], y[rows]),
    }


def _ece(prob: np.ndarray, y: np.ndarray, n_bins: int = 10) -> float:
    """Expected calibration error over equal-width probability bins."""
    bins = np.minimum((prob * n_bins).astype(int), n_bins - 1)
    return round(
        float(
            sum(
                abs(prob[bins == b].mean() - y[bins == b].mean()) * (bins == b).mean()
                for b in range(n_bins)
                if (bins == b).any()
            )
        ),
        4,
    )


def _per_source(table: pd.DataFrame, probs: np.ndarray, rows: np.ndarray, config: TriageConfig) -> dict[str, Any]:
    out = {}
    for source, idx in table.iloc[rows].groupby("source").indices.items():
        r = rows[idx]
        calls = [decide(a, c, config) for a, c in probs[r]]
        out[source] = {
            "n": int(len(r)),
            "mean_p_abnormal": round(float(probs[r, 0].mean()), 3),
            "mean_p_covid": round(float(probs[r, 1].mean()), 3),
            "calls": {c: calls.count(c) for c in ("normal", "pathological", "covid")},
        }
    return out


def _shortcut_baseline(table: pd.DataFrame, raw: np.ndarray, is_test: np.ndarray, seed: int) -> dict[str, Any]:
    """COVID AUC of a model that sees only image size and global intensity: how much a shortcut could give."""
    y = table.y_covid.to_numpy()
    clf = HistGradientBoostingClassifier(max_iter=100, random_state=seed).fit(raw[~is_test], y[~is_test])
    rows = np.flatnonzero(is_test)
    groups = table.group.to_numpy()
    ucsd = rows[table.source.iloc[rows].str.startswith("ucsd").to_numpy()]
    prob = clf.predict_proba(raw)[:, 1]
    return {
        "features": "original height px, width px, mean and std intensity",
        "test_auc_covid": cluster_bootstrap(auc, y[rows], prob[rows], groups[rows]),
        "test_auc_covid_ucsd_only": cluster_bootstrap(auc, y[ucsd], prob[ucsd], groups[ucsd]),
    }


def _md_series(
    body: list[CovidTriageNet],
    lung: list[CovidTriageNet],
    net: CascadeNet,
    texture: TextureModel,
    md_fold: dict[str, int],
    config: TriageConfig,
    log: Log,
) -> dict[str, Any]:
    """Series call of each COVID-CT-MD patient from all its PNG slices and, where shipped, its DICOM files.

    ``oof`` uses the fold CNNs and texture booster that never saw the patient (honest); ``in_sample`` the
    shipped model, four of whose five members per view saw the patient (a consistency check only).
    """
    from iasante.ct.io import load_input
    from iasante.ct.preprocess import lung_fraction, to_model_inputs
    from iasante.ct.train import predict_logits

    root = ct_data_dir() / "covid_ct_md"
    labels = pd.read_csv(root / "labels.csv").sort_values(["patient_id", "slice_index_sorted"])
    truth = {"covid": "covid", "cap": "pathological", "normal": "normal"}
    out: dict[str, Any] = {}
    for patient, rows in labels.groupby("patient_id"):
        inputs = {"png": [load_input(root / f).slices[0] for f in rows.file]}
        if (root / "dicom" / patient).is_dir():
            inputs["dicom"] = load_input(root / "dicom" / patient).slices
        expected = truth[str(rows.label.iloc[0])]
        for kind, slices in inputs.items():
            x = np.stack(
                [
                    np.round(to_model_inputs(s, config.input_size_px, config.harmonise_window) * 255).astype(np.uint8)
                    for s in slices
                ]
            )
            lung_frac = np.array([lung_fraction(s) for s in slices])
            features, k = texture_features(x[:, 1:]), md_fold[patient]
            fold_net = cascade_of([body[k]], [lung[k]], [1.0, 1.0], [0.0, 0.0])
            entry: dict[str, Any] = {"n_slices": len(slices), "expected": expected, "fold_model": k}
            for name, probs in (
                ("oof", _calibrate(predict_logits(fold_net, x), texture.raw_score(features, [k]), config)),
                ("in_sample", sigmoid(stack_covid(predict_logits(net, x), texture.raw_score(features), config))),
            ):
                p_abn, p_cov, _ = aggregate_series(probs[:, 0], probs[:, 1], lung_frac, config.series_top_frac)
                call = decide(p_abn, p_cov, config)
                entry[name] = {
                    "p_abnormal": round(p_abn, 3),
                    "p_covid": round(p_cov, 3),
                    "call": call,
                    "correct": call == expected,
                }
                log(
                    f"  series {patient}/{kind} [{name}]: {call} (expected {expected}) "
                    f"p_abn={p_abn:.3f} p_covid={p_cov:.3f}"
                )
            out[f"{patient}/{kind}"] = entry
    return out


def _ablations(
    table: pd.DataFrame,
    x: np.ndarray,
    test: np.ndarray,
    lung: list[CovidTriageNet],
    texture_score: np.ndarray,
    oof: np.ndarray,
    texture_oof: np.ndarray,
    dev: np.ndarray,
    config: TriageConfig,
) -> dict[str, Any]:
    """COVID AUC of each lung-crop CNN member, their ensemble (with and without a left-right flip at test
    time), the texture model alone and the stack, out-of-fold and on the test set, and the calibration error
    before and after calibration: what each piece measurably brings. ``x``: lung crops ``(N, 1, S, S)``;
    ``texture_score``: test rows."""
    from iasante.ct.train import predict_logits

    y = table.y_covid.to_numpy()
    per_member = np.stack([predict_logits(m, x[test]) for m in lung])
    flipped = np.stack([predict_logits(m, np.ascontiguousarray(x[test][..., ::-1])) for m in lung])
    mean_logit = per_member.mean(0)
    no_md = dev[~table.source.iloc[dev].str.startswith("md_").to_numpy()]
    stacked_oof = _calibrate(oof[no_md], texture_oof[no_md], config)[:, 1]
    return {
        "test_auc_covid_each_member": [round(auc(y[test], lg[:, 1]), 4) for lg in per_member],
        "test_auc_covid_cnn_ensemble": round(auc(y[test], mean_logit[:, 1]), 4),
        "test_auc_covid_cnn_ensemble_with_flip_tta": round(auc(y[test], (mean_logit + flipped.mean(0))[:, 1] / 2), 4),
        "test_auc_covid_texture_only": round(auc(y[test], texture_score), 4),
        "test_auc_covid_stacked": round(auc(y[test], _calibrate(mean_logit, texture_score, config)[:, 1]), 4),
        "oof_auc_covid_ucsd_luna16_cnn": round(auc(y[no_md], oof[no_md, 1]), 4),
        "oof_auc_covid_ucsd_luna16_texture": round(auc(y[no_md], texture_oof[no_md]), 4),
        "oof_auc_covid_ucsd_luna16_stacked": round(auc(y[no_md], stacked_oof), 4),
        "test_ece_covid_uncalibrated_cnn": _ece(sigmoid(mean_logit[:, 1]), y[test]),
        "test_ece_covid_calibrated_stack": _ece(_calibrate(mean_logit, texture_score, config)[:, 1], y[test]),
    }


def evaluate(
    table: pd.DataFrame,
    arrays: dict[str, np.ndarray],
    is_test: np.ndarray,
    dev: np.ndarray,
    folds: np.ndarray,
    oof: np.ndarray,
    texture_oof: np.ndarray,
    net: CascadeNet,
    body: list[CovidTriageNet],
    lung: list[CovidTriageNet],
    texture: TextureModel,
    config: TriageConfig,
    log: Log,
    seed: int = 0,
) -> dict[str, Any]:
    """All metrics as a JSON-ready dict (see the module docstring)."""
    from iasante.ct.train import predict_logits

    y = table[["y_abn", "y_covid"]].to_numpy()
    groups = table.group.to_numpy()
    test = np.flatnonzero(is_test)
    probs = np.zeros_like(oof, dtype=np.float64)
    texture_test = texture.raw_score(texture_features(arrays["x"][test, 1:]))
    probs[test] = sigmoid(stack_covid(predict_logits(net, arrays["x"][test]), texture_test, config))
    oof_probs = _calibrate(oof, texture_oof, config)
    ucsd_test = test[table.source.iloc[test].str.startswith("ucsd").to_numpy()]
    ucsd_dev = dev[table.source.iloc[dev].str.startswith("ucsd").to_numpy()]
    metrics: dict[str, Any] = {
        "split": {
            "test_patients": int(len(set(groups[test]))),
            "test_slices": int(len(test)),
            "dev_patients": int(len(set(groups[dev]))),
            "dev_slices": int(len(dev)),
            "test_sources": table.source.iloc[test].value_counts().to_dict(),
        },
        "test": {
            "covid_vs_noncovid": _head_metrics(probs[:, 1], y[:, 1], groups, test, config.threshold_covid),
            "covid_vs_noncovid_ucsd_only": _head_metrics(
                probs[:, 1], y[:, 1], groups, ucsd_test, config.threshold_covid
            ),
            "abnormal_vs_normal": _head_metrics(probs[:, 0], y[:, 0], groups, test, config.threshold_abnormal),
            "per_source": _per_source(table, probs, test, config),
        },
        "cv_oof": {
            "covid_vs_noncovid": _head_metrics(oof_probs[:, 1], y[:, 1], groups, dev, config.threshold_covid),
            "covid_vs_noncovid_ucsd_only": _head_metrics(
                oof_probs[:, 1], y[:, 1], groups, ucsd_dev, config.threshold_covid
            ),
            "abnormal_vs_normal": _head_metrics(oof_probs[:, 0], y[:, 0], groups, dev, config.threshold_abnormal),
            "per_source": _per_source(table, oof_probs, dev, config),
        },
        "shortcut_baseline": _shortcut_baseline(table, arrays["raw"], is_test, seed),
        "ablations": _ablations(table, arrays["x"][:, 1:], test, lung, texture_test, oof, texture_oof, dev, config),
    }
    log(f"test COVID AUC {metrics['test']['covid_vs_noncovid']['auc']}")
    log(f"test COVID AUC (UCSD only) {metrics['test']['covid_vs_noncovid_ucsd_only']['auc']}")
    log(f"test abnormal AUC {metrics['test']['abnormal_vs_normal']['auc']}")
    md_groups = table.group[table.group.str.startswith("md:")]
    md_fold = {g[3:]: int(folds[np.flatnonzero(dev == i)[0]]) for i, g in md_groups.items()}
    metrics["series_covid_ct_md"] = _md_series(body, lung, net, texture, md_fold, config, log)
    return metrics
