"""Seeded CPU training of the calibrated triage ensemble (reproduces the committed weights).

Protocol: 20% of UCSD and LUNA16 patients are held out as a patient-disjoint test set; the rest
is split into ``n_folds`` patient-disjoint folds. One :class:`CovidTriageNet` and one texture booster
(:mod:`iasante.ct.texture`) are trained per fold; their out-of-fold (OOF) predictions fit the Platt
calibration of each head and the stacking of the two COVID scores, and the mean of the fold models is the
shipped ensemble, scored once on the test set (see :mod:`iasante.ct.evaluate`).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import LogisticRegression

from iasante.ct.data import MD_MIN_LUNG_FRACTION, assign_folds, build_catalogue, split_test_groups
from iasante.ct.io import load_input
from iasante.ct.model import (
    HEADS,
    WEIGHTS_DIR,
    WEIGHTS_FILE,
    CovidTriageNet,
    TriageConfig,
    cascade_of,
    head_members,
    sigmoid,
    stack_covid,
)
from iasante.ct.preprocess import INPUT_SIZE_PX, lung_fraction, to_model_input
from iasante.ct.texture import TEXTURE_FILE, TextureModel, texture_features

Log = Callable[[str], None]


def prepare_arrays(
    paths: list[str], cache_dir: Path, size_px: int = INPUT_SIZE_PX, crop: str = "lung"
) -> dict[str, np.ndarray]:
    """Preprocess every slice once: ``x`` ``(N, 1, S, S)`` uint8, ``lung_frac`` ``(N,)``, ``raw`` ``(N, 4)``.

    Raw stats (height px, width px, mean, std of the original image) serve the shortcut check only.
    The cache key hashes the path list, size and crop, so a changed catalogue rebuilds it.
    """
    key = hashlib.sha256(("\n".join(paths) + f"|{size_px}|{crop}|harmonise_body").encode()).hexdigest()[:16]
    cache = cache_dir / f"ct_inputs_{key}.npz"
    if cache.exists():
        return dict(np.load(cache))
    xs, lung, raw = [], [], []
    for path in paths:
        s = load_input(path).slices[0]
        xs.append(np.round(to_model_input(s, size_px, crop=crop) * 255).astype(np.uint8))
        lung.append(lung_fraction(s))
        raw.append([s.shape[0], s.shape[1], float(s.mean()), float(s.std())])
    arrays: dict[str, np.ndarray] = {
        "x": np.stack(xs),
        "lung_frac": np.array(lung, np.float32),
        "raw": np.array(raw, np.float32),
    }
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(cache, x=arrays["x"], lung_frac=arrays["lung_frac"], raw=arrays["raw"])
    return arrays


def _augmenter(seed: int):  # type: ignore[no-untyped-def]
    """MONAI random transforms on one ``(1, S, S)`` tensor: geometry, contrast, blur and noise.

    Flips on both axes because some published figures are stored upside down; blur and noise blunt the
    resolution and compression differences between paper figures and scanner exports.
    """
    from monai.transforms import (
        Compose,
        RandAdjustContrast,
        RandAffine,
        RandFlip,
        RandGaussianNoise,
        RandGaussianSmooth,
        RandScaleIntensity,
    )

    aug = Compose(
        [
            RandFlip(prob=0.5, spatial_axis=1),
            RandFlip(prob=0.2, spatial_axis=0),
            RandAffine(prob=0.8, rotate_range=0.26, scale_range=0.15, translate_range=(8, 8), padding_mode="zeros"),
            RandAdjustContrast(prob=0.5, gamma=(0.7, 1.5)),
            RandScaleIntensity(prob=0.3, factors=0.15),
            RandGaussianSmooth(prob=0.3, sigma_x=(0.3, 1.2), sigma_y=(0.3, 1.2)),
            RandGaussianNoise(prob=0.3, std=0.03),
        ]
    )
    aug.set_random_state(seed=seed)
    return aug


def _masked_bce(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy over both heads; targets ``-1`` are ignored. Shapes ``(N, 2)``."""
    mask = targets >= 0
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets.clamp(min=0), reduction="none")
    return (loss * mask).sum() / mask.sum().clamp(min=1)


def fit_member(
    x: np.ndarray,
    y: np.ndarray,
    epochs: int,
    seed: int,
    log: Log = print,
    channels: tuple[int, ...] = (16, 32, 64, 128),
    batch_size: int = 32,
) -> CovidTriageNet:
    """Train one network. ``x``: ``(N, 1, S, S)`` uint8; ``y``: ``(N, 2)`` in {-1, 0, 1} (HEADS order)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    aug = _augmenter(seed)
    net = CovidTriageNet(channels)
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    steps = epochs * int(np.ceil(len(x) / batch_size))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps, pct_start=0.15)
    targets = torch.from_numpy(y.astype(np.float32))
    for epoch in range(epochs):
        net.train()
        order = rng.permutation(len(x))
        total, start = 0.0, time.monotonic()
        for b in range(0, len(x), batch_size):
            idx = order[b : b + batch_size]
            if len(idx) < 2:
                continue
            batch = torch.stack([torch.as_tensor(aug(torch.from_numpy(x[i].astype(np.float32) / 255.0))) for i in idx])
            loss = _masked_bce(net(batch.float()), targets[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        log(f"  epoch {epoch + 1}/{epochs} loss {total / len(x):.4f} ({time.monotonic() - start:.1f}s)")
    return net.eval()


@torch.no_grad()
def predict_logits(net: torch.nn.Module, x: np.ndarray, batch_size: int = 128) -> np.ndarray:
    """Logits ``(N, 2)`` for uint8 inputs ``(N, 1, S, S)``."""
    net.eval()
    out = [
        net(torch.from_numpy(x[b : b + batch_size].astype(np.float32) / 255.0)).numpy()
        for b in range(0, len(x), batch_size)
    ]
    return np.concatenate(out) if out else np.zeros((0, len(HEADS)), np.float32)


def fit_platt(logits: np.ndarray, y: np.ndarray) -> tuple[list[float], list[float]]:
    """Per-head affine calibration ``sigmoid(a * logit + b)`` fitted on OOF rows with known labels."""
    scale, bias = [], []
    for h in range(len(HEADS)):
        known = y[:, h] >= 0
        lr = LogisticRegression(C=1e4).fit(logits[known, h : h + 1], y[known, h])
        scale.append(float(lr.coef_[0, 0]))
        bias.append(float(lr.intercept_[0]))
    return scale, bias


def youden_threshold(y: np.ndarray, prob: np.ndarray) -> float:
    """Probability threshold maximising sensitivity + specificity (Youden's J) on labelled OOF rows."""
    from sklearn.metrics import roc_curve

    fpr, tpr, thresholds = roc_curve(y, prob)
    return float(np.clip(thresholds[int(np.argmax(tpr - fpr))], 0.05, 0.95))


def _load_split(
    seed: int, n_folds: int, cache_dir: Path
) -> tuple[pd.DataFrame, dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """Catalogue, cached arrays, test mask, development rows and their folds: the same for a given seed.

    ``arrays["x"]`` is ``(N, 2, S, S)`` uint8: channel 0 the body crop, channel 1 the lung crop.
    """
    table = build_catalogue().table
    arrays = prepare_arrays(table.path.tolist(), cache_dir, crop="body")
    arrays["x"] = np.concatenate([arrays["x"], prepare_arrays(table.path.tolist(), cache_dir, crop="lung")["x"]], 1)
    keep = ~(table.source.str.startswith("md_").to_numpy() & (arrays["lung_frac"] < MD_MIN_LUNG_FRACTION))
    table, arrays = table[keep].reset_index(drop=True), {k: v[keep] for k, v in arrays.items()}
    is_test = split_test_groups(table, seed=seed)
    dev = np.flatnonzero(~is_test)
    return table, arrays, is_test, dev, assign_folds(table.group.iloc[dev], n_folds, seed=seed)


def train(
    out_dir: Path = WEIGHTS_DIR,
    n_folds: int = 5,
    epochs: int = 20,
    seed: int = 0,
    cache_dir: Path = Path("/tmp/ct_cache"),
    log: Log = print,
) -> dict[str, Any]:
    """Run the whole protocol; write ``ct_triage.pt``, ``texture_lgbm.json``, ``config.json``, ``metrics.json``
    in ``out_dir``. One CNN per fold and view (body crop, lung crop): ``2 * n_folds`` networks."""
    torch.set_num_threads(1)
    t0 = time.monotonic()
    table, arrays, is_test, dev, folds = _load_split(seed, n_folds, cache_dir)
    log(f"catalogue: {len(table)} slices, {table.group.nunique()} patients ({time.monotonic() - t0:.0f}s)")
    y = table[["y_abn", "y_covid"]].to_numpy()
    views: list[list[CovidTriageNet]] = [[], []]
    for channel, name in enumerate(("body", "lung")):
        for k in range(n_folds):
            tr, va = dev[folds != k], dev[folds == k]
            log(f"{name} crop, fold {k + 1}/{n_folds}: train {len(tr)} slices, validate {len(va)}")
            views[channel].append(fit_member(arrays["x"][tr, channel : channel + 1], y[tr], epochs, seed + k, log))
    return finalise(views[0], views[1], out_dir, epochs, seed, cache_dir, log, t0)


def finalise(
    body: list[CovidTriageNet],
    lung: list[CovidTriageNet],
    out_dir: Path,
    epochs: int,
    seed: int,
    cache_dir: Path,
    log: Log = print,
    t0: float | None = None,
) -> dict[str, Any]:
    """From trained fold members of both views: texture boosters, OOF logits, Platt calibration, stacking,
    Youden thresholds, save, measure.

    Stage 1 is scored by the body-crop members and stage 2 by the lung-crop members stacked with the
    texture model: each head from the view that scored it best out of fold (abnormal AUC 0.943 body vs 0.894
    lung in 1.1.0, 0.960 with the window-harmonised body crop of 1.2.0; COVID AUC on UCSD + LUNA16 0.871 body
    vs 0.883 lung). The texture boosters are fitted here (seconds,
    seeded) so that ``--recalibrate-only`` rebuilds them too. Stage 1's threshold is chosen on OOF rows with a
    known normal/abnormal label; stage 2's on OOF rows that are not normal (COVID-19 vs other or unknown
    pathology), as the cascade applies it. The test set is never used to choose anything.
    """
    from iasante.ct.evaluate import evaluate

    t0 = time.monotonic() if t0 is None else t0
    n_folds = len(body)
    table, arrays, is_test, dev, folds = _load_split(seed, n_folds, cache_dir)
    y = table[["y_abn", "y_covid"]].to_numpy()
    features = texture_features(arrays["x"][:, 1:])
    texture = TextureModel()
    oof = np.zeros((len(table), len(HEADS)), np.float32)
    texture_oof = np.zeros(len(table))
    for k in range(n_folds):
        rows = dev[folds == k]
        oof[rows] = predict_logits(cascade_of([body[k]], [lung[k]], [1.0, 1.0], [0.0, 0.0]), arrays["x"][rows])
        texture.fit_fold(features[dev[folds != k]], y[dev[folds != k], 1], seed=seed + k)
        texture_oof[rows] = texture.raw_score(features[rows], [k])
    scale, bias = fit_platt(oof[dev], y[dev])
    calibrated = oof[dev] * np.array(scale) + np.array(bias)
    # each patient weighs the same in the stack (as in the metrics): COVID-CT-MD's 3 patients with ~50 slices
    # each would otherwise outweigh hundreds of one-slice patients
    per_patient = 1.0 / table.groupby("group").group.transform("size").to_numpy()[dev]
    stacker = LogisticRegression(C=1e4).fit(
        np.stack([calibrated[:, 1], texture_oof[dev]], 1), y[dev, 1], sample_weight=per_patient
    )
    config = TriageConfig(
        n_members=n_folds,
        platt_scale=scale,
        platt_bias=bias,
        input_size_px=INPUT_SIZE_PX,
        crop="cascade",
        stack_coef=[round(float(c), 6) for c in stacker.coef_[0]],
        stack_bias=round(float(stacker.intercept_[0]), 6),
        harmonise_window=True,
        version="1.2.0",
    )
    p_oof = sigmoid(stack_covid(calibrated, texture_oof[dev], config))
    known, stage2 = y[dev, 0] >= 0, y[dev, 0] != 0
    config.threshold_abnormal = round(youden_threshold(y[dev, 0][known], p_oof[known, 0]), 4)
    config.threshold_covid = round(youden_threshold(y[dev, 1][stage2], p_oof[stage2, 1]), 4)
    net = cascade_of(body, lung, scale, bias)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.save({k: v.clone() for k, v in net.state_dict().items()}, out_dir / WEIGHTS_FILE)
    texture.save(out_dir / TEXTURE_FILE)
    config.save(out_dir / "config.json")
    metrics = evaluate(table, arrays, is_test, dev, folds, oof, texture_oof, net, body, lung, texture, config, log)
    metrics["training"] = {
        "seed": seed,
        "n_folds": n_folds,
        "epochs": epochs,
        "wall_s": round(time.monotonic() - t0),
        "torch": torch.__version__,
        "weights_sha256": _sha256(out_dir / WEIGHTS_FILE),
        "thresholds": {"abnormal": config.threshold_abnormal, "covid": config.threshold_covid},
    }
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    log(f"done in {time.monotonic() - t0:.0f}s; weights in {out_dir}")
    return metrics


def recalibrate(
    weights_dir: Path = WEIGHTS_DIR,
    seed: int = 0,
    epochs: int = 20,
    cache_dir: Path = Path("/tmp/ct_cache"),
    log: Log = print,
) -> dict[str, Any]:
    """Re-run :func:`finalise` on already trained members (``body.members.<k>``, ``lung.members.<k>`` = fold
    ``k``), e.g. after a change of calibration or evaluation code, without retraining; the result equals a
    full :func:`train` with ``seed``."""
    from iasante.ct.predict import CtTriage

    torch.set_num_threads(1)
    net = CtTriage(weights_dir).net_
    body, _ = head_members(net, "abnormal")
    lung, _ = head_members(net, "covid")
    return finalise(body, lung, weights_dir, epochs, seed, cache_dir, log)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
