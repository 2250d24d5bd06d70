"""Read chest CT inputs (PNG/JPEG slices, DICOM files or series folders, NIfTI volumes) as lung-window slices.

Every reader returns a :class:`CtSeries`: a list of 2-D ``float32`` arrays of shape ``(H, W)``
(rows anterior to posterior, columns patient right to left, as stored), values in ``[0, 1]``: 0 is
``LUNG_WINDOW_HU[0]`` (-1350 HU) and 1 is ``LUNG_WINDOW_HU[1]`` (+150 HU): the standard lung window
(level -600 HU, width 1500 HU). Raster images (PNG/JPEG) are assumed to be already windowed and are scaled
from 0-255 to 0-1. A bad input raises :class:`InputDataError` whose message starts with the input's name.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from iasante.core.errors import InputDataError

LUNG_WINDOW_HU = (-1350.0, 150.0)
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}
NIFTI_SUFFIXES = (".nii", ".nii.gz")
MIN_SIDE_PX = 32


@dataclass
class CtSeries:
    """Slices of one input (one file = one slice or one volume; one folder = one series).

    Attributes:
        name: the input as given (path string), used in messages and output rows.
        slices: list of ``(H, W)`` float32 arrays in ``[0, 1]`` (lung window), in anatomical order when known.
        slice_ids: one label per slice (file name, or ``"z=<index>"`` for volumes).
        modality: ``"image"``, ``"dicom"`` or ``"nifti"``.
        meta: a few non-identifying acquisition fields (spacing, manufacturer), never names or IDs.
    """

    name: str
    slices: list[np.ndarray]
    slice_ids: list[str]
    modality: str
    meta: dict[str, str] = field(default_factory=dict)


def window_hu(hu: np.ndarray, window: tuple[float, float] = LUNG_WINDOW_HU) -> np.ndarray:
    """Map Hounsfield units to ``[0, 1]`` with the lung window; shape is kept, dtype float32."""
    low, high = window
    return np.clip((hu.astype(np.float32) - low) / (high - low), 0.0, 1.0)


def _check_slice(name: str, arr: np.ndarray) -> np.ndarray:
    if arr.ndim != 2 or min(arr.shape) < MIN_SIDE_PX:
        raise InputDataError(f"{name}: image of shape {arr.shape} is not a CT slice (need 2-D, >= {MIN_SIDE_PX} px)")
    if float(arr.max() - arr.min()) < 1e-3:
        raise InputDataError(f"{name}: image is blank (constant intensity)")
    return arr


def read_image(path: Path) -> np.ndarray:
    """Read a windowed PNG/JPEG slice as ``(H, W)`` float32 in ``[0, 1]`` (colour -> luminance)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.load()
            arr = np.asarray(img.convert("L"), dtype=np.float32) / 255.0
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise InputDataError(f"{path}: not a readable PNG/JPEG image ({exc})") from exc
    return _check_slice(str(path), arr)


def _read_dicom_dataset(path: Path):  # type: ignore[no-untyped-def]
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        return pydicom.dcmread(path, force=False)
    except (InvalidDicomError, OSError, EOFError, ValueError, KeyError, TypeError) as exc:
        raise InputDataError(f"{path}: not a readable DICOM file ({exc})") from exc


def _dicom_hu(path: Path, ds) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Pixel data of a CT dataset in Hounsfield units, shape ``(rows, cols)`` float32."""
    modality = str(getattr(ds, "Modality", "")).upper()
    if modality and modality != "CT":
        raise InputDataError(f"{path}: DICOM modality is {modality!r}, expected 'CT'")
    if "PixelData" not in ds:
        raise InputDataError(f"{path}: DICOM file has no pixel data")
    try:
        pixels = ds.pixel_array.astype(np.float32)
    except Exception as exc:  # pydicom raises many types for missing codecs or truncated data
        raise InputDataError(f"{path}: cannot decode DICOM pixel data ({exc})") from exc
    if pixels.ndim != 2:
        raise InputDataError(f"{path}: DICOM pixel data of shape {pixels.shape}; expected one 2-D slice")
    slope = float(getattr(ds, "RescaleSlope", 1.0) or 1.0)
    intercept = float(getattr(ds, "RescaleIntercept", 0.0) or 0.0)
    return pixels * slope + intercept


def _dicom_position(ds, fallback: int) -> float:  # type: ignore[no-untyped-def]
    """Sort key along the patient axis: ImagePositionPatient z, else SliceLocation, else InstanceNumber."""
    for getter in (
        lambda: float(ds.ImagePositionPatient[2]),
        lambda: float(ds.SliceLocation),
        lambda: float(ds.InstanceNumber),
    ):
        try:
            return getter()
        except (AttributeError, TypeError, ValueError, IndexError):
            continue
    return float(fallback)


def _dicom_meta(ds) -> dict[str, str]:  # type: ignore[no-untyped-def]
    keys = ("Manufacturer", "SliceThickness", "PixelSpacing", "KVP", "ConvolutionKernel")
    return {k: str(getattr(ds, k)) for k in keys if getattr(ds, k, None) not in (None, "")}


def read_dicom(path: Path) -> CtSeries:
    """Read one DICOM CT file (any transfer syntax pydicom + pylibjpeg decode) as a one-slice series."""
    ds = _read_dicom_dataset(path)
    arr = window_hu(_dicom_hu(path, ds))
    return CtSeries(str(path), [_check_slice(str(path), arr)], [path.name], "dicom", _dicom_meta(ds))


def read_nifti(path: Path) -> CtSeries:
    """Read a NIfTI CT volume (values in HU) as axial slices ``(H, W)``, inferior to superior.

    The volume is reoriented to RAS+ with nibabel, then each axial plane ``(x, y)`` is transposed and
    flipped on both axes so that rows run anterior to posterior and columns patient right to left, as in
    a standard axial DICOM slice (radiological display).
    """
    import nibabel as nib

    try:
        img = nib.as_closest_canonical(nib.load(str(path)))
        vol = np.asarray(img.dataobj, dtype=np.float32)
    except Exception as exc:  # nibabel raises ImageFileError, EOFError, zlib errors, ValueError...
        raise InputDataError(f"{path}: not a readable NIfTI volume ({exc})") from exc
    if vol.ndim == 4 and vol.shape[3] == 1:
        vol = vol[..., 0]
    if vol.ndim == 2:
        vol = vol[..., None]
    if vol.ndim != 3:
        raise InputDataError(f"{path}: NIfTI of shape {vol.shape}; expected a 3-D CT volume")
    if float(vol.min()) > -200.0:
        raise InputDataError(f"{path}: values {vol.min():.0f}..{vol.max():.0f} do not look like CT Hounsfield units")
    slices = [_check_slice(str(path), window_hu(vol[:, :, z].T[::-1, ::-1])) for z in range(vol.shape[2])]
    zooms = img.header.get_zooms()
    return CtSeries(
        str(path),
        slices,
        [f"z={z}" for z in range(vol.shape[2])],
        "nifti",
        {"PixelSpacing": f"{zooms[0]:.3f},{zooms[1]:.3f}", "SliceThickness": f"{zooms[2]:.3f}"},
    )


def _is_dicom_file(path: Path) -> bool:
    if path.suffix.lower() == ".dcm":
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(132)
    except OSError:
        return False
    return len(head) == 132 and head[128:132] == b"DICM"


def _is_image_slice(ds) -> bool:  # type: ignore[no-untyped-def]
    """True for a CT image; False for what exports put beside one (DICOMDIR, reports, other modalities,
    localizer/scout images), which a series folder skips rather than failing on."""
    modality = str(getattr(ds, "Modality", "CT")).upper()
    image_type = [str(v).upper() for v in getattr(ds, "ImageType", [])]
    return "PixelData" in ds and modality == "CT" and "LOCALIZER" not in image_type


def read_folder(path: Path) -> CtSeries:
    """Read a folder as one series: DICOM files sorted by position, or raster slices sorted by name.

    Hidden files, files that are neither DICOM nor images, and DICOM files that are not CT image slices
    (DICOMDIR, reports, localizers) are skipped; a series mixing DICOM and
    raster slices, or one with no readable slice, is refused.
    """
    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    dicoms = [p for p in files if _is_dicom_file(p)]
    images = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
    if dicoms and images:
        raise InputDataError(f"{path}: folder mixes DICOM and PNG/JPEG files; give one series per folder")
    if dicoms:
        items = []
        for index, file in enumerate(dicoms):
            ds = _read_dicom_dataset(file)
            if _is_image_slice(ds):
                items.append((_dicom_position(ds, index), file, ds))
        if not items:
            raise InputDataError(f"{path}: folder has DICOM files but no CT image slice")
        items.sort(key=lambda item: item[0])
        slices = [_check_slice(str(f), window_hu(_dicom_hu(f, ds))) for _, f, ds in items]
        return CtSeries(str(path), slices, [f.name for _, f, _ in items], "dicom", _dicom_meta(items[0][2]))
    if images:
        return CtSeries(str(path), [read_image(p) for p in images], [p.name for p in images], "image")
    raise InputDataError(f"{path}: folder has no DICOM, PNG or JPEG slice")


def load_input(path: str | Path) -> CtSeries:
    """Read any supported input: an image file, a DICOM file, a NIfTI volume or a series folder."""
    p = Path(path)
    if not p.exists():
        raise InputDataError(f"{path}: no such file or folder")
    if p.is_dir():
        return read_folder(p)
    if p.stat().st_size == 0:
        raise InputDataError(f"{path}: file is empty")
    lowered = p.name.lower()
    if lowered.endswith(NIFTI_SUFFIXES):
        return read_nifti(p)
    if p.suffix.lower() in IMAGE_SUFFIXES:
        return CtSeries(str(path), [read_image(p)], [p.name], "image")
    if _is_dicom_file(p):
        return read_dicom(p)
    raise InputDataError(
        f"{path}: unsupported input; give a PNG/JPEG slice, a DICOM file, a NIfTI volume "
        "(.nii/.nii.gz) or a folder holding one series"
    )


def extract_zip(archive: Path, dest: Path, max_files: int = 2000, max_bytes: int = 1 << 30) -> Path:
    """Unpack a zipped series safely (no absolute paths or '..', bounded count and size); returns ``dest``."""
    try:
        with zipfile.ZipFile(archive) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
            if len(members) > max_files or sum(m.file_size for m in members) > max_bytes:
                raise InputDataError(f"{archive.name}: archive too large ({len(members)} files)")
            for member in members:
                target = (dest / member.filename).resolve()
                if not target.is_relative_to(dest.resolve()):
                    raise InputDataError(f"{archive.name}: unsafe path {member.filename!r} in archive")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(zf.read(member))
    except zipfile.BadZipFile as exc:
        raise InputDataError(f"{archive.name}: not a valid ZIP archive ({exc})") from exc
    return dest
