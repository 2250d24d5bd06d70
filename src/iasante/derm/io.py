"""Read and validate dermoscopy images (JPEG/PNG) into RGB float arrays.

Every image is brought to one analysis frame, landscape 4:3 at 200x150 px (the HAM10000 size), so that the
hair filter, the segmentation, the ABCD features and the network all see the same scale.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from iasante.core.errors import InputDataError

ANALYSIS_WIDTH_PX = 200
ANALYSIS_HEIGHT_PX = 150
ACCEPTED_SUFFIXES = (".jpg", ".jpeg", ".png")
_MIN_SIDE_PX = 32
_MAX_PIXELS = 80_000_000


def _decode(data: bytes, name: str) -> Image.Image:
    if not data:
        raise InputDataError(f"{name}: the file is empty")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            probe.verify()
        image = Image.open(io.BytesIO(data))
        if fmt not in {"JPEG", "PNG", "MPO"}:
            raise InputDataError(f"{name}: format {fmt} is not accepted; use JPEG or PNG")
        if image.width * image.height > _MAX_PIXELS:
            raise InputDataError(f"{name}: image too large ({image.width}x{image.height} px)")
        image.load()
    except InputDataError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        reason = "unknown or corrupt format" if isinstance(exc, UnidentifiedImageError) else str(exc)
        raise InputDataError(f"{name}: not a readable JPEG/PNG image ({reason})") from exc
    if min(image.size) < _MIN_SIDE_PX:
        raise InputDataError(f"{name}: image too small ({image.width}x{image.height} px; need >= {_MIN_SIDE_PX})")
    return image


def standardise(image: Image.Image) -> np.ndarray:
    """Bring a picture to the analysis frame.

    EXIF orientation is applied, 16-bit pictures are rescaled to 8 bits, portrait pictures are turned to
    landscape, the centre 4:3 part is kept and resized (bilinear, antialiased).

    Returns:
        float32 array (150, 200, 3), RGB, values in [0, 1].
    """
    image = ImageOps.exif_transpose(image)
    if image.mode in {"I", "I;16", "I;16B", "I;16L", "F"}:  # 16-bit or float PNG: rescale to 8 bits
        values = np.asarray(image, dtype=np.float32)
        image = Image.fromarray((255 * values / max(float(values.max()), 1.0)).astype(np.uint8))
    rgb = image.convert("RGB")
    if rgb.height > rgb.width:
        rgb = rgb.transpose(Image.Transpose.ROTATE_90)
    width, height = rgb.size
    target = ANALYSIS_WIDTH_PX / ANALYSIS_HEIGHT_PX
    if width / height > target:
        new_w = round(height * target)
        left = (width - new_w) // 2
        rgb = rgb.crop((left, 0, left + new_w, height))
    else:
        new_h = round(width / target)
        top = (height - new_h) // 2
        rgb = rgb.crop((0, top, width, top + new_h))
    rgb = rgb.resize((ANALYSIS_WIDTH_PX, ANALYSIS_HEIGHT_PX), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(rgb, dtype=np.float32) / 255.0


def read_image_bytes(data: bytes, name: str) -> np.ndarray:
    """Decode uploaded bytes; raises ``InputDataError("<name>: ...")`` when they are not a usable image.

    Returns:
        float32 array (150, 200, 3), RGB in [0, 1].
    """
    return standardise(_decode(data, name))


def read_image(path: str | Path) -> np.ndarray:
    """Read one JPEG/PNG file from disk into the analysis frame (see :func:`standardise`)."""
    file = Path(path)
    if not file.exists():
        raise InputDataError(f"{file}: no such file")
    if file.is_dir():
        raise InputDataError(f"{file}: is a folder, not an image")
    if file.suffix.lower() not in ACCEPTED_SUFFIXES:
        raise InputDataError(f"{file}: extension {file.suffix or '(none)'} not accepted; "
                             f"use {', '.join(ACCEPTED_SUFFIXES)}")
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InputDataError(f"{file}: cannot be read ({exc.strerror})") from exc
    return read_image_bytes(data, str(file))
