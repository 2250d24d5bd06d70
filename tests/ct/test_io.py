"""Readers: every supported format, HU windowing, series order, and clear errors naming the bad input."""

from __future__ import annotations

import zipfile
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest

from iasante.core.errors import InputDataError
from iasante.ct.io import LUNG_WINDOW_HU, extract_zip, load_input, window_hu
from tests.ct.conftest import chest_phantom_hu


def test_window_maps_lung_window_to_unit_range() -> None:
    hu = np.array([-2000.0, LUNG_WINDOW_HU[0], -600.0, LUNG_WINDOW_HU[1], 3000.0])
    np.testing.assert_allclose(window_hu(hu), [0.0, 0.0, 0.5, 1.0, 1.0])


def test_png_slice(demo_png: Path) -> None:
    series = load_input(demo_png)
    assert series.modality == "image" and len(series.slices) == 1
    assert series.slices[0].shape == (256, 256) and series.slices[0].dtype == np.float32
    assert 0.0 <= series.slices[0].min() < series.slices[0].max() <= 1.0


def test_dicom_jpeg_lossless_in_hounsfield_units(demo_dicom: Path) -> None:
    ds = pydicom.dcmread(demo_dicom)
    hu = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    series = load_input(demo_dicom)
    assert series.modality == "dicom" and series.slices[0].shape == (512, 512)
    np.testing.assert_allclose(series.slices[0], window_hu(hu), atol=1e-6)
    assert "PatientID" not in series.meta and series.meta["Manufacturer"] == "SIEMENS"


def test_dicom_series_sorted_by_position(demo_series: Path) -> None:
    series = load_input(demo_series)
    z = [
        float(pydicom.dcmread(demo_series / n, stop_before_pixels=True).ImagePositionPatient[2])
        for n in series.slice_ids
    ]
    assert len(series.slices) == 6 and z == sorted(z)


def test_nifti_volume(tmp_path: Path) -> None:
    vol = np.stack([chest_phantom_hu()] * 4, axis=-1)
    path = tmp_path / "chest.nii.gz"
    nib.save(nib.Nifti1Image(vol, np.diag([0.7, 0.7, 2.0, 1.0])), str(path))
    series = load_input(path)
    assert series.modality == "nifti" and len(series.slices) == 4 and series.slices[0].shape == (96, 96)
    assert series.meta["SliceThickness"] == "2.000"


def test_nifti_not_in_hounsfield_units_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mri.nii"
    nib.save(nib.Nifti1Image(np.random.default_rng(0).random((64, 64, 3)).astype(np.float32), np.eye(4)), str(path))
    with pytest.raises(InputDataError, match="mri.nii.*Hounsfield"):
        load_input(path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.png", b"", "empty"),
        ("corrupt.png", b"\x89PNG\r\n\x1a\nnot really", "not a readable PNG"),
        ("corrupt.dcm", b"\x00" * 128 + b"DICM" + b"\x01\x02", "DICOM"),
        ("notes.txt", b"hello", "unsupported input"),
    ],
)
def test_bad_files_are_named(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputDataError, match=message) as info:
        load_input(path)
    assert str(info.value).startswith(str(path))


def test_non_ct_dicom_is_refused(tmp_path: Path, demo_dicom: Path) -> None:
    ds = pydicom.dcmread(demo_dicom)
    ds.Modality = "MR"
    path = tmp_path / "mr.dcm"
    ds.save_as(path)
    with pytest.raises(InputDataError, match="modality is 'MR'"):
        load_input(path)


def test_blank_image_and_missing_path(tmp_path: Path) -> None:
    from PIL import Image

    Image.fromarray(np.zeros((64, 64), np.uint8)).save(tmp_path / "black.png")
    with pytest.raises(InputDataError, match="blank"):
        load_input(tmp_path / "black.png")
    with pytest.raises(InputDataError, match="no such file"):
        load_input(tmp_path / "absent.png")


def test_folder_errors(tmp_path: Path, demo_png: Path, demo_dicom: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputDataError, match="no DICOM, PNG or JPEG"):
        load_input(tmp_path / "empty")
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "a.png").write_bytes(demo_png.read_bytes())
    (mixed / "b.dcm").write_bytes(demo_dicom.read_bytes())
    with pytest.raises(InputDataError, match="mixes DICOM"):
        load_input(mixed)


def test_zip_is_extracted_and_traversal_refused(tmp_path: Path, demo_png: Path) -> None:
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as zf:
        zf.write(demo_png, "series/slice1.png")
    assert len(load_input(extract_zip(good, tmp_path / "out")).slices) == 1
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("../evil.png", b"x")
    with pytest.raises(InputDataError, match="unsafe path"):
        extract_zip(bad, tmp_path / "out2")
    (tmp_path / "fake.zip").write_bytes(b"not a zip")
    with pytest.raises(InputDataError, match="not a valid ZIP"):
        extract_zip(tmp_path / "fake.zip", tmp_path / "out3")


def test_nifti_display_orientation(tmp_path: Path) -> None:
    """A marker at the patient's right-anterior (high x, high y in RAS+) shows top-left, as in axial DICOM."""
    vol = np.stack([chest_phantom_hu()] * 2, axis=-1)
    vol[70:78, 62:68, :] = 1000.0  # x = right, y = anterior in RAS+
    path = tmp_path / "marker.nii"
    nib.save(nib.Nifti1Image(vol, np.eye(4)), str(path))
    s = load_input(path).slices[0]
    rows, cols = np.nonzero(s >= 1.0)
    assert rows.mean() < s.shape[0] / 2 and cols.mean() < s.shape[1] / 2


def test_series_folder_skips_non_image_dicom(tmp_path: Path, demo_series: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    for file in sorted(demo_series.glob("*.dcm"))[:3]:
        (folder / file.name).write_bytes(file.read_bytes())
    report = pydicom.dcmread(sorted(demo_series.glob("*.dcm"))[0])
    del report.PixelData
    report.save_as(folder / "DICOMDIR")
    mr = pydicom.dcmread(sorted(demo_series.glob("*.dcm"))[1])
    mr.Modality = "MR"
    mr.save_as(folder / "other.dcm")
    series = load_input(folder)
    assert len(series.slices) == 3 and "DICOMDIR" not in series.slice_ids and "other.dcm" not in series.slice_ids
    for name in [*(p.name for p in folder.glob("*.dcm") if p.name != "other.dcm")]:
        (folder / name).unlink()
    with pytest.raises(InputDataError, match="no CT image slice"):
        load_input(folder)
