"""Karyogram drawing in the standard layout (1-5; 6-12 and X; 13-18; 19-22 and Y), PNG via Pillow."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

from iasante.karyotype.preprocess import rotate

LAYOUT: tuple[tuple[str, ...], ...] = (
    ("1", "2", "3", "4", "5"),
    ("6", "7", "8", "9", "10", "11", "12", "X"),
    ("13", "14", "15", "16", "17", "18"),
    ("19", "20", "21", "22", "Y"),
)
GAP_PX, GROUP_GAP_PX, LABEL_PX, MARGIN_PX = 4, 18, 18, 12
TALLEST_PX = 110
"""Small spreads are enlarged (up to 3x) so that chromosome 1 is about this tall."""


def upright_crop(crop: np.ndarray, angle_deg: float) -> np.ndarray:
    """Turn a bright-on-dark crop (H, W) by -angle_deg so the chromosome stands upright; tight bounds."""
    up = rotate(crop, -angle_deg)
    rows, cols = np.nonzero(up > 0.02)
    if len(rows) == 0:
        return np.zeros((1, 1), np.float32)
    return up[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]


def render_karyogram(
    classes: list[str | None],
    angles_deg: list[float],
    crops: list[np.ndarray],
    dark_on_light: bool = False,
    title: str = "",
) -> Image.Image:
    """Lay out upright chromosomes by class.

    Args:
        classes: class name per object ("1".."22", "X", "Y"), None for discarded objects (not drawn).
        angles_deg: CCW rotation of each object from upright (as in ``karyotype.json``).
        crops: bright-on-dark float32 crops in [0, 1], one per object.
        dark_on_light: draw dark chromosomes on white (G-band look) instead of bright on black.
        title: text at the top (e.g. the ISCN result).

    Returns:
        RGB image.
    """
    groups: dict[str, list[np.ndarray]] = {name: [] for row in LAYOUT for name in row}
    for name, angle, crop in zip(classes, angles_deg, crops, strict=True):
        if name in groups:
            groups[name].append(upright_crop(crop, angle))
    tallest = max([p.shape[0] for g in groups.values() for p in g] + [1])
    zoom = float(np.clip(TALLEST_PX / tallest, 1.0, 3.0))
    if zoom > 1.0:
        groups = {n: [np.clip(ndimage.zoom(p, zoom, order=1), 0, 1) for p in g] for n, g in groups.items()}
    widths = {n: max(sum(p.shape[1] + GAP_PX for p in g), 30) for n, g in groups.items()}
    heights = [max([p.shape[0] for n in row for p in groups[n]] + [20]) for row in LAYOUT]
    row_w = [sum(widths[n] for n in row) + GROUP_GAP_PX * (len(row) - 1) for row in LAYOUT]
    top = MARGIN_PX + (LABEL_PX + 6 if title else 0)
    width = max(row_w) + 2 * MARGIN_PX
    height = top + sum(h + LABEL_PX + 10 for h in heights) + MARGIN_PX
    background, ink = (
        (255, 255, 255) if dark_on_light else (0, 0, 0),
        (0, 0, 0) if dark_on_light else (230,) * 3,
    )
    canvas = np.full((height, width), background[0], np.float32)
    sheet = Image.new("RGB", (width, height), background)
    labels: list[tuple[int, int, str]] = []
    y = top
    for row, row_height, total in zip(LAYOUT, heights, row_w, strict=True):
        x = MARGIN_PX + (max(row_w) - total) // 2
        baseline = y + row_height
        for name in row:
            px = x + (widths[name] - sum(p.shape[1] + GAP_PX for p in groups[name])) // 2
            for piece in groups[name]:
                r0 = baseline - piece.shape[0]
                window = canvas[r0:baseline, px : px + piece.shape[1]]
                value = 255.0 * (1.0 - 0.9 * piece) if dark_on_light else 255.0 * piece
                canvas[r0:baseline, px : px + piece.shape[1]] = (
                    np.minimum(window, value) if dark_on_light else np.maximum(window, value)
                )
                px += piece.shape[1] + GAP_PX
            labels.append((x + widths[name] // 2, baseline, name))
            x += widths[name] + GROUP_GAP_PX
        y = baseline + LABEL_PX + 10
    sheet.paste(Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8)).convert("RGB"))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    for cx, baseline, name in labels:
        draw.line([(cx - 12, baseline + 3), (cx + 12, baseline + 3)], fill=ink, width=1)
        draw.text((cx, baseline + 6), name, fill=ink, font=font, anchor="ma")
    if title:
        draw.text((MARGIN_PX, MARGIN_PX), title, fill=ink, font=font)
    return sheet


def png_bytes(image: Image.Image) -> bytes:
    """Encode an image as PNG bytes."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
