"""Web pages (upload -> result with probability, Grad-CAM, outline, ABCD) and the JSON API of derm."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from iasante.core.auth import Principal
from iasante.core.errors import InputDataError
from iasante.core.models import Role
from iasante.core.ui import render
from iasante.core.webdeps import DbSession, client_ip, require_roles
from iasante.derm import service

router = APIRouter(prefix="/derm", tags=["derm"], include_in_schema=False)
api_router = APIRouter(prefix="/api/derm", tags=["derm"])
Reader = Annotated[Principal, Depends(require_roles(Role.clinician, Role.data_scientist))]


async def _read_upload(upload: UploadFile) -> tuple[bytes, str]:
    from iasante.core.config import get_settings

    limit = get_settings().max_upload_bytes
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise InputDataError(f"upload {upload.filename!r}: larger than {limit} bytes")
    return data, upload.filename or "upload"


@router.get("/", response_class=HTMLResponse)
def index(request: Request, db: DbSession, who: Reader) -> HTMLResponse:
    """Upload form, model status and the latest analyses."""
    return render(request, "derm/index.html", {"status": service.system_status(),
                                                "analyses": service.list_analyses(db, 50)})


@router.post("/analyses")
async def create(request: Request, db: DbSession, who: Reader, image: Annotated[UploadFile, File()],
                 patient_id: Annotated[str, Form()] = "") -> RedirectResponse:
    """Analyse an uploaded image, then show its result page."""
    data, name = await _read_upload(image)
    row = service.store_analysis(db, data, name, owner=who.username, patient_id=patient_id.strip() or None,
                                 ip=client_ip(request))
    return RedirectResponse(f"/derm/analyses/{row.id}", status_code=303)


@router.get("/analyses/{analysis_id}", response_class=HTMLResponse)
def result(request: Request, analysis_id: int, db: DbSession, who: Reader) -> HTMLResponse:
    """Probability, decision, seven-class table, figure and ABCD values of one analysis."""
    row = service.get_analysis(db, analysis_id, actor=who.username, ip=client_ip(request))
    probabilities = sorted(row.probabilities.items(), key=lambda item: -item[1])
    return render(request, "derm/result.html", {
        "row": row, "probabilities": probabilities, "names": service.DIAGNOSIS_NAMES,
        "threshold": service.get_classifier().threshold,
        "target_sensitivity": service.get_classifier().config_["target_sensitivity_val"]})


@router.get("/analyses/{analysis_id}/figure.png")
def figure(request: Request, analysis_id: int, db: DbSession, who: Reader) -> Response:
    """Lesion outline beside the Grad-CAM heat-map of the melanoma score (PNG)."""
    png = service.analysis_figure(db, analysis_id, actor=who.username, ip=client_ip(request))
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=600"})


@api_router.post("/analyses")
async def api_create(request: Request, db: DbSession, who: Reader, image: Annotated[UploadFile, File()],
                     patient_id: Annotated[str, Form()] = "") -> dict[str, object]:
    """Analyse an uploaded image; returns the stored analysis as JSON."""
    data, name = await _read_upload(image)
    row = service.store_analysis(db, data, name, owner=who.username, patient_id=patient_id.strip() or None,
                                 ip=client_ip(request))
    return service.public_view(row)


@api_router.get("/analyses/{analysis_id}")
def api_get(request: Request, analysis_id: int, db: DbSession, who: Reader) -> dict[str, object]:
    """One stored analysis as JSON."""
    return service.public_view(service.get_analysis(db, analysis_id, actor=who.username, ip=client_ip(request)))


@api_router.get("/status")
def api_status(who: Reader) -> dict[str, str]:
    """Model readiness."""
    return service.system_status()
