"""Seeded training of :class:`ChromosomeNet` on BioImLab, split by metaphase cell, CPU only.

Targets: the class, and the polarity of the upright-aligned crop. BioImLab crops are cut from karyograms with
the p-arm up but not exactly vertical, so the canonical upright crop is the raw crop turned by its principal-
axis rotation (always under 90 degrees); turning it by 180 degrees gives the "p-arm down" examples.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from iasante.karyotype.evaluate import allowed_karyotype, make_cell_metaphase
from iasante.karyotype.io import CLASSES, load_labels, read_gray
from iasante.karyotype.metrics import ANGLE_TOLERANCE_DEG, angle_error_deg, summarise
from iasante.karyotype.model import (
    WEIGHTS_DIR,
    ChromosomeClassifier,
    ChromosomeNet,
    save_weights,
    update_meta,
)
from iasante.karyotype.pipeline import metaphase_scale, score_segments
from iasante.karyotype.preprocess import align_chromosome, to_bright_on_dark
from iasante.karyotype.segment import Segment, find_segments, neck_split, split_candidates
from iasante.karyotype.splitting import Piece, SplitChooser, is_doubtful, reading_features
from iasante.karyotype.synth import KARYOTYPES, Metaphase, junk_examples, synthesize_metaphase, upright_source
from iasante.karyotype.tilt import raw_frame_study
from iasante.karyotype.train_band import evaluate_cells, fit_band_model, turned_images

CACHE_DIR = Path("/tmp/karyotype_cache")
MEMBER_SEED_STEP = 100
"""Ensemble member m is initialised and augmented with seed ``random_state + 100 m`` (fine-tuning: + 1)."""


def split_cells(cells: np.ndarray, n_test: int = 20, n_val: int = 10, random_state: int = 0) -> dict[str, list[int]]:
    """Disjoint train/val/test lists of cell ids (a cell never straddles two parts)."""
    uniq = np.unique(cells)
    rng = np.random.default_rng(random_state)
    order = rng.permutation(uniq)
    return {
        "test": sorted(int(c) for c in order[:n_test]),
        "val": sorted(int(c) for c in order[n_test : n_test + n_val]),
        "train": sorted(int(c) for c in order[n_test + n_val :]),
    }


def build_canvases(table: pd.DataFrame, cache_dir: Path = CACHE_DIR) -> tuple[np.ndarray, list[np.ndarray]]:
    """Upright canvases (N, 112, 56) float16 and upright source crops (for synthesis), cached on disk."""
    key = hashlib.sha1("|".join(table["path"]).encode()).hexdigest()[:12]
    cache = cache_dir / f"canvases_{key}.pkl"
    if cache.is_file():
        with cache.open("rb") as handle:
            return pickle.load(handle)  # noqa: S301 - our own cache file
    canvases, sources = [], []
    for path in table["path"]:
        raw = read_gray(path)
        canvases.append(align_chromosome(raw)[0].astype(np.float16))
        sources.append(upright_source(raw))
    cache_dir.mkdir(parents=True, exist_ok=True)
    out = np.stack(canvases), sources
    with cache.open("wb") as handle:
        pickle.dump(out, handle)
    return out


def junk_canvases(sources: list[np.ndarray], n: int, random_state: int = 0) -> np.ndarray:
    """(n, 112, 56) aligned canvases of touching pairs and broken pieces (the "other" class)."""
    rng = np.random.default_rng(random_state + 1)
    return np.stack(
        [align_chromosome(img, dark_on_light=False)[0].astype(np.float16) for img in junk_examples(sources, n, rng)]
    )


def augment(x: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Random 180-degree turn (polarity target), mirror, small affine, intensity jitter.

    Args:
        x: (B, 1, H, W) upright p-arm-up crops.

    Returns:
        augmented crops and the polarity target (1.0 = p-arm at the top).
    """
    b = x.shape[0]

    def uniform(low: float, high: float) -> torch.Tensor:
        return low + (high - low) * torch.rand(b, generator=gen)

    turn = torch.rand(b, generator=gen) < 0.5
    x = torch.where(turn[:, None, None, None], torch.flip(x, dims=(2, 3)), x)
    mirror = torch.rand(b, generator=gen) < 0.5
    x = torch.where(mirror[:, None, None, None], torch.flip(x, dims=(3,)), x)
    theta_r = torch.deg2rad(uniform(-10.0, 10.0))
    scale = uniform(0.85, 1.15)
    cos, sin = torch.cos(theta_r) / scale, torch.sin(theta_r) / scale
    aspect = x.shape[2] / x.shape[3]
    mat = torch.stack(
        [
            torch.stack([cos, -sin * aspect, uniform(-0.06, 0.06)], 1),
            torch.stack([sin / aspect, cos, uniform(-0.04, 0.04)], 1),
        ],
        1,
    )
    grid = F.affine_grid(mat, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")
    gamma = uniform(0.7, 1.4)[:, None, None, None]
    x = x.clamp(0, 1) ** gamma * uniform(0.7, 1.3)[:, None, None, None]
    x = x + 0.02 * torch.randn(x.shape, generator=gen) * (x > 0.02)
    return x.clamp(0, 1), (~turn).float()


def fit_net(
    canvases: np.ndarray,
    y: np.ndarray,
    epochs: int = 30,
    batch_size: int = 64,
    lr: float = 2e-3,
    random_state: int = 0,
    log: Callable[[str], None] = print,
    net: ChromosomeNet | None = None,
) -> ChromosomeNet:
    """Train :class:`ChromosomeNet` on upright canvases (N, 112, 56) with labels y (N,) in 0..24.

    Label 24 is "other" (not one whole chromosome); its polarity target is ignored. ``net`` continues an
    earlier stage instead of starting from a fresh, seeded initialisation.
    """
    torch.manual_seed(random_state)
    gen = torch.Generator().manual_seed(random_state)
    net = ChromosomeNet() if net is None else net
    counts = np.bincount(y, minlength=len(CLASSES) + 1).astype(np.float32)
    weights = torch.from_numpy((counts.max() / np.maximum(counts, 1)) ** 0.5)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    steps = epochs * int(np.ceil(len(y) / batch_size))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.2)
    data, target = torch.from_numpy(canvases.astype(np.float32))[:, None], torch.from_numpy(y).long()
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(len(y), generator=gen)
        total, correct, seen, start = 0.0, 0, 0, time.time()
        for i in range(0, len(y), batch_size):
            idx = order[i : i + batch_size]
            x, pol = augment(data[idx], gen)
            logits, pol_logit = net(x)
            loss = F.cross_entropy(logits, target[idx], weight=weights, label_smoothing=0.05)
            single = (target[idx] < len(CLASSES)).float()
            pol_loss = F.binary_cross_entropy_with_logits(pol_logit, pol, reduction="none")
            loss = loss + 0.5 * (pol_loss * single).sum() / single.sum().clamp(min=1.0)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
            correct += int((logits.argmax(1) == target[idx]).sum())
            seen += len(idx)
        log(
            f"epoch {epoch + 1}/{epochs} loss {total / seen:.3f} train-acc {correct / seen:.3f} "
            f"({time.time() - start:.0f} s)"
        )
    return net.eval()


def evaluate_single(clf: ChromosomeClassifier, table: pd.DataFrame, random_state: int = 0) -> dict[str, Any]:
    """End-to-end single-chromosome metrics on raw images turned by a random angle (known truth).

    Truth angle = random turn - raw principal rotation (the raw crop is p-arm up, so turning it upright takes
    its principal rotation). Also scored against the raw-crop frame (truth = the turn alone), the convention
    in which a BioImLab crop as stored counts as upright: see :mod:`.tilt` for why no model can meet it.
    Also scored with each cell classified together (:func:`.train_band.evaluate_cells`). Returns metrics with
    cell-bootstrap 95% CIs and per-image rows.
    """
    images, truth, turns = turned_images(table, random_state)
    preds = clf.predict_images(images, dark_on_light=False)
    pred_cls = np.array([CLASSES.index(p.chromosome) for p in preds])
    err_cls = (pred_cls != table["y"].to_numpy()).astype(float)
    angles = np.array([p.angle_deg for p in preds])
    err_ang = angle_error_deg(angles, np.array(truth))
    err_raw = angle_error_deg(angles, np.array(turns))
    cells = table["cell"].to_numpy()
    by_cell = evaluate_cells(clf, table, random_state)
    return {
        "classif_errors": summarise("ClassifErrors", err_cls, cells),
        "classif_errors_cell": by_cell["classif_errors_cell"],
        "angle_errors": summarise("AngleError>7.5deg", (err_ang > ANGLE_TOLERANCE_DEG).astype(float), cells),
        "angle_errors_raw_crop_frame": summarise(
            "AngleError>7.5deg (raw-crop frame)", (err_raw > ANGLE_TOLERANCE_DEG).astype(float), cells
        ),
        "rows": pd.DataFrame(
            {
                "file": table["file"],
                "cell": cells,
                "truth": table["chromosome"],
                "pred": [p.chromosome for p in preds],
                "pred_cell": by_cell["pred_cell"],
                "confidence": [p.confidence for p in preds],
                "angle_true": truth,
                "turn_deg": turns,
                "angle_pred": [p.angle_deg for p in preds],
            }
        ),
    }


def reference_area_px(table: pd.DataFrame, sources: list[np.ndarray], cells: list[int], random_state: int = 0) -> float:
    """Median chromosome area (pixels) of the given cells, measured as the metaphase pipeline measures it.

    Each cell is laid out as a synthetic spread without touching and segmented; the median over cells of the
    per-cell median object area is what :func:`analyze_metaphase` rescales new spreads to.
    """
    rng = np.random.default_rng(random_state)
    medians = []
    for cell in cells:
        rows = np.flatnonzero(table["cell"].to_numpy() == cell)
        meta = synthesize_metaphase(
            [sources[i] for i in rows], [int(table["y"].iat[i]) for i in rows], rng, touching_fraction=0.0
        )
        medians.append(np.median([s.area_px for s in find_segments(to_bright_on_dark(meta.image))]))
    return float(np.median(medians))


def run_training(
    out_dir: Path = WEIGHTS_DIR,
    epochs: int = 30,
    random_state: int = 0,
    n_junk: int = 600,
    finetune_epochs: int = 15,
    members: int = 1,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Train the ensemble and the split chooser on the train cells; measure on val/test; write weights + metrics.

    Member m uses seed ``random_state + 100 m``; the cell split always uses ``random_state``.
    """
    torch.set_num_threads(1)
    table = load_labels()
    canvases, sources = build_canvases(table)
    split = split_cells(table["cell"].to_numpy(), random_state=random_state)
    train_mask = table["cell"].isin(split["train"]).to_numpy()
    junk = junk_canvases([s for s, keep in zip(sources, train_mask, strict=True) if keep], n_junk, random_state)
    log(
        f"cells: {len(split['train'])} train, {len(split['val'])} val, {len(split['test'])} test; "
        f"{int(train_mask.sum())} training chromosomes + {len(junk)} 'other' objects"
    )
    x = np.concatenate([canvases[train_mask], junk])
    y = np.concatenate([table["y"].to_numpy()[train_mask], np.full(len(junk), len(CLASSES))])
    nets = []
    for member in range(members):
        seed = random_state + MEMBER_SEED_STEP * member
        log(f"ensemble member {member + 1}/{members} (seed {seed})")
        net = fit_net(x, y, epochs=epochs, random_state=seed, log=log)
        if finetune_epochs:
            log(f"fine-tuning {finetune_epochs} epochs at a lower learning rate")
            net = fit_net(x, y, epochs=finetune_epochs, lr=5e-4, random_state=seed + 1, log=log, net=net)
        nets.append(net)
    config: dict[str, Any] = {}
    meta = {
        "reference_area_px": reference_area_px(table, sources, split["train"], random_state),
        "version": "1.2.0",
        "epochs": epochs,
        "members": members,
        "member_seeds": [random_state + MEMBER_SEED_STEP * m for m in range(members)],
        "random_state": random_state,
        "n_junk": n_junk,
        "finetune_epochs": finetune_epochs,
        "split": split,
        "torch": torch.__version__,
    }
    save_weights(nets, config, meta, out_dir)
    chooser_rows = fit_split_chooser(out_dir, table, sources, split["train"], random_state, log=log)
    fit_band_model(ChromosomeClassifier().load(out_dir), table, split["train"], random_state).save(out_dir)
    log("band model fitted on the training cells")
    return {**record_metrics(out_dir, table, split, random_state, log), "split_chooser_readings": chooser_rows}


def run_band_training(
    out_dir: Path = WEIGHTS_DIR, random_state: int = 0, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Refit only the band model on the saved network's training cells, then re-measure val/test."""
    torch.set_num_threads(1)
    table = load_labels()
    split = ChromosomeClassifier().load(out_dir).meta_["split"]
    fit_band_model(ChromosomeClassifier().load(out_dir), table, split["train"], random_state).save(out_dir)
    log("band model fitted on the training cells")
    return record_metrics(out_dir, table, split, random_state, log)


def _reading_is_right(meta: Metaphase, parts: list[Segment], truth_ids: set[int]) -> bool:
    """Every part matches a different true chromosome (IoU >= 0.5) and together they are all of ``truth_ids``."""
    matched = set()
    for part in parts:
        r0, c0, r1, c1 = part.box
        ids, inter = np.unique(meta.instances[r0:r1, c0:c1][part.mask], return_counts=True)
        for k, n in zip(ids, inter, strict=True):
            if k and n / ((meta.instances == k).sum() + part.area_px - n) >= 0.5:
                matched.add(int(k))
    return len(parts) == len(truth_ids) and matched == truth_ids


def split_training_data(
    clf: ChromosomeClassifier, table: pd.DataFrame, sources: list[np.ndarray], cells: list[int], random_state: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Reading features (N, 12) and whether each reading is right (N,), from one synthetic spread per cell.

    The spreads cycle through the evaluation karyotypes and polarities; an object's truth is the set of true
    chromosomes with at least 30% of their pixels inside it.
    """
    rng = np.random.default_rng(random_state + 7)
    names = list(KARYOTYPES)
    features: list[list[float]] = []
    right: list[bool] = []
    for turn, cell in enumerate(cells):
        is_male = bool((table.loc[table["cell"] == cell, "chromosome"] == "Y").any())
        karyotype = next(k for k in names[turn % len(names) :] + names if allowed_karyotype(k, is_male))
        meta, _ = make_cell_metaphase(table, sources, cell, karyotype, rng, dark_on_light=turn % 2 == 1)
        segments = find_segments(to_bright_on_dark(meta.image, meta.dark_on_light))
        median_area = float(np.median([s.area_px for s in segments]))
        scale = metaphase_scale(clf, median_area)
        cache: dict[int, Any] = {}
        proba, _, p_other, _ = score_segments(clf, segments, scale, cache)
        for seg, pr, po in zip(segments, proba, p_other, strict=True):
            whole = Piece(seg.area_px / median_area, pr, float(po))
            if not is_doubtful(whole):
                continue
            r0, c0, r1, c1 = seg.box
            ids, inter = np.unique(meta.instances[r0:r1, c0:c1][seg.mask], return_counts=True)
            truth_ids = {
                int(k) for k, n in zip(ids, inter, strict=True) if k and n >= 0.3 * (meta.instances == k).sum()
            }
            neck = neck_split(seg)
            readings = [([seg], False)] + ([(neck, True)] if neck is not None else [])
            readings += [(c, False) for c in split_candidates(seg)]
            for parts, is_neck in readings:
                pr_p, _, po_p, _ = score_segments(clf, parts, scale, cache)
                pieces = [
                    Piece(p.area_px / median_area, a, float(b)) for p, a, b in zip(parts, pr_p, po_p, strict=True)
                ]
                features.append(reading_features(pieces, whole, is_neck))
                right.append(len(parts) == 1 and len(truth_ids) == 1 or _reading_is_right(meta, parts, truth_ids))
    return np.asarray(features), np.asarray(right)


def fit_split_chooser(
    out_dir: Path,
    table: pd.DataFrame,
    sources: list[np.ndarray],
    cells: list[int],
    random_state: int = 0,
    log: Callable[[str], None] = print,
) -> int:
    """Fit the :class:`SplitChooser` on spreads of the training cells with the saved network; returns N rows."""
    clf = ChromosomeClassifier().load(out_dir)
    features, right = split_training_data(clf, table, sources, cells, random_state)
    SplitChooser(random_state=random_state).fit(features, right).save(out_dir)
    log(f"split chooser: {len(right)} readings of doubtful objects, {int(right.sum())} right")
    return int(len(right))


def record_metrics(
    out_dir: Path,
    table: pd.DataFrame,
    split: dict[str, list[int]],
    random_state: int = 0,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Measure the saved weights on the val and test cells; write predictions, metrics JSON and weights meta."""
    clf = ChromosomeClassifier().load(out_dir)
    metrics: dict[str, Any] = {"split": split}
    for part in ("val", "test"):
        result = evaluate_single(clf, table[table["cell"].isin(split[part])].reset_index(drop=True), random_state)
        result["rows"].to_csv(out_dir / f"single_{part}_predictions.csv", index=False)
        metrics[part] = {k: v for k, v in result.items() if k != "rows"}
        log(f"{part}: {json.dumps(metrics[part])}")
    canvases, _ = build_canvases(table)
    tilt = np.array([align_chromosome(read_gray(path))[1] for path in table["path"]])
    metrics["raw_frame_tilt_study"] = raw_frame_study(
        canvases, tilt, table["cell"].to_numpy(), split["train"], split["test"], random_state
    )
    log(f"raw-frame tilt study: {json.dumps(metrics['raw_frame_tilt_study'])}")
    (out_dir / "single_metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    update_meta(out_dir, metrics={f"single_{part}": metrics[part] for part in ("val", "test")})
    return metrics
