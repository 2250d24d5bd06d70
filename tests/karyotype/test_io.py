"""Input validation: every refusal names the input and says what is wrong."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from iasante.core.errors import InputDataError
from iasante.karyotype.io import class_index, decode_gray, read_gray


def test_reads_colour_as_gray(tmp_path: Path) -> None:
    path = tmp_path / "c.png"
    rgb = np.zeros((40, 20, 3), np.uint8)
    rgb[10:30, 5:15] = (200, 150, 100)
    Image.fromarray(rgb).save(path)
    gray = read_gray(path)
    assert gray.shape == (40, 20) and gray.dtype == np.uint8 and gray.max() > 100


@pytest.mark.parametrize(("content", "message"), [(b"", "empty file"), (b"GIF89a garbage", "not a readable image")])
def test_bad_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(InputDataError, match=f"bad.png: {message}"):
        read_gray(path)


def test_missing_blank_and_tiny(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="no such file"):
        read_gray(tmp_path / "nope.png")
    Image.new("L", (50, 50), 128).save(tmp_path / "flat.png")
    with pytest.raises(InputDataError, match="flat.png: blank image"):
        read_gray(tmp_path / "flat.png")
    with pytest.raises(InputDataError, match="upload.png: image size"):
        decode_gray(_png(np.eye(2, dtype=np.uint8) * 255), "upload.png")


def _png(array: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def test_class_index() -> None:
    assert class_index("21") == 20 and class_index("chrX") == 22 and class_index("24") == 23
    with pytest.raises(InputDataError, match="expected one of 1..22, X, Y"):
        class_index("25")
