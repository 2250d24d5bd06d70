"""Slice preprocessing shared by training and inference: body crop, square pad, resize, lung fraction.

Cropping to the body removes what differs between sources but says nothing about the lungs (figure
margins, scanner table, image aspect ratio): a shortcut a small network would otherwise learn.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

INPUT_SIZE_PX = 128
MAX_SIDE_PX = 256  # the training slices' resolution: larger inputs (512 px DICOM) are reduced to it first
_BODY_THRESHOLD = 0.45  # lung window: -675 HU; soft tissue and bone are above, air below
_LUNG_THRESHOLD = 0.35  # -825 HU: aerated lung inside the body
_LUNG_BOX_THRESHOLD = 0.55  # -525 HU: aerated and ground-glass lung below it, soft tissue and consolidation above
AIR_01 = (-1000 + 1350) / 1500  # air (-1000 HU) in the lung window -1350..+150 HU
TISSUE_01 = (40 + 1350) / 1500  # soft tissue (+40 HU, muscle and blood) in the lung window


def limit_size(slice_01: np.ndarray, max_side_px: int = MAX_SIDE_PX) -> np.ndarray:
    """Downscale ``(H, W)`` so its longest side is at most ``max_side_px`` (area-like bilinear), else return it.

    The training PNGs were made this way from 512 px scans, so a 512 px DICOM slice then looks like them,
    and the masks below cost a quarter as much.
    """
    from PIL import Image

    h, w = slice_01.shape
    if max(h, w) <= max_side_px:
        return slice_01
    scale = max_side_px / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    img = Image.fromarray(slice_01.astype(np.float32), mode="F").resize(
        size, Image.Resampling.BILINEAR, reducing_gap=2.0
    )
    return np.asarray(img, dtype=np.float32)


def body_mask(slice_01: np.ndarray) -> np.ndarray:
    """Largest bright connected component with holes filled: the body outline, ``(H, W)`` bool."""
    mask = ndimage.binary_opening(slice_01 > _BODY_THRESHOLD, iterations=2)
    labels, count = ndimage.label(mask)
    if count == 0:
        return np.ones_like(slice_01, dtype=bool)
    sizes = ndimage.sum_labels(mask, labels, index=np.arange(1, count + 1))
    return ndimage.binary_fill_holes(labels == (int(np.argmax(sizes)) + 1))  # type: ignore[no-any-return]


def harmonise_window(slice_01: np.ndarray, body: np.ndarray) -> np.ndarray:
    """Map ``(H, W)`` linearly so that outside air and soft tissue sit where the lung window puts them.

    Sources window their slices differently (LUNA16 PNGs put air at 0 and muscle near 0.65; the lung window
    puts them at 0.233 and 0.927), so brightness alone told screening scans from everything else: a shortcut
    that called every scanner-exported series pathological. Landmarks: the median of the air around the
    body (clipped padding at 0 is ignored when real air is there too) and the median of body pixels well
    above it. A lung-window slice is left almost unchanged; one without usable landmarks is returned as is.

    Args:
        slice_01: ``(H, W)`` float32 in [0, 1]; body: its :func:`body_mask`.
    """
    outside = slice_01[~body]
    if outside.size < 0.05 * slice_01.size:
        return slice_01
    lifted = outside[outside > 0.005]
    air = float(np.median(lifted if lifted.size >= 0.2 * outside.size else outside))
    dense = slice_01[body & (slice_01 > air + 0.35)]
    if dense.size < 100 or air > 0.45:
        return slice_01
    tissue = float(np.median(dense))
    scale = (TISSUE_01 - AIR_01) / (tissue - air)
    return np.clip(AIR_01 + (slice_01 - air) * scale, 0.0, 1.0).astype(np.float32)


def lung_fraction(slice_01: np.ndarray) -> float:
    """Share of the body area that is aerated (< -825 HU): ~0 above the apices or below the bases."""
    slice_01 = limit_size(slice_01)
    body = body_mask(slice_01)
    area = float(body.sum())
    if area < 0.02 * slice_01.size:
        return 0.0
    return float(((slice_01 < _LUNG_THRESHOLD) & body).sum()) / area


def crop_to_body(slice_01: np.ndarray, margin_frac: float = 0.04, body: np.ndarray | None = None) -> np.ndarray:
    """Crop ``(H, W)`` to the body's bounding box plus a margin and pad to a square with zeros (air).

    ``body``: :func:`body_mask` of ``slice_01`` when already computed.
    """
    body = body_mask(slice_01) if body is None else body
    rows, cols = np.nonzero(body)
    h, w = slice_01.shape
    if rows.size < 0.05 * slice_01.size:
        r0, r1, c0, c1 = 0, h, 0, w
    else:
        m = int(margin_frac * max(h, w))
        r0, r1 = max(rows.min() - m, 0), min(rows.max() + m + 1, h)
        c0, c1 = max(cols.min() - m, 0), min(cols.max() + m + 1, w)
    return _pad_square(slice_01[r0:r1, c0:c1])


def lung_box(slice_01: np.ndarray, body: np.ndarray | None = None) -> tuple[int, int, int, int] | None:
    """Bounding box ``(r0, r1, c0, c1)`` (half-open, px) of the lungs of ``(H, W)``, or ``None`` if none found.

    Classical segmentation: dark (< -525 HU) regions inside the body outline that do not touch the image
    border (outside air and white figure backgrounds do), keeping those of at least 0.5% of the image and
    a tenth of the largest (both lungs, not bowel gas). Dense consolidation is missed by the mask but lies
    inside the box of the aerated lung around it.
    """
    body = body_mask(slice_01) if body is None else body
    dark = ndimage.binary_opening((slice_01 < _LUNG_BOX_THRESHOLD) & body, iterations=1)
    labels, count = ndimage.label(dark)
    if count == 0:
        return None
    sizes = ndimage.sum_labels(dark, labels, index=np.arange(1, count + 1))
    border = set(np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])).tolist())
    keep = [
        i + 1 for i in range(count) if i + 1 not in border and sizes[i] >= max(0.005 * slice_01.size, 0.1 * sizes.max())
    ]
    if not keep:
        return None
    rows, cols = np.nonzero(np.isin(labels, keep))
    return int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1


def crop_to_lungs(slice_01: np.ndarray, margin_frac: float = 0.06, body: np.ndarray | None = None) -> np.ndarray:
    """Crop ``(H, W)`` to the lungs' box plus a margin, pad to a square with zeros; the body crop if no lungs.

    Lungs then fill the frame whatever the patient's build or the figure's framing: a large body (more soft
    tissue around small lungs) otherwise reads as disease to a network trained on few scanners.
    """
    body = body_mask(slice_01) if body is None else body
    box = lung_box(slice_01, body)
    if box is None:
        return crop_to_body(slice_01, body=body)
    r0, r1, c0, c1 = box
    h, w = slice_01.shape
    m = int(margin_frac * max(r1 - r0, c1 - c0))
    crop = slice_01[max(r0 - m, 0) : min(r1 + m, h), max(c0 - m, 0) : min(c1 + m, w)]
    return _pad_square(crop)


def _pad_square(crop: np.ndarray) -> np.ndarray:
    side = max(crop.shape)
    out = np.zeros((side, side), dtype=np.float32)
    top, left = (side - crop.shape[0]) // 2, (side - crop.shape[1]) // 2
    out[top : top + crop.shape[0], left : left + crop.shape[1]] = crop
    return out


def to_model_input(
    slice_01: np.ndarray, size_px: int = INPUT_SIZE_PX, crop: str = "body", harmonise: bool = True
) -> np.ndarray:
    """One slice ``(H, W)`` in ``[0, 1]`` -> network input ``(1, size_px, size_px)`` float32 in ``[0, 1]``.

    ``crop`` is ``"body"`` (:func:`crop_to_body`) or ``"lung"`` (:func:`crop_to_lungs`); ``harmonise``: see
    :func:`to_model_inputs`.
    """
    return to_model_inputs(slice_01, size_px, harmonise)[1 if crop == "lung" else 0][None]


def to_model_inputs(slice_01: np.ndarray, size_px: int = INPUT_SIZE_PX, harmonise: bool = True) -> np.ndarray:
    """Cascade input ``(2, size_px, size_px)`` float32: the body crop and the lung crop of one slice, sharing
    one size reduction and one body mask.

    With ``harmonise`` (models from 1.2.0 on) the body crop, which stage 1 reads, goes through
    :func:`harmonise_window`; the lung crop keeps the lung window, because harmonising it lowered stage 2's
    out-of-fold COVID AUC (0.883 -> 0.746 for the lung CNNs, see the model card).
    """
    small = limit_size(slice_01)
    body = body_mask(small)
    outline = harmonise_window(small, body) if harmonise else small
    return np.concatenate(
        [_resized(crop_to_body(outline, body=body), size_px), _resized(crop_to_lungs(small, body=body), size_px)]
    )


def _resized(square: np.ndarray, size_px: int) -> np.ndarray:
    from PIL import Image

    img = Image.fromarray(square.astype(np.float32), mode="F").resize((size_px, size_px), Image.Resampling.BILINEAR)
    return np.clip(np.asarray(img, dtype=np.float32), 0.0, 1.0)[None]
