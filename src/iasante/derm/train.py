"""Seeded training that reproduces the committed weights (CPU, two threads).

Steps: pre-process HAM10000 and PH2 once (cached), split HAM10000 by lesion_id (train/val/test), train the CNN
with a class-weighted loss, train LightGBM on the ABCD/colour descriptors, choose test-time augmentation and the
CNN/LightGBM blend weight on validation, calibrate on validation, pick the melanoma threshold on validation,
then measure the lesion-disjoint test set and the external PH2 set once, with bootstrap 95 % CIs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from torch import nn

from iasante.derm.data import DEFAULT_CACHE, DIAGNOSES, MELANOMA_INDEX, load_cached, split_by_lesion
from iasante.derm.features import descriptor_names
from iasante.derm.metrics import apply_vector_scaling, fit_vector_scaling, summarise, threshold_for_sensitivity
from iasante.derm.model import DermNet, augment, normalise, tta_views
from iasante.derm.predictor import CNN_NAME, CONFIG_NAME, LGB_NAME, ONNX_NAME, WEIGHTS_DIR

Progress = Callable[[float, str], None]
TARGET_SENSITIVITY = 0.85
_BATCH = 64


def _quiet(_fraction: float, _message: str) -> None:
    return None


def predict_cnn(net: DermNet, images: np.ndarray, tta: bool) -> np.ndarray:
    """Log of the mean softmax over (flip) views: images uint8 (N, 72, 96, 3) -> float64 (N, 7)."""
    net.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(images), 256):
            batch = normalise(images[start: start + 256])
            views = tta_views(batch) if tta else [batch]
            out.append(torch.stack([net(v).softmax(1) for v in views]).mean(0))
    return np.log(torch.cat(out).double().numpy() + 1e-9)


def _score(log_probs: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(melanoma-vs-rest AUC, macro one-vs-rest AUC) used for model selection."""
    probs = np.exp(log_probs)
    auc_mel = roc_auc_score(labels == MELANOMA_INDEX, probs[:, MELANOMA_INDEX])
    macro = roc_auc_score(labels, probs / probs.sum(1, keepdims=True), multi_class="ovr")
    return float(auc_mel), float(macro)


def train_cnn(x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, seed: int,
              epochs: int, on_progress: Progress = _quiet, log: Callable[[str], None] = print) -> DermNet:
    """Train DermNet (AdamW, one-cycle LR, sqrt-inverse-frequency class weights); keep the best epoch on val.

    x_*: uint8 (N, 72, 96, 3); y_*: int (N,) indices into DIAGNOSES.
    """
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    net = DermNet()
    counts = np.bincount(y_train, minlength=len(DIAGNOSES)).astype(np.float64)
    weights = np.sqrt(counts.sum() / (len(DIAGNOSES) * counts))
    loss_fn = nn.CrossEntropyLoss(weight=torch.tensor(weights / weights.mean(), dtype=torch.float32),
                                  label_smoothing=0.05)
    steps = epochs * int(np.ceil(len(x_train) / _BATCH))
    optimiser = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=5e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=3e-3, total_steps=steps, pct_start=0.2)
    labels = torch.as_tensor(y_train, dtype=torch.long)
    best_score, best_state = -1.0, None
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(len(x_train), generator=generator)
        total = 0.0
        for start in range(0, len(order), _BATCH):
            index = order[start: start + _BATCH]
            batch = augment(normalise(x_train[index.numpy()]), generator)
            loss = loss_fn(net(batch), labels[index])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss) * len(index)
        auc_mel, macro = _score(predict_cnn(net, x_val, tta=False), y_val)
        score = (auc_mel + macro) / 2
        if score > best_score:
            best_score, best_state = score, {k: v.clone() for k, v in net.state_dict().items()}
        log(f"epoch {epoch + 1}/{epochs} loss {total / len(order):.4f} val AUC mel {auc_mel:.4f} "
            f"macro {macro:.4f}{' *' if best_state is not None and score == best_score else ''}")
        on_progress(0.05 + 0.8 * (epoch + 1) / epochs, f"epoch {epoch + 1}/{epochs}")
    assert best_state is not None
    net.load_state_dict(best_state)
    return net.eval()


def train_descriptor_model(desc_train: np.ndarray, y_train: np.ndarray, desc_val: np.ndarray,
                           y_val: np.ndarray, seed: int) -> lgb.Booster:
    """LightGBM multiclass model on the ABCD/colour descriptors (N, D); early-stopped on validation."""
    params = {"objective": "multiclass", "num_class": len(DIAGNOSES), "learning_rate": 0.05, "num_leaves": 15,
              "min_data_in_leaf": 20, "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1,
              "lambda_l2": 1.0, "num_threads": 1, "seed": seed, "deterministic": True, "verbose": -1}
    names = descriptor_names()
    train_set = lgb.Dataset(desc_train, y_train, feature_name=names)
    val_set = lgb.Dataset(desc_val, y_val, feature_name=names, reference=train_set)
    return lgb.train(params, train_set, num_boost_round=600, valid_sets=[val_set],
                     callbacks=[lgb.early_stopping(50, verbose=False)])


def export_onnx(net: DermNet, path: Path) -> None:
    """Export the CNN with a dynamic batch axis: input ``image`` (B, 3, 72, 96) -> ``logits`` (B, 7)."""
    dummy = torch.zeros(1, 3, 72, 96)
    torch.onnx.export(net.eval(), (dummy,), str(path), input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17,
                      dynamo=False)


def _blend(log_cnn: np.ndarray, log_lgb: np.ndarray, weight: float) -> np.ndarray:
    return weight * log_cnn + (1 - weight) * log_lgb


def run_training(seed: int = 0, epochs: int = 45, out_dir: Path = WEIGHTS_DIR, cache_dir: Path = DEFAULT_CACHE,
                 on_progress: Progress = _quiet, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train, calibrate, evaluate and write the weights folder; returns the metrics written to the config."""
    torch.set_num_threads(2)
    started = time.time()
    on_progress(0.0, "pre-processing")
    ham, ph2 = load_cached("ham10000", cache_dir), load_cached("ph2", cache_dir)
    split = split_by_lesion(ham.frame, seed)
    y = ham.frame["y"].to_numpy()
    parts = {name: np.flatnonzero(split == name) for name in ("train", "val", "test")}
    tr, va, te = parts["train"], parts["val"], parts["test"]
    log(f"split by lesion: train {len(tr)}, val {len(va)}, test {len(te)} images")
    net = train_cnn(ham.net[tr], y[tr], ham.net[va], y[va], seed, epochs, on_progress, log)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), out_dir / CNN_NAME)
    on_progress(0.87, "descriptor model")
    booster = train_descriptor_model(ham.desc[tr], y[tr], ham.desc[va], y[va], seed)

    def descriptor_log_probs(desc: np.ndarray) -> np.ndarray:
        return np.log(np.asarray(booster.predict(desc, num_threads=1), dtype=np.float64) + 1e-9)

    val_plain, val_tta = predict_cnn(net, ham.net[va], False), predict_cnn(net, ham.net[va], True)
    tta = _score(val_tta, y[va])[0] > _score(val_plain, y[va])[0]
    val_cnn, val_lgb = (val_tta if tta else val_plain), descriptor_log_probs(ham.desc[va])
    grid = np.round(np.linspace(0, 1, 11), 2)
    val_auc = {float(w): _score(_blend(val_cnn, val_lgb, w), y[va])[0] for w in grid}
    weight = max(grid[::-1], key=lambda w: val_auc[float(w)])
    temperature, biases = fit_vector_scaling(_blend(val_cnn, val_lgb, weight), y[va])
    val_probs = apply_vector_scaling(_blend(val_cnn, val_lgb, weight), temperature, biases)
    threshold = threshold_for_sensitivity(val_probs[:, MELANOMA_INDEX], (y[va] == MELANOMA_INDEX).astype(int),
                                          TARGET_SENSITIVITY)
    log(f"val: TTA {tta}, blend weight {weight} (AUC by weight {val_auc}), T {temperature:.3f}, "
        f"threshold {threshold:.4f}")

    on_progress(0.92, "evaluation")

    def calibrated(images: np.ndarray, desc: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        log_cnn, log_lgb = predict_cnn(net, images, tta), descriptor_log_probs(desc)
        return apply_vector_scaling(_blend(log_cnn, log_lgb, weight), temperature, biases), log_cnn, log_lgb

    test_probs, test_cnn, test_lgb = calibrated(ham.net[te], ham.desc[te])
    lesions = ham.frame["lesion_id"].to_numpy()[te]
    test = summarise(test_probs, y[te], MELANOMA_INDEX, threshold, lesions)
    test["auc_melanoma_cnn_only"] = round(_score(test_cnn, y[te])[0], 4)
    test["auc_melanoma_descriptors_only"] = round(_score(test_lgb, y[te])[0], 4)
    subgroups = {}
    frame_te = ham.frame.iloc[te]
    for name, chosen in {"male": frame_te["sex"] == "male", "female": frame_te["sex"] == "female",
                         "age_lt_50": frame_te["age"] < 50, "age_ge_50": frame_te["age"] >= 50}.items():
        mask = chosen.to_numpy()
        subgroups[name] = summarise(test_probs[mask], y[te][mask], MELANOMA_INDEX, threshold, lesions[mask],
                                    multiclass=False)
    ph2_probs, _, _ = calibrated(ph2.net, ph2.desc)
    ph2_labels = np.where(ph2.frame["melanoma"] == 1, MELANOMA_INDEX, DIAGNOSES.index("nv"))
    external = summarise(ph2_probs, ph2_labels, MELANOMA_INDEX, threshold, multiclass=False)

    export_onnx(net, out_dir / ONNX_NAME)
    booster.save_model(str(out_dir / LGB_NAME))
    report = {
        "diagnoses": list(DIAGNOSES), "seed": seed, "epochs": epochs, "tta": bool(tta),
        "blend_weight_cnn": float(weight), "temperature": temperature, "biases": [float(b) for b in biases],
        "threshold_melanoma": threshold, "target_sensitivity_val": TARGET_SENSITIVITY,
        "split_counts": {k: int(len(v)) for k, v in parts.items()},
        "val_auc_melanoma_by_blend_weight": val_auc,
        "metrics": {"ham10000_test": test, "ham10000_test_subgroups": subgroups, "ph2_external": external},
        "train_seconds": round(time.time() - started, 1),
    }
    (out_dir / CONFIG_NAME).write_text(json.dumps(report, indent=2))
    on_progress(1.0, "done")
    return report
