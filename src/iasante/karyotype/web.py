"""Web pages (upload a metaphase -> karyogram + ISCN; biologist corrections) and the JSON API of karyotype."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from iasante.core.auth import Principal
from iasante.core.config import get_settings
from iasante.core.errors import InputDataError
from iasante.core.models import Role
from iasante.core.ui import render
from iasante.core.webdeps import DbSession, client_ip, require_roles
from iasante.karyotype import service
from iasante.karyotype.io import CLASSES

router = APIRouter(prefix="/karyotype", tags=["karyotype"], include_in_schema=False)
api_router = APIRouter(prefix="/api/karyotype", tags=["karyotype"])
Reader = Annotated[Principal, Depends(require_roles(Role.biologist, Role.clinician, Role.data_scientist))]
Biologist = Annotated[Principal, Depends(require_roles(Role.biologist))]


class CorrectionRequest(BaseModel):
    """A biologist's change to one chromosome: new class ("1".."22", "X", "Y", "none") and/or a turn."""

    index: int = Field(ge=0)
    chromosome: str | None = None
    rotate_deg: float = Field(default=0.0, ge=-360.0, le=360.0)


async def _read_upload(upload: UploadFile) -> tuple[bytes, str]:
    limit = get_settings().max_upload_bytes
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise InputDataError(f"upload {upload.filename!r}: larger than {limit} bytes")
    return data, upload.filename or "upload"


@router.get("/", response_class=HTMLResponse)
def index(request: Request, db: DbSession, who: Reader) -> HTMLResponse:
    """Upload form, model status and the latest analyses."""
    return render(
        request,
        "karyotype/index.html",
        {"status": service.system_status(), "analyses": service.list_analyses(db, 50)},
    )


@router.post("/analyses")
async def create(
    request: Request,
    db: DbSession,
    who: Biologist,
    image: Annotated[UploadFile, File()],
    patient_id: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Karyotype an uploaded metaphase, then show its result page."""
    data, name = await _read_upload(image)
    row = service.store_analysis(
        db, data, name, owner=who.username, patient_id=patient_id.strip() or None, ip=client_ip(request)
    )
    return RedirectResponse(f"/karyotype/analyses/{row.id}", status_code=303)


@router.get("/analyses/{analysis_id}", response_class=HTMLResponse)
def result(request: Request, analysis_id: int, db: DbSession, who: Reader) -> HTMLResponse:
    """ISCN, karyogram, per-chromosome table with correction forms, and the correction history."""
    row = service.get_analysis(db, analysis_id, actor=who.username, ip=client_ip(request))
    return render(
        request,
        "karyotype/result.html",
        {
            "row": row,
            "classes": CLASSES,
            "corrections": service.list_corrections(db, analysis_id),
            "can_correct": who.role in (Role.biologist, Role.admin),
        },
    )


@router.post("/analyses/{analysis_id}/corrections")
def correct(
    request: Request,
    analysis_id: int,
    db: DbSession,
    who: Biologist,
    index: Annotated[int, Form()],
    chromosome: Annotated[str, Form()] = "",
    rotate_deg: Annotated[float, Form()] = 0.0,
) -> RedirectResponse:
    """Save one correction (class and/or rotation) from the result page's form, then show the page again."""
    service.correct_chromosome(
        db,
        analysis_id,
        index,
        actor=who.username,
        chromosome=chromosome or None,
        rotate_deg=rotate_deg,
        ip=client_ip(request),
    )
    return RedirectResponse(f"/karyotype/analyses/{analysis_id}", status_code=303)


@router.get("/analyses/{analysis_id}/karyogram.png")
def karyogram(request: Request, analysis_id: int, db: DbSession, who: Reader) -> Response:
    """Karyogram PNG in the standard layout, corrections applied."""
    png = service.analysis_karyogram(db, analysis_id, actor=who.username, ip=client_ip(request))
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, no-store"})


@api_router.post("/analyses")
async def api_create(
    request: Request,
    db: DbSession,
    who: Biologist,
    image: Annotated[UploadFile, File()],
    patient_id: Annotated[str, Form()] = "",
) -> dict[str, object]:
    """Karyotype an uploaded metaphase; returns the stored analysis as JSON."""
    data, name = await _read_upload(image)
    row = service.store_analysis(
        db, data, name, owner=who.username, patient_id=patient_id.strip() or None, ip=client_ip(request)
    )
    return service.public_view(row)


@api_router.get("/analyses/{analysis_id}")
def api_get(request: Request, analysis_id: int, db: DbSession, who: Reader) -> dict[str, object]:
    """One stored analysis as JSON."""
    return service.public_view(service.get_analysis(db, analysis_id, actor=who.username, ip=client_ip(request)))


@api_router.post("/analyses/{analysis_id}/corrections")
def api_correct(
    request: Request, analysis_id: int, body: CorrectionRequest, db: DbSession, who: Biologist
) -> dict[str, object]:
    """Apply one correction; returns the updated analysis (new ISCN included)."""
    row = service.correct_chromosome(
        db,
        analysis_id,
        body.index,
        actor=who.username,
        chromosome=body.chromosome,
        rotate_deg=body.rotate_deg,
        ip=client_ip(request),
    )
    return service.public_view(row)


@api_router.get("/status")
def api_status(who: Reader) -> dict[str, str]:
    """Model readiness."""
    return service.system_status()
