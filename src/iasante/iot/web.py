"""Web pages (ward list, live patient page, alert acknowledgement, dead letters) and the JSON API of iot."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from iasante.core.auth import Principal
from iasante.core.errors import InputDataError
from iasante.core.models import Role
from iasante.core.ui import render
from iasante.core.webdeps import DbSession, require_roles
from iasante.iot import service

router = APIRouter(prefix="/iot", tags=["iot"], include_in_schema=False)
api_router = APIRouter(prefix="/api/iot", tags=["iot"])
_reader = cast(Callable[[Request], Awaitable[Principal]], require_roles(Role.clinician, Role.data_scientist))
Reader = Annotated[Principal, Depends(_reader)]
Carer = Annotated[Principal, Depends(require_roles(Role.clinician))]
MAX_PAYLOAD_BYTES = 1_000_000


async def _device_or_reader(request: Request, device_id: str, db: DbSession) -> Principal:
    """A device with its own token (``Authorization: Bearer <device password>``, no session, no CSRF needed), else
    a logged-in clinician or data scientist (session + CSRF)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        ip = request.client.host if request.client else ""
        return service.authenticate_device(db, device_id, token.strip(), ip)
    return await _reader(request)


DeviceOrReader = Annotated[Principal, Depends(_device_or_reader)]


def _who(request: Request, who: Principal) -> Principal:
    """The principal with the request's IP (for the audit log)."""
    ip = request.client.host if request.client else ""
    return Principal(who.username, who.role, ip, who.session_id, who.csrf_token)


# ---------------------------------------------------------------- pages
@router.get("/", response_class=HTMLResponse)
def ward(request: Request, db: DbSession, who: Reader) -> HTMLResponse:
    """Ward list sorted by risk; the rows refresh every 5 s (HTMX polling)."""
    rows = service.ward_list(db, _who(request, who))
    return render(request, "iot/ward.html", {"rows": rows, "status": service.system_status()})


@router.get("/ward-rows", response_class=HTMLResponse)
def ward_rows(request: Request, db: DbSession, who: Reader) -> HTMLResponse:
    """The ward table body only (polled by the ward page)."""
    return render(request, "iot/_ward_rows.html", {"rows": service.ward_list(db, _who(request, who))})


@router.get("/patients/{pseudo}", response_class=HTMLResponse)
def patient(request: Request, pseudo: str, db: DbSession, who: Reader) -> HTMLResponse:
    """Live patient page: plots with baseline band and alert markers, alerts to acknowledge, NEWS2 history."""
    view = service.patient_view(db, _who(request, who), pseudo)
    return render(request, "iot/patient.html", {**view, "now": datetime.now(UTC).timestamp()})


@router.get("/patients/{pseudo}/live", response_class=HTMLResponse)
def patient_live(request: Request, pseudo: str, db: DbSession, who: Reader) -> HTMLResponse:
    """The live part of the patient page (polled every 10 s)."""
    view = service.patient_view(db, _who(request, who), pseudo)
    return render(request, "iot/_patient_live.html", {**view, "now": datetime.now(UTC).timestamp()})


@router.get("/patients/{pseudo}/plot.svg")
def patient_plot(request: Request, pseudo: str, db: DbSession, who: Reader) -> Response:
    """Heart rate, SpO2, temperature and steps with personal baseline band and alert markers (SVG)."""
    from iasante.iot.plots import render_patient_svg

    view = service.patient_view(db, _who(request, who), pseudo)
    bands = service.baseline_bands(db, view["patient"], view["since"])
    svg = render_patient_svg(view["series"], bands, view["alerts"], title=view["patient"].label)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@router.post("/alerts/{alert_id}/ack", response_class=HTMLResponse)
def acknowledge_page(request: Request, alert_id: int, db: DbSession, who: Carer) -> Response:
    """Acknowledge an alert (audited); HTMX gets the updated row, a plain form goes back to the patient."""
    alert = service.acknowledge(db, _who(request, who), alert_id)
    if request.headers.get("hx-request"):
        return render(request, "iot/_alert_row.html", {"alert": alert})
    patient = service.patient_of_alert(db, alert)
    return RedirectResponse(f"/iot/patients/{patient.pseudo}", status_code=303)


@router.get("/dead-letters", response_class=HTMLResponse)
def dead_letter_page(request: Request, db: DbSession, who: Reader) -> HTMLResponse:
    """Rejected messages with their reason (nothing is dropped silently)."""
    return render(request, "iot/dead_letters.html", {"rows": service.dead_letters(db, _who(request, who))})


# ---------------------------------------------------------------- JSON API
class VitalsIn(BaseModel):
    """One vital set for NEWS2 (units: /min, %, mmHg, bpm, °C)."""

    resp_rate: float
    spo2: float
    spo2_scale: int = Field(1, description="1, or 2 if prescribed for hypercapnic respiratory failure")
    on_oxygen: bool = False
    systolic_bp: float
    pulse: float
    consciousness: str = Field("A", description="A, C, V, P or U")
    temperature: float


@api_router.post("/news2")
def news2_api(vitals: VitalsIn, who: Reader) -> dict[str, Any]:
    """NEWS2 (RCP 2017) of one vital set, with the score of each parameter."""
    from iasante.iot.news2 import parameter_scores, score_news2
    from iasante.iot.scoring import parse_vital_row

    parsed = parse_vital_row({k: str(int(v) if isinstance(v, bool) else v) for k, v in vitals.model_dump().items()})
    total, risk = score_news2(parsed)
    return {"news2": total, "risk": risk, "parameters": parameter_scores(parsed)}


@api_router.post("/devices/{device_id}/readings")
async def post_readings(request: Request, device_id: str, db: DbSession, who: DeviceOrReader) -> JSONResponse:
    """Ingest a JSON or FHIR R4 payload for a registered device (same rules as MQTT); 422 if rejected.

    Devices authenticate with their own token and may post only to their own id; staff use their session.
    """
    body = await request.body()
    if len(body) > MAX_PAYLOAD_BYTES:
        raise InputDataError(f"payload larger than {MAX_PAYLOAD_BYTES} bytes")
    kind = "fhir" if "fhir" in request.headers.get("content-type", "") else "readings"
    result = service.ingest_payload(db, _who(request, who), device_id, body, kind=kind)
    if result["dead"]:
        db.commit()  # keep the dead letter although the answer is an error
        return JSONResponse({**result, "detail": service.last_dead_reason(db)}, status_code=422)
    return JSONResponse(result, status_code=201 if result["stored"] else 200)


@api_router.get("/ward")
def ward_api(request: Request, db: DbSession, who: Reader) -> list[dict[str, Any]]:
    """The ward list as JSON (highest risk first)."""
    rows = service.ward_list(db, _who(request, who))
    return [{**r, "last_reading": r["last_reading"].isoformat() if r["last_reading"] else None} for r in rows]


@api_router.get("/patients/{pseudo}/alerts")
def alerts_api(request: Request, pseudo: str, db: DbSession, who: Reader) -> list[dict[str, Any]]:
    """Alerts of one patient, newest first."""
    view = service.patient_view(db, _who(request, who), pseudo)
    return [service.alert_public(a) for a in view["alerts"]]


@api_router.post("/alerts/{alert_id}/ack")
def acknowledge_api(request: Request, alert_id: int, db: DbSession, who: Carer) -> dict[str, Any]:
    """Acknowledge an alert (audited)."""
    return service.alert_public(service.acknowledge(db, _who(request, who), alert_id))
