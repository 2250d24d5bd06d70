"""What the CLI and the web pages call: batch prediction, stored studies run as jobs, heat-maps, demo.

Imports neither FastAPI nor Typer; PyTorch loads only when a model is first needed.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from iasante.core import audit, crypto, jobs
from iasante.core.config import get_settings
from iasante.core.crypto import pseudonymise
from iasante.core.db import session_scope
from iasante.core.errors import IASanteError, InputDataError, ModelNotReadyError, NotFoundError
from iasante.core.files import read_stored, store_upload
from iasante.core.progress import track
from iasante.ct.db import CtStudy
from iasante.ct.io import extract_zip, load_input
from iasante.ct.model import WEIGHTS_DIR, TriageConfig

CSV_COLUMNS = ["input", "p_abnormal", "p_covid", "prediction"]
UPLOAD_SUFFIXES = (".png", ".jpg", ".jpeg", ".dcm", ".zip", ".nii", ".gz")
DEMO_DIR = Path(__file__).resolve().parent / "demo"
JOB_TARGET = "iasante.ct.service:predict_job"
N_HEATMAPS = 3


def system_status() -> dict[str, str]:
    """``ready`` when the weights load, else ``no_model`` with the reason."""
    from iasante.ct.predict import load

    try:
        model = load()
    except ModelNotReadyError as exc:
        return {"state": "no_model", "detail": str(exc)}
    return {
        "state": "ready",
        "detail": f"ScanCovid-IA {model.config_.version}: {model.config_.n_members} CNNs per stage "
        f"({model.config_.crop} crops){' + texture model' if model.texture_ is not None else ''}, "
        f"{model.config_.input_size_px} px lung-window slices",
    }


def model_version() -> str:
    return TriageConfig.load(WEIGHTS_DIR / "config.json").version if (WEIGHTS_DIR / "config.json").exists() else "?"


def predict_paths(paths: Sequence[str], heatmaps_dir: Path | None = None) -> tuple[list[dict[str, object]], list[str]]:
    """One contract row per path (image, DICOM file, NIfTI or series folder); bad inputs become error lines.

    With ``heatmaps_dir``, Grad-CAM PNGs of the slices that drove each call are written there.
    """
    from iasante.ct.predict import load

    model = load()
    rows: list[dict[str, object]] = []
    errors: list[str] = []
    for index, path in enumerate(track(list(paths), "Scoring CT inputs")):
        try:
            series = load_input(path)
            result = model.predict_series(series)
        except InputDataError as exc:
            errors.append(str(exc))
            continue
        rows.append(result.row())
        if heatmaps_dir is not None:
            stem = f"{index:03d}_{Path(path.rstrip('/')).name.replace('.', '_')}"
            for k, png in enumerate(heatmaps(model, series, result)):
                heatmaps_dir.mkdir(parents=True, exist_ok=True)
                (heatmaps_dir / f"{stem}_gradcam{k}.png").write_bytes(png)
    return rows, errors


def heatmaps(model: Any, series: Any, result: Any, n: int = N_HEATMAPS) -> list[bytes]:
    """Grad-CAM overlays (PNG bytes) of up to ``n`` driver slices, for the head that decided the call."""
    from iasante.ct.explain import gradcam, render_overlay

    head = "covid" if result.prediction == "covid" else "abnormal"
    out = []
    for i in result.drivers[:n]:
        x = model.input_of(series.slices[i])
        title = (
            f"{series.slice_ids[i][-22:]}  abn {result.slice_p_abnormal[i]:.2f}  "
            f"covid {result.slice_p_covid[i]:.2f}  [{head}]"
        )
        heat, view = gradcam(model, x, head)
        out.append(render_overlay(view, heat, title))
    return out



def create_study(
    session: Session,
    data: bytes,
    filename: str,
    *,
    owner: str,
    patient_id: str | None = None,
    ip: str = "",
    demo: bool = False,
) -> CtStudy:
    """Validate and store an upload (encrypted) and record a queued study (audited); see :func:`submit`."""
    patient = pseudonymise(patient_id) if patient_id else None
    stored = store_upload(session, data, filename, owner=owner, allowed=UPLOAD_SUFFIXES, patient=patient, ip=ip)
    study = CtStudy(
        owner=owner,
        patient=patient,
        file_id=stored.id,
        input_name=stored.original_name,
        status="queued",
        demo=demo,
    )
    session.add(study)
    session.flush()
    audit.record(session, owner, "create", "ct_study", study.id, patient=patient, ip=ip, detail=stored.original_name)
    return study


def submit(study_id: int, owner: str, in_process: bool = False) -> int:
    """Start the prediction job of a study (on Dask, or here when ``in_process``); returns the job id."""
    params = {"study_id": study_id}
    if in_process:
        job_id = jobs.run_now("ct.predict", JOB_TARGET, params, owner=owner).id
    else:
        job_id = jobs.submit("ct.predict", JOB_TARGET, params, owner=owner, timeout_s=600)
    with session_scope() as session:
        study = session.get(CtStudy, study_id)
        if study is not None and study.job_id is None:
            study.job_id = job_id
    return job_id


def _materialise(name: str, data: bytes, folder: Path) -> Path:
    """Write the decrypted upload to ``folder``; a ZIP becomes a series folder."""
    if name.lower().endswith(".zip"):
        (folder / "upload.zip").write_bytes(data)
        series = extract_zip(folder / "upload.zip", folder / "series")
        (folder / "upload.zip").unlink()
        return series
    path = folder / name
    path.write_bytes(data)
    return path


def _heatmap_path(study_id: int, k: int) -> Path:
    return get_settings().files_dir / "ct" / f"{study_id}-{k}.bin"


def predict_job(ctx: jobs.JobContext, study_id: int) -> dict[str, Any]:
    """Job target: decrypt the study's upload, score it, store probabilities, slice table and heat-maps."""
    from iasante.ct.predict import load

    with session_scope() as session:
        study = session.get(CtStudy, study_id)
        if study is None or study.file_id is None:
            raise NotFoundError(f"ct study {study_id} not found")
        _, data = read_stored(session, study.file_id, actor=study.owner)
        name, study.status = study.input_name, "running"
    ctx.progress(0.1, "reading")
    try:
        with tempfile.TemporaryDirectory(prefix="ct_job_") as tmp:
            series = load_input(_materialise(name, data, Path(tmp)))
            series.name = name
            ctx.progress(0.3, f"scoring {len(series.slices)} slice(s)")
            model = load()
            result = model.predict_series(series)
            ctx.progress(0.7, "Grad-CAM")
            pngs = heatmaps(model, series, result)
    except IASanteError as exc:
        with session_scope() as session:
            study = session.get(CtStudy, study_id)
            study.status, study.error = "failed", str(exc)  # type: ignore[union-attr]
        raise
    for k, png in enumerate(pngs):
        path = _heatmap_path(study_id, k)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(crypto.encrypt(png, associated=f"ct-{study_id}-{k}".encode()))
    summary = {
        "slice_ids": result.slice_ids,
        "slice_p_abnormal": result.slice_p_abnormal,
        "slice_p_covid": result.slice_p_covid,
        "drivers": result.drivers[:N_HEATMAPS],
        "n_heatmaps": len(pngs),
        "modality": series.modality,
        "meta": series.meta,
    }
    with session_scope() as session:
        study = session.get(CtStudy, study_id)
        assert study is not None
        study.status, study.n_slices, study.result = "succeeded", len(series.slices), summary
        study.p_abnormal, study.p_covid, study.prediction = (
            result.p_abnormal,
            result.p_covid,
            result.prediction,
        )
        study.model_version = model.config_.version
        audit.record(
            session,
            study.owner,
            "update",
            "ct_study",
            study_id,
            patient=study.patient,
            detail=f"prediction={result.prediction}",
        )
    ctx.progress(1.0, "done")
    return {"study_id": study_id, **result.row()}


def get_study(session: Session, study_id: int, *, actor: str, ip: str = "") -> CtStudy:
    """One stored study (the read is audited)."""
    return audit.read_audited(session, CtStudy, study_id, resource="ct_study", actor=actor, ip=ip)


def list_studies(session: Session, limit: int = 50) -> list[CtStudy]:
    """Most recent studies first."""
    return list(session.scalars(select(CtStudy).order_by(CtStudy.id.desc()).limit(limit)))


def read_heatmap(session: Session, study_id: int, k: int, *, actor: str, ip: str = "") -> bytes:
    """Decrypt heat-map ``k`` of a study (audited read)."""
    study = get_study(session, study_id, actor=actor, ip=ip)
    path = _heatmap_path(study.id, k)
    if not path.exists():
        raise NotFoundError(f"ct study {study_id}: no heat-map {k}")
    return crypto.decrypt(path.read_bytes(), associated=f"ct-{study_id}-{k}".encode())


def public_view(study: CtStudy) -> dict[str, Any]:
    """The fields of a study that leave the API (no file id, no owner)."""
    return {
        "id": study.id,
        "created_at": study.created_at.isoformat(),
        "input_name": study.input_name,
        "patient": study.patient,
        "status": study.status,
        "error": study.error,
        "n_slices": study.n_slices,
        "p_abnormal": study.p_abnormal,
        "p_covid": study.p_covid,
        "prediction": study.prediction,
        "model_version": study.model_version,
        "job_id": study.job_id,
        "result": study.result,
    }


def _zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        for file in sorted(folder.iterdir()):
            zf.write(file, file.name)
    return buffer.getvalue()


def demo_inputs() -> list[tuple[str, bytes]]:
    """The shipped demo: each slice PNG as is, each series folder zipped."""
    items = []
    for entry in sorted(DEMO_DIR.iterdir()):
        if entry.is_dir():
            items.append((f"{entry.name}.zip", _zip_folder(entry)))
        elif entry.suffix.lower() in (".png", ".jpg", ".jpeg", ".dcm"):
            items.append((entry.name, entry.read_bytes()))
    return items


def load_demo(owner: str) -> str:
    """Store and analyse the shipped demo studies once (idempotent); returns a one-line summary."""
    added: list[int] = []
    with session_scope() as session:
        present = set(session.scalars(select(CtStudy.input_name).where(CtStudy.demo.is_(True))))
        for name, data in demo_inputs():
            if name not in present:
                added.append(
                    create_study(session, data, name, owner=owner, patient_id=f"DEMO-{Path(name).stem}", demo=True).id
                )
    for study_id in added:
        submit(study_id, owner, in_process=True)
    with session_scope() as session:
        calls = [
            f"{s.input_name}={s.prediction or s.status}"
            for s in session.scalars(select(CtStudy).where(CtStudy.demo.is_(True)).order_by(CtStudy.id))
        ]
    return f"{len(added)} demo stud{'y' if len(added) == 1 else 'ies'} analysed; " + ", ".join(calls)


def render_slice_profile(study: CtStudy) -> bytes:
    """PNG of the study's per-slice probabilities (refused until its job has succeeded)."""
    from iasante.ct.explain import render_slice_profile as _render

    if not study.result:
        raise NotFoundError(f"ct study {study.id}: no result yet (status {study.status})")
    r = study.result
    return _render(r["slice_p_abnormal"], r["slice_p_covid"], r["drivers"])
