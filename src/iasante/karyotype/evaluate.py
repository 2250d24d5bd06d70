"""Metaphase-level evaluation on synthetic spreads built from held-out cells (the lab's four metrics)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from iasante.karyotype.assign import iscn_numerical
from iasante.karyotype.io import CLASSES
from iasante.karyotype.metrics import ANGLE_TOLERANCE_DEG, angle_error_deg, summarise
from iasante.karyotype.model import ChromosomeClassifier
from iasante.karyotype.pipeline import analyze_metaphase
from iasante.karyotype.synth import KARYOTYPES, Metaphase, expected_counts, synthesize_metaphase

ERRORS_PER_METAPHASE_LIMIT = 10


def allowed_karyotype(karyotype: str, is_male: bool) -> bool:
    """Whether a karyotype change fits the cell's sex (no 47,XXY from a female cell, no 47,XXX from a male)."""
    return not ((karyotype in ("47,XYY", "47,XXY") and not is_male) or (karyotype == "47,XXX" and is_male))


def make_cell_metaphase(
    table: pd.DataFrame,
    sources: list[np.ndarray],
    cell: int,
    karyotype: str,
    rng: np.random.Generator,
    touching_fraction: float = 0.15,
    dark_on_light: bool = False,
) -> tuple[Metaphase, str]:
    """A synthetic spread of one cell with a :data:`KARYOTYPES` change; returns it and its true ISCN."""
    rows = np.flatnonzero(table["cell"].to_numpy() == cell)
    base = [int(table["y"].iat[i]) for i in rows]
    wanted = expected_counts(base, karyotype)
    pool: dict[int, list[int]] = {}
    for i in rows:
        pool.setdefault(int(table["y"].iat[i]), []).append(int(i))
    picks: list[int] = []
    used: dict[int, int] = {}
    for k in wanted:
        members = pool[k]
        picks.append(members[used.get(k, 0) % len(members)])
        used[k] = used.get(k, 0) + 1
    meta = synthesize_metaphase([sources[i] for i in picks], wanted, rng, touching_fraction, dark_on_light)
    return meta, iscn_numerical([CLASSES[k] for k in wanted])


def score_metaphase(meta: Metaphase, pred: Any) -> dict[str, Any]:
    """Match predicted objects to truth chromosomes (mask IoU >= 0.5) and count the lab's errors."""
    n_true = len(meta.classes)
    best_iou, best_pred = np.zeros(n_true), np.full(n_true, -1)
    for j, seg in enumerate(pred.segments):
        r0, c0, r1, c1 = seg.box
        window = meta.instances[r0:r1, c0:c1]
        ids, counts = np.unique(window[seg.mask], return_counts=True)
        for truth_id, inter in zip(ids, counts, strict=True):
            if truth_id == 0:
                continue
            union = int((meta.instances == truth_id).sum()) + seg.area_px - int(inter)
            iou = inter / max(union, 1)
            if iou > best_iou[truth_id - 1]:
                best_iou[truth_id - 1], best_pred[truth_id - 1] = iou, j
    correct = np.zeros(n_true, bool)
    angle_bad: list[float] = []
    for i in range(n_true):
        j = int(best_pred[i])
        if best_iou[i] < 0.5 or j < 0:
            continue
        record = pred.chromosomes[j]
        correct[i] = record.chromosome == CLASSES[meta.classes[i]]
        angle_bad.append(float(angle_error_deg(record.angle_deg, meta.angles_deg[i]) > ANGLE_TOLERANCE_DEG))
    return {
        "n": n_true,
        "errors": int((~correct).sum()),
        "segmented": int((best_iou >= 0.5).sum()),
        "angle_bad": angle_bad,
        "correct": correct,
    }


def evaluate_metaphases(
    clf: ChromosomeClassifier,
    table: pd.DataFrame,
    sources: list[np.ndarray],
    cells: list[int],
    per_cell: int = 4,
    random_state: int = 0,
    log: Callable[[str], None] = print,
    **analyze_options: Any,
) -> dict[str, Any]:
    """Synthesise ``per_cell`` spreads per held-out cell (karyotypes cycled, half dark-on-light) and score.

    Returns the four lab metrics with cell-bootstrap 95% CIs, seconds per metaphase, and per-spread rows.
    """
    rng = np.random.default_rng(random_state)
    names = list(KARYOTYPES)
    rows, chrom_err, chrom_cell, angle_bad, angle_cell = [], [], [], [], []
    turn = 0
    for cell in cells:
        is_male = bool((table.loc[table["cell"] == cell, "chromosome"] == "Y").any())
        for _ in range(per_cell):
            while not allowed_karyotype(names[turn % len(names)], is_male):
                turn += 1
            karyotype = names[turn % len(names)]
            turn += 1
            meta, truth = make_cell_metaphase(table, sources, cell, karyotype, rng, dark_on_light=turn % 2 == 0)
            start = time.perf_counter()
            pred = analyze_metaphase(meta.image, clf, **analyze_options)
            seconds = time.perf_counter() - start
            score = score_metaphase(meta, pred)
            chrom_err += list((~score["correct"]).astype(float))
            chrom_cell += [cell] * score["n"]
            angle_bad += score["angle_bad"]
            angle_cell += [cell] * len(score["angle_bad"])
            rows.append(
                {
                    "cell": cell,
                    "karyotype": karyotype,
                    "dark_on_light": meta.dark_on_light,
                    "truth_iscn": truth,
                    "pred_iscn": pred.iscn,
                    "argmax_iscn": iscn_numerical([c.predicted for c in pred.chromosomes if c.p_other < 0.5]),
                    "errors": score["errors"],
                    "segmented": score["segmented"],
                    "n": score["n"],
                    "touching": int(sum(meta.touching)),
                    "seconds": round(seconds, 3),
                }
            )
        log(f"cell {cell}: {rows[-1]}")
    frame = pd.DataFrame(rows)
    cell_ids = frame["cell"].to_numpy()
    return {
        "n_metaphases": len(frame),
        "classif_errors": summarise("ClassifErrors", np.array(chrom_err), np.array(chrom_cell)),
        "angle_errors": summarise("AngleError>7.5deg", np.array(angle_bad), np.array(angle_cell)),
        "metaphases_over_10_errors": summarise(
            "Metaphases>10errors", (frame["errors"] > ERRORS_PER_METAPHASE_LIMIT).to_numpy(float), cell_ids
        ),
        "exact_iscn": summarise("ExactISCN", (frame["truth_iscn"] == frame["pred_iscn"]).to_numpy(float), cell_ids),
        "exact_iscn_argmax_baseline": summarise(
            "ExactISCN (per-object argmax, no cell-level inference)",
            (frame["truth_iscn"] == frame["argmax_iscn"]).to_numpy(float),
            cell_ids,
        ),
        "seconds_per_metaphase_median": float(frame["seconds"].median()),
        "rows": frame,
    }
