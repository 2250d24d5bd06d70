"""Metaphase to karyotype: segment, split touching objects, classify, assign per cell, orient, ISCN."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from iasante.karyotype.assign import assign_classes, iscn_numerical
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

DEFAULT_REFERENCE_AREA_PX = 530.0
"""Median chromosome area (pixels) of the training cells, used when the weights do not record it."""
CLASS_RELATIVE_AREA = (
    1.872,
    1.864,
    1.571,
    1.476,
    1.412,
    1.338,
    1.234,
    1.111,
    1.017,
    1.021,
    1.009,
    1.019,
    0.86,
    0.794,
    0.767,
    0.654,
    0.618,
    0.637,
    0.438,
    0.495,
    0.361,
    0.374,
    1.15,
    0.492,
)
"""Median area of each class (1..22, X, Y) over its cell's median chromosome area, BioImLab training cells
(the 90th percentile is only ~1.1x the median)."""
OVERSIZE_RATIO = 1.4
"""An object over this multiple of its assigned class's expected area is re-examined as touching chromosomes."""


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


def _score(
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


def _quality(clf: ChromosomeClassifier, parts: list[Segment], scale: float, cache: _Scores) -> float:
    """Mean log-probability that each part is one whole chromosome of a definite class."""
    proba, _, p_other, _ = _score(clf, parts, scale, cache)
    return float(np.mean(np.log(np.clip(1.0 - p_other, 1e-6, 1.0)) + np.log(np.clip(proba.max(1), 1e-6, 1.0))))


def _resolve_touching(
    clf: ChromosomeClassifier,
    segments: list[Segment],
    p_other: np.ndarray,
    scale: float,
    cache: _Scores,
    threshold: float = 0.1,
    margin: float = 0.2,
    depth: int = 2,
    neck_tolerance: float = 0.7,
) -> list[Segment]:
    """Split objects that are touching chromosomes.

    First geometry: a neck much narrower than the object (:func:`neck_split`), kept unless the pieces look
    much less like whole chromosomes than the object (``neck_tolerance`` nats: a sharply bent or constricted
    chromosome cut in two gives poor pieces), and applied again to the pieces (chains of three). Then, for
    objects the network doubts (``p_other > threshold``), the watershed cut whose pieces look most like
    whole, confidently classified chromosomes, if it beats the unsplit object's quality by ``margin`` (nats).
    """
    out: list[Segment] = []
    for seg, other in zip(segments, p_other, strict=True):
        pieces = neck_split(seg) if depth > 0 else None
        if (
            pieces is not None
            and _quality(clf, pieces, scale, cache) >= _quality(clf, [seg], scale, cache) - neck_tolerance
        ):
            out += _resolve_touching(
                clf,
                pieces,
                _score(clf, pieces, scale, cache)[2],
                scale,
                cache,
                threshold,
                margin,
                depth - 1,
                neck_tolerance,
            )
            continue
        best = [seg]
        if other > threshold:
            best_quality = _quality(clf, [seg], scale, cache)
            for parts in split_candidates(seg):
                quality = _quality(clf, parts, scale, cache)
                if quality > best_quality + margin:
                    best, best_quality = parts, quality
        out += best
    return out


def _split_oversized(
    clf: ChromosomeClassifier,
    segments: list[Segment],
    labels: np.ndarray,
    scale: float,
    cache: _Scores,
    tolerance: float = 1.0,
) -> list[Segment] | None:
    """Second look at objects far larger than the class they were given (two chromosomes touching along a
    wide contact, which the network may name confidently). The best watershed cut is kept unless its pieces
    look much worse (``tolerance`` nats) than the whole. Returns the new segment list, or None if unchanged.
    """
    median_area = float(np.median([s.area_px for s in segments])) if segments else 0.0
    out: list[Segment] = []
    changed = False
    for seg, k in zip(segments, labels, strict=True):
        if k < 0 or seg.area_px <= OVERSIZE_RATIO * CLASS_RELATIVE_AREA[int(k)] * median_area:
            out.append(seg)
            continue
        floor = _quality(clf, [seg], scale, cache) - tolerance
        scored = [(_quality(clf, parts, scale, cache), parts) for parts in split_candidates(seg)]
        best = max(scored, key=lambda item: item[0], default=None)
        if best is not None and best[0] >= floor:
            out += best[1]
            changed = True
        else:
            out.append(seg)
    return out if changed else None


def analyze_metaphase(
    image: np.ndarray,
    clf: ChromosomeClassifier,
    dark_on_light: bool | None = None,
    extra_copy_cost: float = 3.0,
    discard_cost: float = 3.0,
    split_threshold: float = 0.1,
) -> KaryotypeResult:
    """Karyotype one metaphase.

    Args:
        image: (H, W) uint8 metaphase, bright-on-dark (Q-banding, fluorescence) or dark-on-light (G-banding).
        clf: loaded chromosome classifier.
        dark_on_light: polarity; detected from the background when None.
        extra_copy_cost: Hungarian cost of a third autosome copy (see :func:`assign_classes`).
        discard_cost: Hungarian cost of dropping an object as debris.
        split_threshold: objects whose "other" probability exceeds this are tried for a watershed split.
    """
    dol = is_dark_on_light(image) if dark_on_light is None else dark_on_light
    img = to_bright_on_dark(image, dol)
    segments = find_segments(img)
    reference = float(getattr(clf, "meta_", {}).get("reference_area_px", DEFAULT_REFERENCE_AREA_PX))
    median_area = float(np.median([s.area_px for s in segments])) if segments else reference
    scale = CANVAS_SCALE * float(np.clip(np.sqrt(reference / max(median_area, 1.0)), 0.6, 1.6))
    cache: _Scores = {}
    _, _, p_other, _ = _score(clf, segments, scale, cache)
    segments = _resolve_touching(clf, segments, p_other, scale, cache, split_threshold)
    proba, p_up, p_other, rho = _score(clf, segments, scale, cache)
    labels = assign_classes(proba, p_other, extra_copy_cost=extra_copy_cost, discard_cost=discard_cost)
    resized = _split_oversized(clf, segments, labels, scale, cache)
    if resized is not None:
        segments = resized
        proba, p_up, p_other, rho = _score(clf, segments, scale, cache)
        labels = assign_classes(proba, p_other, extra_copy_cost=extra_copy_cost, discard_cost=discard_cost)
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
    iscn = iscn_numerical([r.chromosome for r in records if r.chromosome is not None])
    return KaryotypeResult(iscn, dol, (int(image.shape[0]), int(image.shape[1])), records, segments)
