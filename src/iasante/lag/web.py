"""LAG pages (case list, review page with filters/ideogram/decisions, report, exports) and JSON API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from iasante.core.auth import Principal
from iasante.core.config import get_settings
from iasante.core.errors import InputDataError
from iasante.core.models import Role
from iasante.core.ui import render
from iasante.core.webdeps import DbSession, client_ip, require_roles
from iasante.lag import report, service
from iasante.lag.acmg import CLASSES, SECTION5

router = APIRouter(prefix="/lag", tags=["lag"], include_in_schema=False)
api_router = APIRouter(prefix="/api/lag", tags=["lag"])
Reader = Annotated[Principal, Depends(require_roles(Role.biologist, Role.clinician, Role.data_scientist))]
Reviewer = Annotated[Principal, Depends(require_roles(Role.biologist))]
MAX_ROWS = 300  # rows drawn on the review page at once (filters narrow the rest)


async def _read_upload(upload: UploadFile) -> tuple[bytes, str]:
    limit = get_settings().max_upload_bytes
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise InputDataError(f"upload {upload.filename!r}: larger than {limit} bytes")
    if not data:
        raise InputDataError(f"upload {upload.filename!r}: empty file")
    return data, upload.filename or "upload.txt"


async def _store_and_analyse(request: Request, db: Session, who: Principal, variants: UploadFile, genome: str,
                             name: str, patient_id: str) -> tuple[int, int]:
    """Store an uploaded VCF/BED as a case (committed) and start its analysis job: (case id, job id)."""
    data, filename = await _read_upload(variants)
    case = service.create_case(db, data, filename, owner=who.username, genome=genome, name=name.strip(),
                               patient_id=patient_id.strip() or None, ip=client_ip(request))
    db.commit()
    return case.id, service.start_analysis(case.id, who.username)


def _filters(cls: str, svtype: str, min_score: str, q: str, report_only: str) -> dict[str, object]:
    try:
        score = float(min_score or 0)
    except ValueError as exc:
        raise InputDataError(f"min_score {min_score!r} is not a number") from exc
    return {
        "classes": [cls] if cls else None,
        "svtype": svtype,
        "min_score": score,
        "text": q,
        "report_only": bool(report_only),
    }


@router.get("/", response_class=HTMLResponse)
def index(request: Request, db: DbSession, who: Reader) -> HTMLResponse:
    """Upload form, system status and the case list."""
    return render(request, "lag/index.html", {"status": service.system_status(), "cases": service.list_cases(db)})


@router.post("/cases")
async def create(
    request: Request,
    db: DbSession,
    who: Reviewer,
    variants: Annotated[UploadFile, File()],
    genome: Annotated[str, Form()] = "GRCh37",
    name: Annotated[str, Form()] = "",
    patient_id: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Store the file, start the analysis job, then show the case page (it refreshes until done)."""
    case_id, _job_id = await _store_and_analyse(request, db, who, variants, genome, name, patient_id)
    return RedirectResponse(f"/lag/cases/{case_id}", status_code=303)


@router.post("/calling")
def calling(
    request: Request,
    who: Reviewer,
    reference: Annotated[str, Form()],
    fastq1: Annotated[str, Form()] = "",
    fastq2: Annotated[str, Form()] = "",
    bam: Annotated[str, Form()] = "",
    sample: Annotated[str, Form()] = "",
    genome: Annotated[str, Form()] = "GRCh37",
    patient_id: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Queue the calling workflow on server-side FASTQ/BAM files, then the analysis (job page shows progress)."""
    fastq = [f.strip() for f in (fastq1, fastq2) if f.strip()]
    if fastq and len(fastq) != 2:
        raise InputDataError("calling: give both FASTQ files (R1 and R2) or a BAM")
    job_id = service.start_calling_case(
        who.username,
        reference=reference.strip(),
        fastq=fastq or None,
        bam=bam.strip() or None,
        sample=sample.strip() or None,
        genome=genome,
        patient_id=patient_id.strip() or None,
    )
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: int, db: DbSession, who: Reader) -> HTMLResponse:
    """Review page: ranked variants, filters, ideogram, evidence and decisions."""
    case = service.get_case(db, case_id, actor=who.username, ip=client_ip(request))
    variants = list(case.variants)
    return render(
        request,
        "lag/case.html",
        {
            "case": case,
            "variants": variants,
            "shown": variants[:MAX_ROWS],
            "classes": CLASSES,
            "section5": SECTION5,
            "colours": report.CLASS_COLOURS,
        },
    )


@router.get("/cases/{case_id}/variants", response_class=HTMLResponse)
def variants_fragment(
    request: Request,
    case_id: int,
    db: DbSession,
    who: Reader,
    cls: str = "",
    svtype: str = "",
    min_score: str = "0",
    q: str = "",
    report_only: str = "",
) -> HTMLResponse:
    """The filtered variant table (HTMX fragment)."""
    case = service.get_case(db, case_id, actor=who.username, ip=client_ip(request))
    variants = service.filter_variants(case, **_filters(cls, svtype, min_score, q, report_only))  # type: ignore[arg-type]
    return render(
        request,
        "lag/_variants.html",
        {
            "case": case,
            "variants": variants,
            "shown": variants[:MAX_ROWS],
            "classes": CLASSES,
            "section5": SECTION5,
            "colours": report.CLASS_COLOURS,
        },
    )


@router.post("/variants/{variant_id}/decision", response_class=HTMLResponse)
def decide(
    request: Request,
    variant_id: int,
    db: DbSession,
    who: Reviewer,
    decision_class: Annotated[str, Form()],
    comment: Annotated[str, Form()] = "",
    report_flag: Annotated[str, Form(alias="report")] = "",
    criteria: Annotated[list[str] | None, Form()] = None,
) -> HTMLResponse:
    """Save the biologist's decision (class, comment, report, section 5); returns the refreshed decision cell."""
    v = service.save_decision(
        db,
        variant_id,
        actor=who.username,
        decision_class=decision_class,
        comment=comment,
        report=bool(report_flag),
        criteria=criteria or [],
        ip=client_ip(request),
    )
    return render(request, "lag/_decision.html", {"v": v, "case": v.case, "classes": CLASSES, "section5": SECTION5})


@router.post("/cases/{case_id}/sign")
def sign(request: Request, case_id: int, db: DbSession, who: Reviewer) -> RedirectResponse:
    """Sign the case's report (locks the decisions)."""
    service.sign_case(db, case_id, actor=who.username, ip=client_ip(request))
    return RedirectResponse(f"/lag/cases/{case_id}", status_code=303)


@router.get("/cases/{case_id}/ideogram.svg")
def ideogram(request: Request, case_id: int, db: DbSession, who: Reader) -> Response:
    """Chromosome ideogram with every variant of the case (SVG)."""
    case = service.get_case(db, case_id, actor=who.username, ip=client_ip(request))
    return Response(report.ideogram_svg(case.genome, list(case.variants)), media_type="image/svg+xml")


@router.get("/cases/{case_id}/report.html", response_class=HTMLResponse)
def report_page(request: Request, case_id: int, db: DbSession, who: Reader) -> HTMLResponse:
    """Printable report of the variants chosen for it."""
    case = service.get_case(db, case_id, actor=who.username, ip=client_ip(request))
    return HTMLResponse(report.report_html(case))


@router.get("/cases/{case_id}/report.pdf")
def report_pdf(request: Request, case_id: int, db: DbSession, who: Reader) -> Response:
    """The report as PDF (WeasyPrint)."""
    case = service.get_case(db, case_id, actor=who.username, ip=client_ip(request))
    return Response(
        report.report_pdf(case),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="lag-case-{case_id}.pdf"'},
    )


@router.get("/cases/{case_id}/export.{fmt}")
def export(request: Request, case_id: int, fmt: str, db: DbSession, who: Reader) -> Response:
    """All variants with classes and decisions as TSV or VCF."""
    case = service.get_case(db, case_id, actor=who.username, ip=client_ip(request))
    if fmt == "tsv":
        body, media = report.export_tsv(case), "text/tab-separated-values"
    elif fmt == "vcf":
        body, media = report.export_vcf(case), "text/vcf"
    else:
        raise InputDataError(f"export format {fmt!r}: use tsv or vcf")
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="lag-case-{case_id}.{fmt}"'}
    )


@api_router.get("/status")
def api_status(who: Reader) -> dict[str, str]:
    """Data and model readiness."""
    return service.system_status()


@api_router.get("/cases")
def api_cases(db: DbSession, who: Reader) -> list[dict[str, object]]:
    """Cases, most recent first (no variants)."""
    return [service.public_case(c) for c in service.list_cases(db)]


@api_router.post("/cases")
async def api_create(
    request: Request,
    db: DbSession,
    who: Reviewer,
    variants: Annotated[UploadFile, File()],
    genome: Annotated[str, Form()] = "GRCh37",
    name: Annotated[str, Form()] = "",
    patient_id: Annotated[str, Form()] = "",
) -> dict[str, object]:
    """Upload a VCF/BED and start its analysis; poll ``GET /api/lag/cases/{id}``."""
    case_id, job_id = await _store_and_analyse(request, db, who, variants, genome, name, patient_id)
    return {"id": case_id, "job_id": job_id, "status": "queued"}


@api_router.get("/cases/{case_id}")
def api_case(request: Request, case_id: int, db: DbSession, who: Reader) -> dict[str, object]:
    """A case with its ranked variants, evidence and decisions."""
    case = service.get_case(db, case_id, actor=who.username, ip=client_ip(request))
    return service.public_case(case, with_variants=True)


@api_router.post("/variants/{variant_id}/decision")
def api_decide(
    request: Request, variant_id: int, db: DbSession, who: Reviewer, payload: dict[str, object]
) -> dict[str, object]:
    """Save a decision: ``{"decision_class": ..., "comment": ..., "report": true, "criteria": ["5A"]}``."""
    raw = payload.get("criteria")
    v = service.save_decision(
        db,
        variant_id,
        actor=who.username,
        decision_class=str(payload.get("decision_class", "")),
        comment=str(payload.get("comment", "")),
        report=bool(payload.get("report")),
        criteria=[str(c) for c in raw] if isinstance(raw, list) else [],
        ip=client_ip(request),
    )
    return service.public_variant(v)
