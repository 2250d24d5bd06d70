"""Web pages (score compounds, repositioning screen, docking with a 3-D viewer, lead finding) and JSON API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from iasante.core.auth import Principal
from iasante.core.errors import InputDataError, NotFoundError
from iasante.core.models import Role
from iasante.core.ui import render
from iasante.core.webdeps import client_ip, require_roles
from iasante.drugs import chem, service

router = APIRouter(prefix="/drugs", tags=["drugs"], include_in_schema=False)
api_router = APIRouter(prefix="/api/drugs", tags=["drugs"])
User = Annotated[Principal, Depends(require_roles(Role.clinician, Role.biologist, Role.data_scientist))]
STATIC = Path(__file__).resolve().parent / "static"
ASSETS = Path(__file__).resolve().parent / "weights"
MAX_COMPOUNDS = 500


class PredictRequest(BaseModel):
    """Compounds to score: SMILES strings (at most 500 per call)."""

    smiles: list[str] = Field(min_length=1, max_length=MAX_COMPOUNDS)


class CompoundPrediction(BaseModel):
    smiles: str
    smiles_std: str | None = None
    pIC50_pred: float | None = None
    pIC50_low: float | None = None
    pIC50_high: float | None = None
    in_domain: bool | None = None
    error: str | None = None


class DockRequest(BaseModel):
    smiles: str = Field(min_length=1, max_length=2000)
    name: str = Field(default="", max_length=255)


def _lines(text: str) -> list[str]:
    items = [line.strip() for line in text.splitlines() if line.strip()]
    if not items:
        raise InputDataError("smiles: enter at least one SMILES, one per line")
    if len(items) > MAX_COMPOUNDS:
        raise InputDataError(f"smiles: {len(items)} compounds, at most {MAX_COMPOUNDS} per request")
    return items


def _predict(smiles: list[str]) -> list[dict[str, object]]:
    from iasante.drugs.scoring import score_smiles

    table, errors = score_smiles(smiles)
    out: list[dict[str, object]] = [{"smiles": s} for s in smiles]
    for i, message in errors:
        out[i]["error"] = message
    for i, row in json.loads(table.to_json(orient="index")).items():  # plain JSON types, no numpy scalars
        out[int(i)].update(row)
    return out


@router.get("/", response_class=HTMLResponse)
def index(request: Request, who: User) -> HTMLResponse:
    """Status, forms (score, screen, dock) and the latest screens and docking runs."""
    screens, dockings = service.list_recent()
    return render(request, "drugs/index.html", {"status": service.system_status(), "screens": screens,
                                                "dockings": dockings})


@router.post("/predict", response_class=HTMLResponse)
def predict_page(request: Request, who: User, smiles: Annotated[str, Form()]) -> HTMLResponse:
    """Score pasted SMILES; invalid lines are listed with their error, the others scored."""
    return render(request, "drugs/predict.html", {"rows": _predict(_lines(smiles))})


@router.post("/screens")
def create_screen(who: User) -> RedirectResponse:
    """Screen the approved-drug library as a background job."""
    screen_id = service.submit_screen(who.username)
    return RedirectResponse(f"/drugs/screens/{screen_id}", status_code=303)


@router.get("/screens/{screen_id}", response_class=HTMLResponse)
def screen_page(request: Request, screen_id: int, who: User) -> HTMLResponse:
    row = service.get_screen(screen_id, who.username, client_ip(request))
    return render(request, "drugs/screen.html", {"screen": row})


@router.post("/dockings")
def create_docking(who: User, smiles: Annotated[str, Form()], name: Annotated[str, Form()] = ""
                   ) -> RedirectResponse:
    """Dock one ligand as a background job, then show its page (which refreshes until done)."""
    docking_id = service.submit_docking(who.username, smiles.strip(), name.strip())
    return RedirectResponse(f"/drugs/dockings/{docking_id}", status_code=303)


@router.get("/dockings/{docking_id}", response_class=HTMLResponse)
def docking_page(request: Request, docking_id: int, who: User) -> HTMLResponse:
    row = service.get_docking(docking_id, who.username, client_ip(request))
    return render(request, "drugs/docking.html", {"docking": row})


@router.get("/dockings/{docking_id}/poses.sdf")
def docking_sdf(request: Request, docking_id: int, who: User) -> PlainTextResponse:
    row = service.get_docking(docking_id, who.username, client_ip(request))
    if not row.sdf:
        raise NotFoundError(f"docking run {docking_id} has no poses yet")
    return PlainTextResponse(row.sdf, media_type="chemical/x-mdl-sdfile")


@router.get("/leads", response_class=HTMLResponse)
def leads_page(request: Request, who: User, hit: Annotated[str, Query(max_length=2000)] = "") -> HTMLResponse:
    """Series of Moonshot actives; with ``hit``, analogues of that hit scored by the model."""
    from iasante.drugs.leads import cluster_actives, propose_analogues

    analogues = propose_analogues(hit).to_dict("records") if hit else []
    return render(request, "drugs/leads.html", {"series": cluster_actives().to_dict("records"),
                                                "hit": hit, "analogues": analogues})


@router.get("/svg")
def svg(who: User, smiles: Annotated[str, Query(min_length=1, max_length=2000)]) -> Response:
    """2-D structure of a SMILES (RDKit SVG)."""
    return Response(chem.to_svg(chem.parse_smiles(smiles)), media_type="image/svg+xml",
                    headers={"Cache-Control": "private, max-age=3600"})


@router.get("/receptor.pdb")
def receptor(who: User) -> FileResponse:
    return FileResponse(ASSETS / "receptor_mpro.pdb", media_type="chemical/x-pdb")


@router.get("/reference_ligand.sdf")
def reference_ligand(who: User) -> FileResponse:
    return FileResponse(ASSETS / "ligand_ref.sdf", media_type="chemical/x-mdl-sdfile")


@router.get("/static/{name}")
def static(who: User, name: str) -> FileResponse:
    """Vendored 3Dmol.js (npm 3dmol, BSD-3-Clause) and the viewer script (no inline scripts: CSP)."""
    allowed = {"3Dmol-min.js": "text/javascript", "viewer.js": "text/javascript",
               "3Dmol-LICENSE.txt": "text/plain"}
    if name not in allowed:
        raise NotFoundError(f"static file {name!r} not found")
    return FileResponse(STATIC / name, media_type=allowed[name],
                        headers={"Cache-Control": "private, max-age=86400"})


# ------------------------------------------------------------------ JSON API
@api_router.get("/status")
def api_status(who: User) -> dict[str, str]:
    return service.system_status()


@api_router.post("/predict", response_model=list[CompoundPrediction])
def api_predict(body: PredictRequest, who: User) -> list[dict[str, object]]:
    """pIC50 with 90 % interval and applicability domain per SMILES; invalid ones carry ``error``."""
    return _predict(body.smiles)


@api_router.post("/screens", status_code=202)
def api_screen(who: User) -> dict[str, int]:
    return {"screen_id": service.submit_screen(who.username)}


@api_router.get("/screens/{screen_id}")
def api_screen_get(request: Request, screen_id: int, who: User) -> dict[str, object]:
    row = service.get_screen(screen_id, who.username, client_ip(request))
    return {"id": row.id, "status": row.status, "library": row.library, "n_scored": row.n_scored,
            "n_errors": row.n_errors, "rows": row.rows, "model_version": row.model_version}


@api_router.post("/dockings", status_code=202)
def api_dock(body: DockRequest, who: User) -> dict[str, int]:
    return {"docking_id": service.submit_docking(who.username, body.smiles, body.name)}


@api_router.get("/dockings/{docking_id}")
def api_docking_get(request: Request, docking_id: int, who: User) -> dict[str, object]:
    row = service.get_docking(docking_id, who.username, client_ip(request))
    return {"id": row.id, "status": row.status, "smiles": row.smiles, "name": row.name,
            "scores_kcal": row.scores_kcal, "best_score_kcal": row.best_score_kcal, "error": row.error,
            "seconds": row.seconds}
