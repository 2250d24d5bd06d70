"""Single-chromosome geometry: polarity, mask, principal axis, upright alignment onto a fixed canvas.

Conventions used everywhere in this package: images are (H, W) arrays with row 0 at the top; angles are in
degrees, counter-clockwise as seen on screen; "upright" means the principal (long) axis vertical with the
p-arm up.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.filters import threshold_otsu

CANVAS_HW: tuple[int, int] = (112, 56)
"""Network input size (rows, cols): the upright chromosome centred, long axis vertical."""
CANVAS_SCALE = 0.75
"""Network pixels per image pixel (kept fixed so that chromosome size stays a cue)."""


def is_dark_on_light(image: np.ndarray) -> bool:
    """True for G-banded style images (dark chromosomes on a light background).

    The background is what the border shows (crops) or the bulk of the image (metaphases): if it is brighter
    than the mean, the objects are darker than the background.
    """
    img = image.astype(np.float32)
    border = np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]])
    background = 0.5 * (float(np.median(border)) + float(np.median(img)))
    return background > float(img.mean())


def to_bright_on_dark(image: np.ndarray, dark_on_light: bool | None = None) -> np.ndarray:
    """Normalise polarity and range.

    Args:
        image: (H, W) uint8 or float image, any polarity.
        dark_on_light: force the polarity; detected with :func:`is_dark_on_light` when None.

    Returns:
        float32 (H, W) in [0, 1]: background ~0, chromosome bright (Q-band-like).
    """
    img = image.astype(np.float32)
    if img.max() > 1.5:
        img = img / 255.0
    if dark_on_light is None:
        dark_on_light = is_dark_on_light(image)
    if dark_on_light:
        img = 1.0 - img
    border = np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]])
    background = min(float(np.median(border)), float(np.median(img)))
    return np.clip(img - background, 0.0, 1.0)


def foreground_mask(img: np.ndarray, keep_largest: bool = True) -> np.ndarray:
    """Otsu mask of a bright-on-dark float image (H, W); holes filled; largest blob if ``keep_largest``."""
    smooth = ndimage.gaussian_filter(img, 0.7)
    if float(smooth.max()) <= 0.0:
        return np.zeros(img.shape, dtype=bool)
    level = 0.5 * threshold_otsu(smooth)
    mask = ndimage.binary_fill_holes(smooth > max(level, 0.02))
    if keep_largest:
        labels, count = ndimage.label(mask)
        if count > 1:
            sizes = ndimage.sum(mask, labels, index=np.arange(1, count + 1))
            mask = labels == (int(np.argmax(sizes)) + 1)
    return np.asarray(mask, dtype=bool)


def principal_rotation(img: np.ndarray, mask: np.ndarray) -> float:
    """Counter-clockwise rotation (deg, in (-90, 90]) that makes the intensity-weighted long axis vertical.

    Of the two rotations 180 degrees apart, the smaller one is returned: the side that was up stays up.
    """
    ys, xs = np.nonzero(mask)
    if len(xs) < 3:
        return 0.0
    w = img[ys, xs].astype(np.float64) + 1e-6
    x = xs - np.average(xs, weights=w)
    y = -(ys - np.average(ys, weights=w))  # math orientation: y up
    cxx, cyy, cxy = np.average(x * x, weights=w), np.average(y * y, weights=w), np.average(x * y, weights=w)
    alpha = 0.5 * np.degrees(np.arctan2(2.0 * cxy, cxx - cyy))  # long axis, CCW from +x
    rho = 90.0 - alpha
    return float(rho - 180.0 if rho > 90.0 else rho)


def rotate(img: np.ndarray, ccw_deg: float, order: int = 1) -> np.ndarray:
    """Rotate an (H, W) image counter-clockwise on screen by ``ccw_deg``; the canvas grows to fit."""
    return ndimage.rotate(img, ccw_deg, reshape=True, order=order, mode="constant", cval=0.0, prefilter=False)


def wrap_deg(angle: float | np.ndarray) -> float | np.ndarray:
    """Wrap angles to (-180, 180]."""
    wrapped = -((-np.asarray(angle, dtype=np.float64) + 180.0) % 360.0 - 180.0)
    return float(wrapped) if np.ndim(wrapped) == 0 else wrapped


def crop_to_canvas(img: np.ndarray, scale: float = CANVAS_SCALE, hw: tuple[int, int] = CANVAS_HW) -> np.ndarray:
    """Cut the bright object out of ``img`` and centre it on a (rows, cols) canvas at ``scale``.

    Objects larger than the canvas are shrunk to fit (rare: over ~180 px long at the default scale).
    """
    mask = img > 0.02
    if not mask.any():
        return np.zeros(hw, dtype=np.float32)
    rows, cols = np.nonzero(mask)
    piece = img[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    fit = min((hw[0] - 2) / (piece.shape[0] * scale), (hw[1] - 2) / (piece.shape[1] * scale), 1.0)
    zoom = scale * fit
    piece = ndimage.zoom(piece, zoom, order=1, prefilter=False, grid_mode=True, mode="grid-constant")
    piece = piece[: hw[0], : hw[1]]
    canvas = np.zeros(hw, dtype=np.float32)
    r0, c0 = (hw[0] - piece.shape[0]) // 2, (hw[1] - piece.shape[1]) // 2
    canvas[r0 : r0 + piece.shape[0], c0 : c0 + piece.shape[1]] = np.clip(piece, 0.0, 1.0)
    return canvas


def align_chromosome(
    image: np.ndarray, dark_on_light: bool | None = None, scale: float = CANVAS_SCALE
) -> tuple[np.ndarray, float]:
    """Polarity-normalise, isolate, and rotate a single-chromosome image so its long axis is vertical.

    Args:
        image: (H, W) uint8 or float crop holding one chromosome (neighbour fragments are dropped).
        dark_on_light: polarity; detected when None.
        scale: canvas pixels per image pixel.

    Returns:
        canvas: float32 (112, 56) in [0, 1], long axis vertical; the p-arm may still be down (the network
            decides polarity).
        rho_deg: the counter-clockwise rotation that was applied to the input, in (-90, 90].
    """
    img = to_bright_on_dark(image, dark_on_light)
    mask = foreground_mask(img)
    img = np.where(ndimage.binary_dilation(mask, iterations=2), img, 0.0).astype(np.float32)
    rho = principal_rotation(img, mask)
    return crop_to_canvas(rotate(img, rho), scale), rho
