"""Reading images: the analysis frame, and clear errors that name the bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from iasante.core.errors import InputDataError
from iasante.derm.io import read_image, read_image_bytes

from .helpers import encode, synthetic_lesion


def test_png_and_jpeg_come_to_the_analysis_frame(tmp_path: Path) -> None:
    for fmt, suffix in (("PNG", ".png"), ("JPEG", ".jpg")):
        file = tmp_path / f"lesion{suffix}"
        file.write_bytes(encode(synthetic_lesion(), fmt))
        image = read_image(file)
        assert image.shape == (150, 200, 3) and image.dtype == np.float32
        assert 0.0 <= image.min() and image.max() <= 1.0


def test_portrait_and_wide_pictures_are_turned_and_cropped_to_4_3(tmp_path: Path) -> None:
    portrait = tmp_path / "portrait.png"
    Image.new("RGB", (300, 500), (200, 100, 50)).save(portrait)
    assert read_image(portrait).shape == (150, 200, 3)
    wide = read_image_bytes(encode(np.ones((100, 400, 3), np.float32) * 0.5), "wide.png")
    assert wide.shape == (150, 200, 3)


@pytest.mark.parametrize(("name", "data", "message"), [
    ("empty.jpg", b"", "empty"),
    ("text.jpg", b"this is not an image at all", "not a readable"),
    ("truncated.png", encode(synthetic_lesion())[:60], "not a readable"),
])
def test_bad_bytes_raise_an_error_naming_the_input(name: str, data: bytes, message: str) -> None:
    with pytest.raises(InputDataError, match=rf"{name}: .*{message}"):
        read_image_bytes(data, name)


def test_wrong_extension_missing_file_folder_and_tiny_image(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputDataError, match="notes.txt: extension .txt not accepted"):
        read_image(tmp_path / "notes.txt")
    with pytest.raises(InputDataError, match="missing.png: no such file"):
        read_image(tmp_path / "missing.png")
    with pytest.raises(InputDataError, match="is a folder"):
        read_image(tmp_path)
    with pytest.raises(InputDataError, match="too small"):
        read_image_bytes(encode(np.zeros((10, 10, 3), np.float32)), "tiny.png")


def test_gif_content_is_refused_even_with_an_image_extension() -> None:
    import io

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64)).save(buffer, format="GIF")
    with pytest.raises(InputDataError, match="anim.png: format GIF is not accepted"):
        read_image_bytes(buffer.getvalue(), "anim.png")


def test_sixteen_bit_grayscale_and_rgba_pngs_are_read(tmp_path: Path) -> None:
    deep = tmp_path / "deep.png"
    Image.fromarray((np.linspace(0, 60000, 300 * 400).reshape(300, 400)).astype(np.uint16)).save(deep)
    image = read_image(deep)
    assert image.shape == (150, 200, 3) and image.max() > 0.9 and image.min() < 0.1
    rgba = tmp_path / "alpha.png"
    Image.new("RGBA", (400, 300), (120, 80, 60, 128)).save(rgba)
    assert np.allclose(read_image(rgba)[0, 0], np.array([120, 80, 60]) / 255, atol=0.01)
