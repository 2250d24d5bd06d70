"""Tiny synthetic dermoscopy-like pictures (no patient data)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def synthetic_lesion(radius_px: int = 35, hair: bool = False, seed: int = 0) -> np.ndarray:
    """A brown disc on pinkish skin, (150, 200, 3) float32 RGB in [0, 1]; optional dark hair lines."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:150, 0:200]
    image = np.empty((150, 200, 3), np.float32)
    image[:] = (0.85, 0.65, 0.60)
    disc = (yy - 75) ** 2 + (xx - 100) ** 2 < radius_px**2
    image[disc] = (0.45, 0.28, 0.18)
    if hair:
        for row in (30, 110):
            image[row: row + 2, :] = (0.05, 0.04, 0.04)
    return np.clip(image + rng.normal(0, 0.01, image.shape), 0, 1).astype(np.float32)


def encode(image: np.ndarray, fmt: str = "PNG") -> bytes:
    """Encode a float image (H, W, 3) in [0, 1] as PNG or JPEG bytes."""
    buffer = io.BytesIO()
    Image.fromarray((image * 255).astype(np.uint8)).save(buffer, format=fmt)
    return buffer.getvalue()
