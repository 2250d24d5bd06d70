"""Field-standard dermoscopy pre-processing: colour constancy, hair removal, lesion segmentation, cropping.

All functions take and return float32 RGB arrays of shape (H, W, 3) with values in [0, 1] (the analysis frame
of :mod:`iasante.derm.io`, 150x200 px) and boolean masks of shape (H, W).
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage as ndi
from skimage.filters import threshold_otsu

NET_HEIGHT_PX = 72
NET_WIDTH_PX = 96
_LINE_FOOTPRINTS = None


def shades_of_gray(image: np.ndarray, power: int = 6) -> np.ndarray:
    """Colour constancy by the Shades of Gray assumption (Finlayson & Trezzi 2004; Barata et al. 2015).

    The illuminant is the Minkowski p-norm mean of each channel; dividing by it removes the colour cast of the
    dermatoscope's light and camera, the main shift between clinics.
    """
    pixels = np.clip(image, 1e-6, 1.0).reshape(-1, 3).astype(np.float64)
    illuminant = np.power(np.mean(np.power(pixels, power), axis=0), 1.0 / power)
    illuminant /= np.linalg.norm(illuminant) + 1e-12
    corrected = image / (illuminant * np.sqrt(3.0))
    scale = np.percentile(corrected, 99.5)
    out: np.ndarray = np.clip(corrected / max(scale, 1e-6), 0.0, 1.0).astype(np.float32)
    return out


def _line_footprints(length: int = 9) -> list[np.ndarray]:
    """Line structuring elements at 0, 45, 90 and 135 degrees (DullRazor uses oriented lines)."""
    global _LINE_FOOTPRINTS
    if _LINE_FOOTPRINTS is None:
        horizontal = np.zeros((length, length), bool)
        horizontal[length // 2, :] = True
        diagonal = np.eye(length, dtype=bool)
        _LINE_FOOTPRINTS = [horizontal, horizontal.T, diagonal, diagonal[::-1]]
    return _LINE_FOOTPRINTS


def remove_hair(image: np.ndarray, threshold: float = 0.08) -> tuple[np.ndarray, np.ndarray]:
    """DullRazor-style hair removal (Lee et al. 1997) by morphology.

    A generalised grey closing with oriented lines finds thin dark structures (black-hat); their pixels are
    replaced by the per-channel closing, i.e. by the brighter skin or lesion around them.

    Returns:
        (image without hair (H, W, 3) float32, hair mask (H, W) bool).
    """
    gray = image.mean(axis=2)
    closed_gray = np.max([ndi.grey_closing(gray, footprint=f) for f in _line_footprints()], axis=0)
    hair = (closed_gray - gray) > threshold
    hair = ndi.binary_opening(hair, structure=np.ones((2, 2), bool))
    if hair.mean() < 0.002:
        return image, np.zeros(gray.shape, bool)
    hair = ndi.binary_dilation(hair, iterations=1)
    filled = ndi.grey_closing(image, size=(9, 9, 1))
    # 3x3 median of the closing, evaluated only where it is used (same values as ndi.median_filter, 'reflect')
    windows = np.lib.stride_tricks.sliding_window_view(
        np.pad(filled, ((1, 1), (1, 1), (0, 0)), mode="symmetric"), (3, 3), axis=(0, 1))
    out = image.copy()
    out[hair] = np.median(windows[hair].reshape(-1, 3, 9), axis=2)
    return out.astype(np.float32), hair


def segment_lesion(image: np.ndarray) -> tuple[np.ndarray, bool]:
    """Classical lesion segmentation: Otsu threshold on the smoothed blue-weighted darkness map.

    The lesion is the dark connected component that is largest once weighted by closeness to the centre
    (dermoscopy centres the lesion; dark vignetted corners are penalised). Holes are filled.

    Returns:
        (mask (H, W) bool, found) where ``found`` is False when no plausible lesion was seen (the mask is then a
        centred ellipse covering about half the image, so downstream steps still run).
    """
    height, width = image.shape[:2]
    darkness = ndi.gaussian_filter(1.0 - (0.3 * image[..., 0] + 0.3 * image[..., 1] + 0.4 * image[..., 2]), 2.0)
    yy, xx = np.mgrid[0:height, 0:width]
    radius = np.sqrt(((yy - height / 2) / (height / 2)) ** 2 + ((xx - width / 2) / (width / 2)) ** 2)
    inner = darkness[radius < 0.9]
    found = float(inner.max() - inner.min()) > 0.05
    mask = np.zeros((height, width), bool)
    if found:
        labels, count = ndi.label(darkness > threshold_otsu(inner))  # type: ignore[no-untyped-call]
        if count:
            index = np.arange(1, count + 1)
            sizes = ndi.sum(np.ones_like(darkness), labels, index)
            centrality = ndi.mean(np.clip(1.2 - radius, 0.05, None), labels, index)
            best = int(index[np.argmax(sizes * centrality**2)])
            mask = ndi.binary_fill_holes(ndi.binary_opening(labels == best, iterations=2))
        found = 0.005 < mask.mean() < 0.98
    if not found:
        mask = radius < 0.7
    return mask, found


def crop_to_lesion(image: np.ndarray, mask: np.ndarray, margin: float = 0.3, min_fraction: float = 0.5
                   ) -> np.ndarray:
    """Crop a 4:3 box around the lesion (bounding box + ``margin`` on each side, at least ``min_fraction`` of
    the frame), so small lesions fill the network's view. Returns the crop, (h, w, 3) float32."""
    height, width = mask.shape
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        return image
    box_h = (rows.max() - rows.min() + 1) * (1 + 2 * margin)
    box_w = (cols.max() - cols.min() + 1) * (1 + 2 * margin)
    box_w = min(max(box_w, box_h * width / height, min_fraction * width), width)
    box_h = box_w * height / width
    centre_r = np.clip((rows.max() + rows.min()) / 2, box_h / 2, height - box_h / 2)
    centre_c = np.clip((cols.max() + cols.min()) / 2, box_w / 2, width - box_w / 2)
    top, left = int(round(centre_r - box_h / 2)), int(round(centre_c - box_w / 2))
    return image[max(top, 0): top + int(round(box_h)), max(left, 0): left + int(round(box_w))]


def to_network_input(image: np.ndarray) -> np.ndarray:
    """Resize an RGB crop to the network frame.

    Returns:
        uint8 array (72, 96, 3), RGB 0-255 (normalised later by the model, see ``model.normalise``).
    """
    pil = Image.fromarray((np.clip(image, 0, 1) * 255).astype(np.uint8))
    return np.asarray(pil.resize((NET_WIDTH_PX, NET_HEIGHT_PX), Image.Resampling.BILINEAR, reducing_gap=2.0))


def prepare(image: np.ndarray) -> dict[str, np.ndarray | bool]:
    """Run the whole chain on one analysis-frame image (150, 200, 3).

    Returns a dict with ``clean`` (colour-corrected, hair-free image), ``hair`` and ``mask`` (bool (H, W)),
    ``lesion_found`` (bool) and ``net`` (uint8 (72, 96, 3) crop for the network).
    """
    corrected = shades_of_gray(image)
    clean, hair = remove_hair(corrected)
    mask, found = segment_lesion(clean)
    net = to_network_input(crop_to_lesion(clean, mask))
    return {"clean": clean, "hair": hair, "mask": mask, "lesion_found": found, "net": net}
