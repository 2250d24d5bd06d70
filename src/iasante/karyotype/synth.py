"""Metaphase synthesiser: whole metaphase images built from real single chromosomes, with known truth.

Chromosomes of one BioImLab cell are turned upright, then placed at random positions and rotations on a
dark field; a fraction are pushed against a neighbour until they touch (they then merge under thresholding,
as in real spreads). Karyotypes with a trisomy or a sex-chromosome aneuploidy are made by copying or
removing chromosomes of the cell. Half of the spreads can be rendered dark-on-light (G-band-like polarity).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from iasante.karyotype.io import CLASSES
from iasante.karyotype.preprocess import foreground_mask, principal_rotation, rotate, to_bright_on_dark

KARYOTYPES: dict[str, tuple[tuple[str, int], ...]] = {
    "normal": (),
    "+21": (("21", 1),),
    "+18": (("18", 1),),
    "+13": (("13", 1),),
    "+8": (("8", 1),),
    "45,X": (("sex", -1),),
    "47,XXY": (("X", 1),),
    "47,XXX": (("X", 1),),
    "47,XYY": (("Y", 1),),
}
"""Karyotype changes: (chromosome, copies added or removed); "sex" removes the second sex chromosome."""


@dataclass
class Metaphase:
    """A synthetic spread and its truth.

    Attributes:
        image: uint8 (H, W) metaphase image.
        instances: int32 (H, W) truth instance map (0 background, i + 1 for chromosome i; later ones on top).
        classes: class index (0..23) per chromosome.
        angles_deg: CCW rotation applied to each upright chromosome, in (-180, 180].
        boxes: (row0, col0, row1, col1) per chromosome, half-open pixel bounds.
        dark_on_light: polarity of ``image``.
    """

    image: np.ndarray
    instances: np.ndarray
    classes: list[int]
    angles_deg: list[float]
    boxes: list[tuple[int, int, int, int]]
    dark_on_light: bool = False
    touching: list[bool] = field(default_factory=list)


def upright_source(raw: np.ndarray) -> np.ndarray:
    """Clean, upright (p-arm up, long axis vertical) float32 crop of one BioImLab chromosome image."""
    img = to_bright_on_dark(raw)
    mask = foreground_mask(img)
    img = np.where(ndimage.binary_dilation(mask, iterations=1), img, 0.0).astype(np.float32)
    up = rotate(img, principal_rotation(img, mask))
    rows, cols = np.nonzero(up > 0.02)
    return up[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]


def expected_counts(base_classes: list[int], karyotype: str) -> list[int]:
    """Class list of a cell after applying a :data:`KARYOTYPES` change (indices into CLASSES)."""
    out = list(base_classes)
    for name, delta in KARYOTYPES[karyotype]:
        if name == "sex":
            sex = [i for i, c in enumerate(out) if CLASSES[c] in ("X", "Y")]
            out.pop(sex[-1] if CLASSES[out[sex[-1]]] == "Y" or len(sex) == 1 else sex[1])
        elif delta > 0:
            out.append(CLASSES.index(name))
    return out


def _paste(field_: np.ndarray, inst: np.ndarray, piece: np.ndarray, r0: int, c0: int, label: int) -> None:
    window = (slice(r0, r0 + piece.shape[0]), slice(c0, c0 + piece.shape[1]))
    np.maximum(field_[window], piece, out=field_[window])
    inst[window][piece > 0.05] = label


def synthesize_metaphase(
    sources: list[np.ndarray],
    classes: list[int],
    rng: np.random.Generator,
    touching_fraction: float = 0.15,
    dark_on_light: bool = False,
) -> Metaphase:
    """Lay out upright sources (one per chromosome) at random rotations; some touch a neighbour.

    Args:
        sources: upright float32 crops (from :func:`upright_source`), one per chromosome to place.
        classes: class index of each source.
        rng: random generator (the layout is reproducible from its seed).
        touching_fraction: share of chromosomes pushed against an already placed one.
        dark_on_light: render dark chromosomes on a light field.
    """
    turns = rng.uniform(-180.0, 180.0, len(sources))
    pieces = [rotate(s * rng.uniform(0.9, 1.1), float(t)) for s, t in zip(sources, turns, strict=True)]
    side = int(np.sqrt(sum(p.size for p in pieces) * 3.0)) + 80
    field_ = np.zeros((side, side), np.float32)
    inst = np.zeros((side, side), np.int32)
    occupied = np.zeros((side, side), bool)
    boxes: list[tuple[int, int, int, int]] = []
    touching = [False] * len(pieces)
    for i in rng.permutation(len(pieces)):
        piece, mask = pieces[i], pieces[i] > 0.05
        h, w = piece.shape
        want_touch = bool(occupied.any()) and rng.random() < touching_fraction
        placed = _place(occupied, mask, rng, want_touch)
        if placed is None:
            placed = _place(occupied, mask, rng, False) or (
                int(rng.integers(0, side - h)),
                int(rng.integers(0, side - w)),
                False,
            )
        r0, c0, touched = placed
        _paste(field_, inst, piece, r0, c0, int(i) + 1)
        occupied[r0 : r0 + h, c0 : c0 + w] |= mask
        touching[i] = touched
    for i in range(len(pieces)):
        rows, cols = np.nonzero(inst == i + 1)
        boxes.append(
            (int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1) if len(rows) else (0, 0, 0, 0)
        )
    image = ndimage.gaussian_filter(field_, 0.6) + rng.normal(0.0, 0.015, field_.shape).astype(np.float32)
    image = np.clip(image, 0.0, 1.0)
    out = 255.0 * (1.0 - 0.85 * image) if dark_on_light else 255.0 * image
    return Metaphase(
        np.clip(out, 0, 255).astype(np.uint8),
        inst,
        list(classes),
        [float(-((-t + 180.0) % 360.0 - 180.0)) for t in turns],
        boxes,
        dark_on_light,
        touching,
    )


def _place(
    occupied: np.ndarray, mask: np.ndarray, rng: np.random.Generator, touch: bool
) -> tuple[int, int, bool] | None:
    """Top-left corner for ``mask``: free of (dilated) occupied pixels, or sliding until it touches one."""
    side, (h, w) = occupied.shape[0], mask.shape
    margin = ndimage.binary_dilation(occupied, iterations=4) if not touch else occupied
    for _ in range(60):
        r0, c0 = int(rng.integers(0, side - h)), int(rng.integers(0, side - w))
        if not touch:
            if not (margin[r0 : r0 + h, c0 : c0 + w] & mask).any():
                return r0, c0, False
            continue
        rows, cols = np.nonzero(occupied)
        k = int(rng.integers(0, len(rows)))
        target = np.array([rows[k] - h / 2, cols[k] - w / 2])
        pos = np.array([r0, c0], float)
        step = (target - pos) / max(np.linalg.norm(target - pos), 1.0)
        for _ in range(int(np.linalg.norm(target - pos)) + 1):
            r, c = int(round(pos[0])), int(round(pos[1]))
            if 0 <= r <= side - h and 0 <= c <= side - w:
                hit = int((occupied[r : r + h, c : c + w] & mask).sum())
                if hit > 0:
                    back = np.round(pos - step).astype(int)
                    r, c = int(np.clip(back[0], 0, side - h)), int(np.clip(back[1], 0, side - w))
                    if (occupied[r : r + h, c : c + w] & mask).sum() <= 3:
                        return r, c, True
                    break
            pos += step
    return None


def junk_examples(sources: list[np.ndarray], n: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Non-chromosome objects for the network's "other" class: touching pairs and broken pieces.

    Returns:
        (H, W) float32 images: half are two chromosomes touching, half a 25-70% piece of one chromosome
        (what a bad split leaves).
    """
    out: list[np.ndarray] = []
    while len(out) < n:
        a = sources[int(rng.integers(0, len(sources)))]
        if rng.random() < 0.5:
            b = sources[int(rng.integers(0, len(sources)))]
            meta = synthesize_metaphase([a, b], [0, 0], rng, touching_fraction=1.0)
            img = meta.image.astype(np.float32) / 255.0
            if any(meta.touching):
                rows, cols = np.nonzero(meta.instances)
                out.append(img[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1])
        elif a.shape[0] >= 12:
            cut = int(a.shape[0] * rng.uniform(0.25, 0.7))
            piece = a[:cut] if rng.random() < 0.5 else a[cut:]
            out.append(rotate(piece, float(rng.uniform(-180, 180))))
    return out
