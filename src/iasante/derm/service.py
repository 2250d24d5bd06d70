"""What the CLI and the web pages call: batch prediction, stored analyses, pictures, status and demo.

Imports neither FastAPI nor Typer. Heavy modules (ONNX Runtime, LightGBM, PyTorch for Grad-CAM) load lazily.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from iasante.core import audit
from iasante.core.crypto import pseudonymise
from iasante.core.db import session_scope
from iasante.core.errors import InputDataError, ModelNotReadyError
from iasante.core.files import read_stored, store_upload
from iasante.core.progress import track
from iasante.derm.db import DermAnalysis
from iasante.derm.io import ACCEPTED_SUFFIXES, read_image, read_image_bytes
from iasante.derm.predictor import CONFIG_NAME, WEIGHTS_DIR, Analysis, MelanomaClassifier

MODEL_VERSION = "1.0.0"
DEMO_DIR = Path(__file__).resolve().parent / "demo"
DIAGNOSES = ("akiec", "bcc", "bkl", "df", "mel", "nv", "vasc")
CSV_COLUMNS = ["input", "p_melanoma", "prediction"] + [f"p_{d}" for d in DIAGNOSES]
DIAGNOSIS_NAMES = {
    "akiec": "Actinic keratosis / intraepithelial carcinoma", "bcc": "Basal cell carcinoma",
    "bkl": "Benign keratosis", "df": "Dermatofibroma", "mel": "Melanoma", "nv": "Melanocytic nevus",
    "vasc": "Vascular lesion",
}


@lru_cache(maxsize=1)
def get_classifier() -> MelanomaClassifier:
    """The loaded classifier (once per process); raises ModelNotReadyError without weights."""
    return MelanomaClassifier(WEIGHTS_DIR).load()


def system_status() -> dict[str, str]:
    """``ready`` when the weights load, else ``no_model`` with the reason."""
    try:
        classifier = get_classifier()
    except ModelNotReadyError as exc:
        return {"state": "no_model", "detail": str(exc)}
    test = classifier.config_["metrics"]["ham10000_test"]["auc_melanoma"]
    return {"state": "ready", "detail": f"model {MODEL_VERSION}; melanoma AUC {test[0]:.3f} "
                                        f"(95% CI {test[1]:.3f}-{test[2]:.3f}) on lesion-disjoint HAM10000 test"}


def model_card_metrics() -> dict[str, Any]:
    """The measured metrics written by training (for pages and the benchmark)."""
    config = json.loads((WEIGHTS_DIR / CONFIG_NAME).read_text())
    return dict(config["metrics"])


def expand_inputs(paths: Sequence[str]) -> list[str]:
    """Replace each folder by the JPEG/PNG files it holds (sorted); files are kept as given."""
    out: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out += sorted(str(p) for p in path.iterdir() if p.suffix.lower() in ACCEPTED_SUFFIXES)
        else:
            out.append(raw)
    return out


def _row(name: str, analysis: Analysis) -> dict[str, str]:
    row = {"input": name, "p_melanoma": f"{analysis.p_melanoma:.6f}", "prediction": analysis.prediction}
    row |= {f"p_{d}": f"{analysis.probabilities[d]:.6f}" for d in DIAGNOSES}
    return row


def predict_files(paths: Sequence[str]) -> tuple[list[dict[str, str]], list[str]]:
    """Classify every image; a bad one becomes an ``"<input>: <problem>"`` error and the rest go on.

    Returns:
        (CSV rows with :data:`CSV_COLUMNS`, error lines).
    """
    classifier = get_classifier()
    rows, errors = [], []
    for path in track(expand_inputs(paths), "Classifying images"):
        try:
            rows.append(_row(path, classifier.analyse(read_image(path))))
        except InputDataError as exc:
            errors.append(str(exc))
    return rows, errors


def store_analysis(session: Session, data: bytes, filename: str, *, owner: str, patient_id: str | None = None,
                   ip: str = "", demo: bool = False) -> DermAnalysis:
    """Validate, encrypt and store an upload, classify it and record the analysis (audited)."""
    image = read_image_bytes(data, filename)
    analysis = get_classifier().analyse(image)
    patient = pseudonymise(patient_id) if patient_id else None
    stored = store_upload(session, data, filename, owner=owner, allowed=ACCEPTED_SUFFIXES, patient=patient,
                          content_type="image/png" if filename.lower().endswith(".png") else "image/jpeg", ip=ip)
    row = DermAnalysis(owner=owner, patient=patient, file_id=stored.id, image_name=stored.original_name,
                       p_melanoma=analysis.p_melanoma, prediction=analysis.prediction,
                       probabilities=analysis.probabilities, abcd=analysis.abcd,
                       lesion_found=analysis.lesion_found, model_version=MODEL_VERSION, demo=demo)
    session.add(row)
    session.flush()
    audit.record(session, owner, "create", "derm_analysis", row.id, patient=patient, ip=ip,
                 detail=f"p_melanoma={analysis.p_melanoma:.3f}")
    return row


def get_analysis(session: Session, analysis_id: int, *, actor: str, ip: str = "") -> DermAnalysis:
    """One stored analysis (the read is audited)."""
    return audit.read_audited(session, DermAnalysis, analysis_id, resource="derm_analysis", actor=actor, ip=ip)


def list_analyses(session: Session, limit: int = 50) -> list[DermAnalysis]:
    """Most recent analyses first."""
    return list(session.scalars(select(DermAnalysis).order_by(DermAnalysis.id.desc()).limit(limit)))


def public_view(row: DermAnalysis) -> dict[str, Any]:
    """The fields of an analysis that leave the API (no file id, no owner)."""
    return {"id": row.id, "created_at": row.created_at.isoformat(), "image_name": row.image_name,
            "patient": row.patient, "p_melanoma": row.p_melanoma, "prediction": row.prediction,
            "probabilities": row.probabilities, "abcd": row.abcd, "lesion_found": row.lesion_found,
            "model_version": row.model_version}


def render_figure(analysis: Analysis) -> bytes:
    """PNG: the corrected image with the lesion outline (green) beside the Grad-CAM melanoma heat-map."""
    from matplotlib import colormaps
    from PIL import Image
    from scipy import ndimage as ndi

    from iasante.derm.explain import gradcam_melanoma

    outline = analysis.mask ^ ndi.binary_erosion(analysis.mask, iterations=1)
    left = analysis.clean.copy()
    left[ndi.binary_dilation(outline)] = (0.1, 0.9, 0.2)
    heat = gradcam_melanoma(analysis.net_input, WEIGHTS_DIR, DIAGNOSES.index("mel"))
    crop = analysis.net_input.astype(np.float32) / 255.0
    right = 0.55 * crop + 0.45 * colormaps["jet"](heat)[..., :3]
    right_img = Image.fromarray((right * 255).astype(np.uint8)).resize((200, 150), Image.Resampling.BILINEAR)
    panel = np.concatenate([(left * 255).astype(np.uint8), np.full((150, 6, 3), 255, np.uint8),
                            np.asarray(right_img)], axis=1)
    buffer = io.BytesIO()
    Image.fromarray(panel).resize((812, 300), Image.Resampling.NEAREST).save(buffer, format="PNG")
    return buffer.getvalue()


def analysis_figure(session: Session, analysis_id: int, *, actor: str, ip: str = "") -> bytes:
    """Re-analyse the stored (decrypted) image of an analysis and return its figure PNG."""
    row = get_analysis(session, analysis_id, actor=actor, ip=ip)
    _, data = read_stored(session, row.file_id, actor=actor, ip=ip)
    return render_figure(get_classifier().analyse(read_image_bytes(data, row.image_name)))


def figure_for_file(path: str) -> bytes:
    """Figure PNG for an image on disk (CLI ``--figures``)."""
    return render_figure(get_classifier().analyse(read_image(path)))


def load_demo(owner: str) -> str:
    """Store the shipped demo images as analyses once (idempotent); returns a one-line summary."""
    files = sorted(p for p in DEMO_DIR.iterdir() if p.suffix.lower() in ACCEPTED_SUFFIXES)
    added = 0
    with session_scope() as session:
        present = set(session.scalars(select(DermAnalysis.image_name).where(DermAnalysis.demo.is_(True))))
        for file in files:
            if file.name not in present:
                store_analysis(session, file.read_bytes(), file.name, owner=owner, demo=True)
                added += 1
    return f"{added} demo image(s) analysed, {len(files) - added} already present"

