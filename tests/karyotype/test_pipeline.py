"""Synthesiser, segmentation and the whole metaphase pipeline on the shipped demo spread."""

from __future__ import annotations

import numpy as np

from iasante.karyotype.io import read_gray
from iasante.karyotype.metrics import angle_error_deg
from iasante.karyotype.preprocess import to_bright_on_dark
from iasante.karyotype.segment import find_segments, neck_split, split_candidates
from iasante.karyotype.synth import synthesize_metaphase, upright_source


def test_synthesiser_truth_is_consistent(demo_chromosomes) -> None:  # type: ignore[no-untyped-def]
    sources = [upright_source(read_gray(p)) for p, _ in demo_chromosomes]
    meta = synthesize_metaphase(sources, list(range(len(sources))), np.random.default_rng(3), touching_fraction=0)
    assert meta.image.dtype == np.uint8 and len(meta.boxes) == len(sources)
    ids = set(np.unique(meta.instances)) - {0}
    assert ids == set(range(1, len(sources) + 1))
    assert len(find_segments(to_bright_on_dark(meta.image))) == len(sources)  # none touch


def test_touching_pair_can_be_split() -> None:
    """Two bars joined by a 3-pixel bridge are cut at the bridge; one bar alone is not cut."""
    pair = np.zeros((64, 72), np.float32)
    pair[5:59, 8:20] = 0.7  # vertical bar, 12 px wide
    pair[26:38, 23:68] = 0.7  # horizontal bar, 12 px wide
    pair[31:34, 20:23] = 0.7  # the contact
    (whole,) = find_segments(pair)
    parts = neck_split(whole)
    assert parts is not None and len(parts) == 2
    small, large = sorted(p.area_px for p in parts)
    assert small + large == whole.area_px and 0.7 < small / large < 0.95  # 45 px vs 54 px long bars
    assert any(len(c) == 2 for c in split_candidates(whole))
    single = np.zeros((64, 40), np.float32)
    single[5:59, 14:26] = 0.7
    single[30:34, 14:16] = single[30:34, 24:26] = 0.0  # a centromere-like constriction
    assert neck_split(find_segments(single)[0]) is None


def _box_iou(a: list[int], b: list[int]) -> float:
    inter_w = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    inter_h = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = inter_w * inter_h
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / max(area, 1)


def test_demo_metaphase_karyotype(demo_result, demo_metaphase) -> None:  # type: ignore[no-untyped-def]
    """Most chromosomes of the held-out demo spread are found, named and oriented right."""
    _, truth = demo_metaphase
    payload = demo_result.to_json()
    assert abs(payload["n_chromosomes"] - len(truth["chromosomes"])) <= 2
    assert demo_result.iscn.split(",")[1] == "XY"
    found, named, oriented = 0, 0, 0
    for true in truth["chromosomes"]:
        best = max(payload["chromosomes"], key=lambda c: _box_iou(c["bbox"], true["bbox"]))
        if _box_iou(best["bbox"], true["bbox"]) >= 0.5:
            found += 1
            named += best["class"] == true["class"]
            oriented += float(angle_error_deg(best["angle_deg"], true["angle_deg"])) <= 7.5
    assert found >= 0.9 * len(truth["chromosomes"])
    assert named >= 0.8 * len(truth["chromosomes"]) and oriented >= 0.8 * found
    first = payload["chromosomes"][0]
    assert {"class", "confidence", "bbox", "angle_deg"} <= set(first)
    assert len(first["bbox"]) == 4 and -180.0 <= first["angle_deg"] <= 180.0
