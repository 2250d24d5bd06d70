"""Metaphase to karyotype: segment, split touching objects, classify, assign per cell, orient, ISCN."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from iasante.karyotype.assign import assign_karyotype
from iasante.karyotype.io import CLASSES
from iasante.karyotype.model import ChromosomeClassifier
from iasante.karyotype.preprocess import (
    CANVAS_SCALE,
    align_chromosome,
    is_dark_on_light,
    to_bright_on_dark,
    wrap_deg,
)
from iasante.karyotype.segment import Segment, find_segments, neck_split, split_candidates
from iasante.karyotype.splitting import Piece, is_doubtful, reading_features

DEFAULT_REFERENCE_AREA_PX = 530.0
"""Median chromosome area (pixels) of the training cells, used when the weights do not record it."""


@dataclass
class ChromosomeRecord:
    """One object of the spread.

    ``bbox`` is (x0, y0, x1, y1) in metaphase pixels, x to the right, y down, end exclusive. ``angle_deg`` is
    the counter-clockwise rotation that turned an upright chromosome into what the image shows. ``chromosome``
    is None for an object discarded as debris.
    """

    index: int
    chromosome: str | None
    confidence: float
    angle_deg: float
    bbox: tuple[int, int, int, int]
    area_px: int
    predicted: str
    p_other: float


@dataclass
class KaryotypeResult:
    """Result of :func:`analyze_metaphase`; ``segments[i]`` is the pixel data of ``chromosomes[i]``."""

    iscn: str
    dark_on_light: bool
    image_hw: tuple[int, int]
    chromosomes: list[ChromosomeRecord]
    segments: list[Segment] = field(repr=False, default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (karyotype.json)."""
        return {
            "iscn": self.iscn,
            "dark_on_light": self.dark_on_light,
            "image_height": self.image_hw[0],
            "image_width": self.image_hw[1],
            "bbox_format": "x0,y0,x1,y1 (pixels, end exclusive)",
            "n_chromosomes": sum(c.chromosome is not None for c in self.chromosomes),
            "chromosomes": [{**asdict(c), "class": c.chromosome, "bbox": list(c.bbox)} for c in self.chromosomes],
        }


_Scores = dict[int, tuple[Segment, np.ndarray, float, float, float]]


def metaphase_scale(clf: ChromosomeClassifier, median_area_px: float) -> float:
    """Canvas scale that brings a spread's median object area to the training cells' (0 = unknown: no change)."""
    reference = float(getattr(clf, "meta_", {}).get("reference_area_px", DEFAULT_REFERENCE_AREA_PX))
    if median_area_px <= 0:
        return CANVAS_SCALE
    return CANVAS_SCALE * float(np.clip(np.sqrt(reference / median_area_px), 0.6, 1.6))


def score_segments(
    clf: ChromosomeClassifier, segments: list[Segment], scale: float, cache: _Scores | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Network outputs per segment: proba (N, 24), p_up (N,), p_other (N,), alignment rotation rho (N,).

    ``cache`` (keyed by ``id(segment)``, valid within one analysis) avoids scoring a segment twice; it holds
    the segment itself so that no id is reused while the cache lives.
    """
    cache = {} if cache is None else cache
    todo = [s for s in segments if id(s) not in cache]
    if todo:
        aligned = [align_chromosome(s.crop, dark_on_light=False, scale=scale) for s in todo]
        proba, p_up, p_other = clf.predict_canvases(np.stack([a[0] for a in aligned]))
        for i, seg in enumerate(todo):
            cache[id(seg)] = (seg, proba[i], float(p_up[i]), float(p_other[i]), float(aligned[i][1]))
    if not segments:
        empty = np.zeros(0, np.float32)
        return np.zeros((0, len(CLASSES)), np.float32), empty, empty, empty
    rows = [cache[id(s)][1:] for s in segments]
    return (
        np.stack([r[0] for r in rows]),
        np.array([r[1] for r in rows]),
        np.array([r[2] for r in rows]),
        np.array([r[3] for r in rows]),
    )


def _read_objects(clf: ChromosomeClassifier, segments: list[Segment], scale: float, cache: _Scores) -> list[Segment]:
    """Keep each object whole or cut it into touching chromosomes, whichever reading the chooser prefers.

    Only doubtful objects (:func:`is_doubtful`) are offered cuts: a neck cut and the watershed cuts. Without
    a chooser in the weights, objects stay whole.
    """
    chooser = getattr(clf, "split_chooser_", None)
    if chooser is None or not segments:
        return segments
    proba, _, p_other, _ = score_segments(clf, segments, scale, cache)
    median_area = float(np.median([s.area_px for s in segments]))
    cuts: list[list[tuple[list[Segment], bool]]] = []
    for seg, pr, po in zip(segments, proba, p_other, strict=True):
        options: list[tuple[list[Segment], bool]] = []
        if is_doubtful(Piece(seg.area_px / median_area, pr, float(po))):
            neck = neck_split(seg)
            options = ([(neck, True)] if neck is not None else []) + [(c, False) for c in split_candidates(seg)]
        cuts.append(options)
    score_segments(clf, [piece for options in cuts for parts, _ in options for piece in parts], scale, cache)
    out: list[Segment] = []
    for seg, options in zip(segments, cuts, strict=True):
        readings = [([seg], False), *options]
        whole = _piece(seg, median_area, cache)
        features = [
            reading_features([_piece(p, median_area, cache) for p in parts], whole, neck) for parts, neck in readings
        ]
        out += readings[chooser.choose(features)][0]
    return out


def _piece(segment: Segment, median_area: float, cache: _Scores) -> Piece:
    _, proba, _, p_other, _ = cache[id(segment)]
    return Piece(segment.area_px / median_area, proba, p_other)


def analyze_metaphase(
    image: np.ndarray,
    clf: ChromosomeClassifier,
    dark_on_light: bool | None = None,
    assign_options: dict[str, float] | None = None,
) -> KaryotypeResult:
    """Karyotype one metaphase.

    Args:
        image: (H, W) uint8 metaphase, bright-on-dark (Q-banding, fluorescence) or dark-on-light (G-banding).
        clf: loaded chromosome classifier.
        dark_on_light: polarity; detected from the background when None.
        assign_options: prior and slot costs for :func:`iasante.karyotype.assign.assign_karyotype`.
    """
    dol = is_dark_on_light(image) if dark_on_light is None else dark_on_light
    img = to_bright_on_dark(image, dol)
    segments = find_segments(img)
    median_area = float(np.median([s.area_px for s in segments])) if segments else 0.0
    scale = metaphase_scale(clf, median_area)
    cache: _Scores = {}
    segments = _read_objects(clf, segments, scale, cache)
    proba, p_up, p_other, rho = score_segments(clf, segments, scale, cache)
    cell = assign_karyotype(proba, p_other, **(assign_options or {}))
    labels = cell.labels
    records = []
    for i, seg in enumerate(segments):
        k = int(labels[i])
        upright_turn = rho[i] + (0.0 if p_up[i] >= 0.5 else 180.0)
        r0, c0, r1, c1 = seg.box
        records.append(
            ChromosomeRecord(
                index=i,
                chromosome=CLASSES[k] if k >= 0 else None,
                confidence=round(float(proba[i, k]) if k >= 0 else float(p_other[i]), 4),
                angle_deg=round(float(wrap_deg(-upright_turn)), 2),
                bbox=(c0, r0, c1, r1),
                area_px=seg.area_px,
                predicted=CLASSES[int(np.argmax(proba[i]))],
                p_other=round(float(p_other[i]), 4),
            )
        )
    return KaryotypeResult(cell.iscn, dol, (int(image.shape[0]), int(image.shape[1])), records, segments)
