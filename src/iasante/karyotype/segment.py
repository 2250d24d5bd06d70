"""Metaphase segmentation: polarity, Otsu foreground, connected objects, watershed splits of touching ones."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from skimage.feature import peak_local_max
from skimage.filters import threshold_otsu
from skimage.morphology import skeletonize
from skimage.segmentation import watershed

from iasante.core.errors import InputDataError

MIN_AREA_PX = 12
"""Objects smaller than this (debris, noise) are ignored."""
NECK_RATIO = 0.6
"""An object that falls apart under an erosion radius below this fraction of its median half-width is two
objects touching (on synthetic spreads, single chromosomes need >= 0.75, touching pairs a median of 0.44)."""


@dataclass
class Segment:
    """One candidate object.

    Attributes:
        box: (row0, col0, row1, col1), half-open, in metaphase pixels.
        mask: bool (row1 - row0, col1 - col0) object mask inside ``box``.
        crop: float32 same shape, bright-on-dark intensities in [0, 1], zero outside ``mask``.
    """

    box: tuple[int, int, int, int]
    mask: np.ndarray
    crop: np.ndarray

    @property
    def area_px(self) -> int:
        return int(self.mask.sum())


def foreground(img: np.ndarray) -> np.ndarray:
    """Otsu foreground of a bright-on-dark float metaphase (H, W); holes filled, specks removed."""
    smooth = ndimage.gaussian_filter(img, 1.0)
    if float(smooth.max()) - float(smooth.min()) < 1e-3:
        raise InputDataError("metaphase image: blank after normalisation, no chromosome found")
    mask = ndimage.binary_fill_holes(smooth > max(0.35 * threshold_otsu(smooth), 0.03))
    return np.asarray(mask, dtype=bool)


def find_segments(img: np.ndarray, min_area_px: int = MIN_AREA_PX) -> list[Segment]:
    """Connected objects of the foreground of a bright-on-dark float image (H, W) in [0, 1]."""
    labels, count = ndimage.label(foreground(img))
    segments = []
    for index, window in enumerate(ndimage.find_objects(labels), start=1):
        if window is None:
            continue
        mask = labels[window] == index
        if mask.sum() < min_area_px:
            continue
        box = (window[0].start, window[1].start, window[0].stop, window[1].stop)
        segments.append(Segment(box, mask, np.where(mask, img[window], 0.0).astype(np.float32)))
    return segments


def neck_split(segment: Segment) -> list[Segment] | None:
    """Cut an object at a neck much narrower than the object itself (two chromosomes touching), else None.

    The half-width is the median distance-map value on the skeleton; the mask is eroded by growing radii up
    to ``NECK_RATIO`` times that half-width, and the first erosion leaving two sizeable pieces seeds a
    watershed. A centromere is a milder constriction and survives these radii.
    """
    distance = ndimage.distance_transform_edt(np.pad(segment.mask, 1))[1:-1, 1:-1]
    skeleton = skeletonize(segment.mask)
    if not skeleton.any():
        return None
    half_width = float(np.median(distance[skeleton]))
    for radius in range(1, int(np.ceil(NECK_RATIO * half_width))):
        eroded = ndimage.binary_erosion(segment.mask, iterations=radius)
        labels, count = ndimage.label(eroded)
        if count < 2:
            continue
        sizes = ndimage.sum(eroded, labels, index=np.arange(1, count + 1))
        keep = np.flatnonzero(sizes >= 0.1 * sizes.sum()) + 1
        if len(keep) < 2:
            continue
        markers = np.where(np.isin(labels, keep), np.searchsorted(keep, labels) + 1, 0)
        basins = watershed(-ndimage.gaussian_filter(distance, 1.0), markers, mask=segment.mask)
        parts = [_sub_segment(segment, basins == k) for k in range(1, len(keep) + 1)]
        if all(p is not None and p.area_px >= MIN_AREA_PX for p in parts):
            return [p for p in parts if p is not None]
    return None


def split_candidates(segment: Segment, max_parts: int = 6) -> list[list[Segment]]:
    """Ways to cut one object into 2..``max_parts`` pieces by seeded watershed on the distance map.

    Touching chromosomes meet at a neck narrower than either of them. Seeds come from two sources: the
    pieces left after eroding the mask until it falls apart (radius 1..6 px), and distance-map maxima at
    several spacings. Each seeding gives one candidate; the caller keeps the most chromosome-like one.
    """
    distance = ndimage.distance_transform_edt(np.pad(segment.mask, 1))[1:-1, 1:-1]
    smooth = ndimage.gaussian_filter(distance, 1.0)
    seeds: list[np.ndarray] = []
    for radius in range(1, 7):
        eroded = ndimage.binary_erosion(segment.mask, iterations=radius)
        labels, count = ndimage.label(eroded)
        if count >= 2:
            sizes = ndimage.sum(eroded, labels, index=np.arange(1, count + 1))
            keep = np.flatnonzero(sizes >= 4) + 1
            if 2 <= len(keep) <= max_parts:
                seeds.append(np.where(np.isin(labels, keep), np.searchsorted(keep, labels) + 1, 0))
    width = max(float(distance.max()), 1.0)
    for factor in (1.6, 2.5, 4.0):
        peaks = peak_local_max(
            smooth, min_distance=max(int(width * factor), 2), labels=segment.mask.astype(int), exclude_border=False
        )
        if 2 <= len(peaks) <= max_parts:
            markers = np.zeros(segment.mask.shape, np.int32)
            markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
            seeds.append(markers)
    out: list[list[Segment]] = []
    seen: set[bytes] = set()
    for markers in seeds:
        basins = watershed(-smooth, markers, mask=segment.mask)
        key = basins.astype(np.int8).tobytes()
        if key in seen:
            continue
        seen.add(key)
        parts = [_sub_segment(segment, basins == k) for k in range(1, int(basins.max()) + 1)]
        if all(p is not None and p.area_px >= MIN_AREA_PX for p in parts):
            out.append([p for p in parts if p is not None])
    return out


def _sub_segment(parent: Segment, mask: np.ndarray) -> Segment | None:
    rows, cols = np.nonzero(mask)
    if len(rows) == 0:
        return None
    r0, r1, c0, c1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    local = mask[r0:r1, c0:c1]
    box = (parent.box[0] + int(r0), parent.box[1] + int(c0), parent.box[0] + int(r1), parent.box[1] + int(c1))
    return Segment(box, local, np.where(local, parent.crop[r0:r1, c0:c1], 0.0).astype(np.float32))
