"""Interpretable ABCD features (asymmetry, border, colour, diameter) and colour/texture descriptors.

Inputs are the pre-processed analysis frame: image float32 (150, 200, 3) RGB in [0, 1] and the lesion mask
bool (150, 200). Lengths are in pixels of that frame (no physical scale is known for arbitrary cameras).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi
from skimage.color import rgb2hsv
from skimage.measure import perimeter, regionprops

# Approximate sRGB centres of the six colours of the ABCD rule (Stolz et al. 1994): white, red, light brown,
# dark brown, blue-gray, black. Values in [0, 1]; a lesion pixel takes the nearest centre.
ABCD_COLOURS = {
    "white": (0.88, 0.86, 0.88),
    "red": (0.78, 0.28, 0.28),
    "light_brown": (0.74, 0.52, 0.36),
    "dark_brown": (0.42, 0.24, 0.15),
    "blue_gray": (0.38, 0.44, 0.55),
    "black": (0.12, 0.10, 0.10),
}
_COLOUR_MIN_FRACTION = 0.05
ABCD_NAMES = ("asymmetry", "border_irregularity", "colour_count", "diameter_px")


def _asymmetry(mask: np.ndarray) -> float:
    """Mean non-overlap of the lesion with its mirror image about each principal axis (0 = symmetric)."""
    coords = np.argwhere(mask).astype(np.float64)
    if len(coords) < 10:
        return 0.0
    centred = coords - coords.mean(axis=0)
    _, vectors = np.linalg.eigh(np.cov(centred.T))
    rotated = np.rint(centred @ vectors).astype(np.int64)
    shift = np.abs(rotated).max() + 1
    grid = np.zeros((2 * shift + 1, 2 * shift + 1), bool)
    grid[rotated[:, 0] + shift, rotated[:, 1] + shift] = True
    grid = ndi.binary_closing(grid)
    area = grid.sum()
    return float(np.mean([(grid ^ grid[::-1, :]).sum() / (2 * area), (grid ^ grid[:, ::-1]).sum() / (2 * area)]))


def _colour_fractions(image: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    pixels = image[mask]
    if len(pixels) == 0:
        return dict.fromkeys(ABCD_COLOURS, 0.0)
    centres = np.array(list(ABCD_COLOURS.values()))
    nearest = np.argmin(((pixels[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
    counts = np.bincount(nearest, minlength=len(centres)) / len(pixels)
    return {name: float(c) for name, c in zip(ABCD_COLOURS, counts, strict=True)}


def compute_abcd(image: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """The four ABCD values shown to clinicians.

    Returns:
        ``asymmetry`` (0 symmetric .. 1), ``border_irregularity`` (perimeter^2 / (4 pi area), 1 = circle),
        ``colour_count`` (how many of the six ABCD colours cover >= 5 % of the lesion), ``diameter_px`` (largest
        Feret diameter in analysis-frame pixels, frame 200 px wide) and the per-colour fractions ``colour_<name>``.
    """
    area = float(mask.sum())
    fractions = _colour_fractions(image, mask)
    diameter, border = 0.0, 0.0
    if area:
        diameter = float(regionprops(mask.astype(np.uint8))[0].feret_diameter_max)  # type: ignore[no-untyped-call]
        border = float(perimeter(mask) ** 2 / (4 * np.pi * area))  # type: ignore[no-untyped-call]
    return {
        "asymmetry": _asymmetry(mask),
        "border_irregularity": border,
        "colour_count": float(sum(f >= _COLOUR_MIN_FRACTION for f in fractions.values())),
        "diameter_px": diameter,
        **{f"colour_{name}": value for name, value in fractions.items()},
    }


def compute_descriptors(image: np.ndarray, mask: np.ndarray, abcd: dict[str, float] | None = None) -> np.ndarray:
    """ABCD values (``abcd`` when already computed) plus colour, shape and texture statistics, as one vector.

    Returns:
        float32 vector of length :data:`N_DESCRIPTORS` (order fixed by :func:`descriptor_names`).
    """
    abcd = abcd if abcd is not None else compute_abcd(image, mask)
    inside = mask if mask.any() else np.ones_like(mask)
    outside = ~ndi.binary_dilation(inside, iterations=5)
    if outside.sum() < 50:
        outside = ~inside if (~inside).any() else inside
    hsv_inside = rgb2hsv(image[inside][:, None, :])[:, 0, :]
    gray = image.mean(axis=2)
    gradient = np.hypot(ndi.sobel(gray, 0), ndi.sobel(gray, 1))
    border = inside ^ ndi.binary_erosion(inside, iterations=2)
    props = regionprops(inside.astype(np.uint8))[0]  # type: ignore[no-untyped-call]
    values = [abcd[name] for name in ABCD_NAMES] + [abcd[f"colour_{n}"] for n in ABCD_COLOURS]
    values += list(image[inside].mean(0)) + list(image[inside].std(0)) + list(hsv_inside.mean(0))
    values += list(hsv_inside.std(0)) + list(image[outside].mean(0) - image[inside].mean(0))
    values += [inside.mean(), props.eccentricity, props.solidity, gradient[border].mean() if border.any() else 0,
               gradient[inside].mean(), gray[inside].std(), np.percentile(gray[inside], 5),
               np.percentile(gray[inside], 95)]
    for channel in range(3):
        values += list(np.histogram(image[..., channel][inside], bins=6, range=(0, 1))[0] / inside.sum())
    return np.asarray(values, dtype=np.float32)


def descriptor_names() -> list[str]:
    """Names of the entries of :func:`compute_descriptors`, in order."""
    names = list(ABCD_NAMES) + [f"colour_{n}" for n in ABCD_COLOURS]
    names += [f"{s}_{c}" for s in ("mean", "std") for c in "rgb"] + [f"{s}_{c}" for s in ("mean", "std") for c in "hsv"]
    names += [f"contrast_{c}" for c in "rgb"]
    names += ["area_fraction", "eccentricity", "solidity", "border_gradient", "inner_gradient", "gray_std",
              "gray_p05", "gray_p95"]
    names += [f"hist_{c}{b}" for c in "rgb" for b in range(6)]
    return names


N_DESCRIPTORS = len(descriptor_names())
