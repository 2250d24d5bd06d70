"""Web pages (upload a slice or zipped series -> job -> call, probabilities, heat-maps) and API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from iasante.core.auth import Principal
from iasante.core.config import get_settings
from iasante.core.errors import InputDataError
from iasante.core.models import Role
from iasante.core.ui import render
from iasante.core.webdeps import DbSession, client_ip, require_roles
from iasante.ct import service

router = APIRouter(prefix="/ct", tags=["ct"], include_in_schema=False)
api_router = APIRouter(prefix="/api/ct", tags=["ct"])
Reader = Annotated[Principal, Depends(require_roles(Role.clinician, Role.data_scientist))]
Uploader = Annotated[Principal, Depends(require_roles(Role.clinician))]
_PNG_HEADERS = {"Cache-Control": "private, max-age=600"}


async def _read_upload(upload: UploadFile) -> tuple[bytes, str]:
    limit = get_settings().max_upload_bytes
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise InputDataError(f"upload {upload.filename!r}: larger than {limit} bytes")
    return data, upload.filename or "upload"


async def _create(request: Request, db: DbSession, who: Principal, upload: UploadFile, patient_id: str) -> int:
    data, name = await _read_upload(upload)
    study = service.create_study(
        db, data, name, owner=who.username, patient_id=patient_id.strip() or None, ip=client_ip(request)
    )
    db.commit()  # the job reads the study from its own session
    service.submit(study.id, who.username)
    return study.id


@router.get("/", response_class=HTMLResponse)
def index(request: Request, db: DbSession, who: Reader) -> HTMLResponse:
    """Upload form, model status and the latest studies."""
    return render(
        request, "ct/index.html", {"status": service.system_status(), "studies": service.list_studies(db, 50)}
    )


@router.post("/studies")
async def create(
    request: Request,
    db: DbSession,
    who: Uploader,
    scan: Annotated[UploadFile, File()],
    patient_id: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Store an uploaded slice or zipped series and start its job, then show the study page."""
    study_id = await _create(request, db, who, scan, patient_id)
    return RedirectResponse(f"/ct/studies/{study_id}", status_code=303)


@router.get("/studies/{study_id}", response_class=HTMLResponse)
def result(request: Request, study_id: int, db: DbSession, who: Reader) -> HTMLResponse:
    """The call, probabilities, slice profile and Grad-CAM heat-maps (polls while the job runs)."""
    study = service.get_study(db, study_id, actor=who.username, ip=client_ip(request))
    drivers = []
    if study.result:
        r = study.result
        drivers = [
            (k, r["slice_ids"][i], r["slice_p_abnormal"][i], r["slice_p_covid"][i]) for k, i in enumerate(r["drivers"])
        ]
    return render(request, "ct/result.html", {"study": study, "drivers": drivers})


@router.get("/studies/{study_id}/heatmap/{k}.png")
def heatmap(request: Request, study_id: int, k: int, db: DbSession, who: Reader) -> Response:
    """Grad-CAM overlay of driver slice ``k`` (PNG)."""
    png = service.read_heatmap(db, study_id, k, actor=who.username, ip=client_ip(request))
    return Response(png, media_type="image/png", headers=_PNG_HEADERS)


@router.get("/studies/{study_id}/slices.png")
def slice_profile(request: Request, study_id: int, db: DbSession, who: Reader) -> Response:
    """Per-slice probabilities along the series, driver slices marked (PNG)."""
    study = service.get_study(db, study_id, actor=who.username, ip=client_ip(request))
    return Response(service.render_slice_profile(study), media_type="image/png", headers=_PNG_HEADERS)


@api_router.post("/studies")
async def api_create(
    request: Request,
    db: DbSession,
    who: Uploader,
    scan: Annotated[UploadFile, File()],
    patient_id: Annotated[str, Form()] = "",
) -> dict[str, object]:
    """Store an upload and start its job; returns the study (poll ``GET /api/ct/studies/{id}``)."""
    study_id = await _create(request, db, who, scan, patient_id)
    return service.public_view(service.get_study(db, study_id, actor=who.username, ip=client_ip(request)))


@api_router.get("/studies/{study_id}")
def api_get(request: Request, study_id: int, db: DbSession, who: Reader) -> dict[str, object]:
    """One study as JSON (status, probabilities, per-slice scores once done)."""
    return service.public_view(service.get_study(db, study_id, actor=who.username, ip=client_ip(request)))


@api_router.get("/status")
def api_status(who: Reader) -> dict[str, str]:
    """Model readiness."""
    return service.system_status()
