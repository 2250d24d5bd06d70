"""Read and validate karyotype inputs: chromosome/metaphase images and the BioImLab label table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, UnidentifiedImageError

from iasante.core.config import get_settings
from iasante.core.errors import ConfigError, InputDataError

CLASSES: tuple[str, ...] = tuple([str(i) for i in range(1, 23)] + ["X", "Y"])
"""The 24 chromosome classes, index 0..23 -> "1".."22", "X", "Y"."""

IMAGE_SUFFIXES = (".png", ".bmp", ".tif", ".tiff", ".jpg", ".jpeg")
MIN_SIDE_PX = 4
MAX_SIDE_PX = 8192


def class_index(name: str) -> int:
    """Index 0..23 of a chromosome name ("1".."22", "X", "Y"; "chr21" and "23"/"24" accepted)."""
    key = str(name).strip().upper().removeprefix("CHR")
    key = {"23": "X", "24": "Y"}.get(key, key)
    if key not in CLASSES:
        raise InputDataError(f"chromosome {name!r}: expected one of 1..22, X, Y")
    return CLASSES.index(key)


def read_gray(path: str | Path) -> np.ndarray:
    """Read an image file as grayscale.

    Returns:
        uint8 array (H, W), row 0 at the top; colour images are converted with ITU-R 601 luma.

    Raises:
        InputDataError: missing, empty, unreadable, too small or too large image (message names the file).
    """
    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise InputDataError(f"{path}: empty file")
    try:
        with Image.open(path) as img:
            img.load()
            gray = img.convert("L") if img.mode != "L" else img.copy()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise InputDataError(f"{path}: not a readable image ({type(exc).__name__})") from exc
    return check_gray(np.asarray(gray, dtype=np.uint8), str(path))


def decode_gray(data: bytes, name: str) -> np.ndarray:
    """Like :func:`read_gray` for uploaded bytes; ``name`` is used in error messages."""
    import io as _io

    if not data:
        raise InputDataError(f"{name}: empty file")
    try:
        with Image.open(_io.BytesIO(data)) as img:
            img.load()
            gray = img.convert("L")
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise InputDataError(f"{name}: not a readable image ({type(exc).__name__})") from exc
    return check_gray(np.asarray(gray, dtype=np.uint8), name)


def check_gray(image: np.ndarray, name: str) -> np.ndarray:
    """Validate a (H, W) uint8 image: size bounds and some contrast."""
    if image.ndim != 2:
        raise InputDataError(f"{name}: expected a 2-D grayscale image, got shape {image.shape}")
    if min(image.shape) < MIN_SIDE_PX or max(image.shape) > MAX_SIDE_PX:
        raise InputDataError(
            f"{name}: image size {image.shape[1]}x{image.shape[0]} px outside {MIN_SIDE_PX}..{MAX_SIDE_PX}"
        )
    if int(image.max()) - int(image.min()) < 10:
        raise InputDataError(f"{name}: blank image (no contrast), no chromosome to read")
    return image


def bioimlab_dir() -> Path:
    """Folder of the BioImLab single-chromosome set (``<data_dir>/karyotype/bioimlab``)."""
    data_dir = get_settings().data_dir
    if data_dir is None or not (data_dir / "karyotype" / "bioimlab" / "labels.csv").is_file():
        raise ConfigError(
            "karyotype data not found: set IASANTE_DATA_DIR to a folder holding karyotype/bioimlab/labels.csv"
        )
    return data_dir / "karyotype" / "bioimlab"


def load_labels(root: Path | None = None) -> pd.DataFrame:
    """BioImLab labels: one row per chromosome with ``path`` (absolute), ``cell`` (int), ``y`` (0..23)."""
    root = root or bioimlab_dir()
    table = pd.read_csv(root / "labels.csv", dtype={"chromosome": str})
    missing = {"file", "cell", "chromosome"} - set(table.columns)
    if missing:
        raise InputDataError(f"{root / 'labels.csv'}: missing columns {sorted(missing)}")
    table["path"] = [str(root / f) for f in table["file"]]
    table["y"] = [class_index(c) for c in table["chromosome"]]
    return table.reset_index(drop=True)
