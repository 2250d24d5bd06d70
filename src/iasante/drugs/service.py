"""What the CLI and the web app call: predict, screen, dock (Dask-parallel), lead finding, storage, demo.

Imports neither FastAPI nor Typer. Compounds are not patient data; reads and writes of stored screens and
docking runs are still audited, like every stored result of the platform.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select

from iasante.core import audit, jobs
from iasante.core.config import get_settings
from iasante.core.db import session_scope
from iasante.core.errors import IASanteError, InputDataError, ModelNotReadyError, NotFoundError
from iasante.drugs import chem
from iasante.drugs.docking import EXHAUSTIVENESS
from iasante.drugs.io import load_approved, read_table
from iasante.drugs.scoring import PREDICTION_COLUMNS, load_model, score_smiles

Progress = Callable[[float, str], None]
DEMO_DIR = Path(__file__).resolve().parent / "demo"
SCREEN_COLUMNS = ("rank", "id", "name", "smiles", "smiles_std", *PREDICTION_COLUMNS, "max_sim_train",
                  "max_sim_active", "nearest_active", "nearest_active_pIC50", "qed", "lipinski_violations",
                  "pains")
STORED_ROWS = 300


def model_version() -> str:
    meta = load_model().meta_
    return f"tobit-lgbm+tanimoto-svr-{meta['params']['n_members']}x{meta['params']['n_estimators']}"


def predict_file(path: Path, smiles_column: str | None, out: Path) -> tuple[int, list[str]]:
    """Write ``out`` = every input row, in input order, + pIC50_pred, pIC50_low, pIC50_high, in_domain.

    Rows with an invalid SMILES keep their place with empty prediction columns, so the output lines up with
    the input row for row.

    Returns:
        (rows scored, one "input:row N: problem" message per invalid row).
    """
    table, column = read_table(path, smiles_column)
    scored, errors = score_smiles(table[column].tolist(), with_details=False)
    result = table.copy()
    for name in PREDICTION_COLUMNS:
        result[name] = scored[name].reindex(table.index)
    _write_csv(result, out)
    return len(scored), [f"{path}:row {i + 2}: {message}" for i, message in errors]


def _write_csv(frame: pd.DataFrame, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    frame.to_csv(tmp, index=False)
    tmp.replace(out)  # never leave a half-written table behind


def load_library(library: str, smiles_column: str | None = None) -> tuple[pd.DataFrame, str]:
    """``approved`` (DrugCentral) or a CSV path → (table with id/name/smiles columns, label)."""
    if library == "approved":
        table = load_approved().rename(columns={"ID": "id", "SMILES": "smiles"})
        return table[["id", "name", "smiles"]], "DrugCentral approved drugs"
    path = Path(library)
    table, column = read_table(path, smiles_column)
    table = table.drop(columns=[c for c in ("smiles",) if c != column and c in table.columns])
    table = table.rename(columns={column: "smiles"})
    lower = {c.lower(): c for c in table.columns if c != "smiles"}
    table = table.rename(columns={lower[k]: k for k in ("id", "name") if k in lower and lower[k] != k})
    if "id" not in table.columns:
        table["id"] = [str(i + 1) for i in range(len(table))]
    if "name" not in table.columns:
        table["name"] = ""
    return table, path.name


def screen(library: str, progress: Progress | None = None, smiles_column: str | None = None
           ) -> tuple[pd.DataFrame, list[str]]:
    """Rank a library by predicted pIC50 (with interval, domain, similarity, drug-likeness).

    Returns:
        (ranked table with :data:`SCREEN_COLUMNS`, one message per unreadable compound).
    """
    table, label = load_library(library, smiles_column)
    if progress:
        progress(0.05, f"standardising {len(table)} compounds")
    scored, errors = score_smiles(table.smiles.tolist())
    if progress:
        progress(0.9, "ranking")
    ranked = pd.concat([table.loc[scored.index, ["id", "name", "smiles"]], scored], axis=1)
    ranked = ranked.sort_values(["score", "max_sim_active"], ascending=False, kind="stable")
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    messages = [f"{label}:row {i + 2} ({table.id.iloc[i]}): {m}" for i, m in errors]
    return ranked[list(SCREEN_COLUMNS)].reset_index(drop=True), messages


def dock_record(smiles: str, exhaustiveness: int = EXHAUSTIVENESS, seed: int = 0) -> dict[str, Any]:
    """Dock one SMILES; a plain dict (picklable, for Dask workers): smiles, scores_kcal, sdf, seconds, error."""
    from iasante.drugs.docking import dock

    try:
        result = dock(chem.standardise(smiles, tautomer=False), exhaustiveness=exhaustiveness, seed=seed)
    except IASanteError as exc:
        return {"smiles": smiles, "scores_kcal": [], "sdf": "", "seconds": 0.0, "error": str(exc)}
    return {"smiles": smiles, "scores_kcal": result.scores_kcal, "sdf": result.sdf, "seconds": result.seconds,
            "error": None}


def _docking_cost(smiles: str) -> int:
    """Vina's own search-length heuristic, heavy atoms + 10 x rotatable bonds (0 for an unreadable SMILES)."""
    from rdkit.Chem import rdMolDescriptors

    try:
        mol = chem.parse_smiles(smiles)
    except InputDataError:
        return 0
    return int(mol.GetNumHeavyAtoms() + 10 * rdMolDescriptors.CalcNumRotatableBonds(mol))


def dock_many(smiles: Sequence[str], workers: int = 1, exhaustiveness: int = EXHAUSTIVENESS, seed: int = 0,
              progress: Progress | None = None) -> list[dict[str, Any]]:
    """Dock ligands in parallel on Dask workers (one process, one core each); results in input order.

    Uses the configured cluster (``IASANTE_DASK_SCHEDULER``) when set, else a local cluster of ``workers``.
    """
    from distributed import Client, LocalCluster

    scheduler = get_settings().dask_scheduler
    if scheduler:
        client, cluster = Client(scheduler, timeout=10), None
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        return dock_on_client(client, smiles, exhaustiveness, seed, progress)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def dock_on_client(client: Any, smiles: Sequence[str], exhaustiveness: int = EXHAUSTIVENESS, seed: int = 0,
                   progress: Progress | None = None) -> list[dict[str, Any]]:
    """Dock ligands on an open ``distributed.Client``; results in input order (see :func:`dock_many`)."""
    from distributed import as_completed

    # Longest jobs first (Vina's search length grows with size and torsions): one late flexible ligand
    # would otherwise leave the other workers idle at the end.
    order = sorted(range(len(smiles)), key=lambda i: -_docking_cost(smiles[i]))
    futures = client.map(dock_record, [smiles[i] for i in order], exhaustiveness=exhaustiveness, seed=seed,
                         pure=False)
    index = {f.key: i for i, f in zip(order, futures, strict=True)}
    results: list[dict[str, Any]] = [{} for _ in smiles]
    for done, future in enumerate(as_completed(futures), 1):
        results[index[future.key]] = future.result()
        if progress:
            progress(done / len(futures), f"docked {done}/{len(futures)}")
    return results


def write_docking(record: dict[str, Any], out_dir: Path) -> None:
    """DIR/poses.sdf (poses, best first, score in field ``vina_score_kcal``) and DIR/scores.csv."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "poses.sdf").write_text(record["sdf"])
    rows = [{"pose": k + 1, "vina_score_kcal": s} for k, s in enumerate(record["scores_kcal"])]
    pd.DataFrame(rows, columns=["pose", "vina_score_kcal"]).to_csv(out_dir / "scores.csv", index=False)
    (out_dir / "docking.json").write_text(json.dumps(
        {k: record[k] for k in ("smiles", "scores_kcal", "seconds")} | {"receptor": "SARS-CoV-2 Mpro (ASAP "
         "reference, chain A site)", "box": _box()}, indent=2))


def _box() -> dict[str, list[float]]:
    from iasante.drugs.docking import load_box

    return load_box()


# ------------------------------------------------------------------ stored screens and docking runs
def create_screen(owner: str, library: str = "approved", demo: bool = False) -> int:
    from iasante.drugs.db import DrugScreen

    with session_scope() as session:
        row = DrugScreen(owner=owner, library=library, status="queued", rows=[], errors=[], demo=demo)
        session.add(row)
        session.flush()
        audit.record(session, owner, "create", "drugs_screen", row.id, detail=library)
        return row.id


def screen_job(ctx: jobs.JobContext, screen_id: int) -> dict[str, Any]:
    """Job target: run a stored screen and keep its top rows."""
    from iasante.drugs.db import DrugScreen

    with session_scope() as session:
        row = session.get(DrugScreen, screen_id)
        if row is None:
            raise NotFoundError(f"screen {screen_id} not found")
        library = row.library
    try:
        ranked, errors = screen(library, progress=ctx.progress)
    except IASanteError as exc:
        _set_screen(screen_id, status="failed", errors=[str(exc)])
        raise
    records = json.loads(ranked.head(STORED_ROWS).to_json(orient="records"))
    _set_screen(screen_id, status="done", rows=records, errors=errors[:200], n_scored=len(ranked),
                n_errors=len(errors), model_version=model_version())
    return {"screen_id": screen_id, "n_scored": len(ranked), "n_errors": len(errors)}


def _set_screen(screen_id: int, **values: Any) -> None:
    from iasante.drugs.db import DrugScreen

    with session_scope() as session:
        row = session.get(DrugScreen, screen_id)
        if row is not None:
            for key, value in values.items():
                setattr(row, key, value)


def create_docking(owner: str, smiles: str, name: str = "", demo: bool = False) -> int:
    """Validate the SMILES and record a queued docking run (InputDataError if the SMILES is invalid)."""
    from iasante.drugs.db import DrugDocking

    std = chem.canonical(chem.standardise(smiles, tautomer=False))
    with session_scope() as session:
        row = DrugDocking(owner=owner, smiles=std, name=name[:255], status="queued", scores_kcal=[], demo=demo)
        session.add(row)
        session.flush()
        audit.record(session, owner, "create", "drugs_docking", row.id, detail=std[:200])
        return row.id


def docking_job(ctx: jobs.JobContext, docking_id: int, exhaustiveness: int = EXHAUSTIVENESS) -> dict[str, Any]:
    """Job target: dock a stored run's ligand and keep poses and scores."""
    from iasante.drugs.db import DrugDocking

    with session_scope() as session:
        row = session.get(DrugDocking, docking_id)
        if row is None:
            raise NotFoundError(f"docking run {docking_id} not found")
        smiles = row.smiles
        row.status = "running"
    ctx.progress(0.05, "docking")
    record = dock_record(smiles, exhaustiveness=exhaustiveness)
    with session_scope() as session:
        row = session.get(DrugDocking, docking_id)
        assert row is not None
        row.status = "failed" if record["error"] else "done"
        row.error, row.sdf, row.seconds = record["error"], record["sdf"], record["seconds"]
        row.scores_kcal = record["scores_kcal"]
        row.best_score_kcal = record["scores_kcal"][0] if record["scores_kcal"] else None
    if record["error"]:
        raise InputDataError(record["error"])
    return {"docking_id": docking_id, "best_score_kcal": record["scores_kcal"][0]}


def submit_screen(owner: str, library: str = "approved") -> int:
    screen_id = create_screen(owner, library)
    job_id = jobs.submit("drugs.screen", "iasante.drugs.service:screen_job", {"screen_id": screen_id},
                         owner=owner, resumable=True, timeout_s=1800)
    _set_screen(screen_id, job_id=job_id)
    return screen_id


def submit_docking(owner: str, smiles: str, name: str = "") -> int:
    from iasante.drugs.db import DrugDocking

    docking_id = create_docking(owner, smiles, name)
    job_id = jobs.submit("drugs.dock", "iasante.drugs.service:docking_job", {"docking_id": docking_id},
                         owner=owner, resumable=True, timeout_s=900)
    with session_scope() as session:
        row = session.get(DrugDocking, docking_id)
        if row is not None:
            row.job_id = job_id
    return docking_id


def get_screen(screen_id: int, actor: str, ip: str = "") -> Any:
    from iasante.drugs.db import DrugScreen

    with session_scope() as session:
        row = session.get(DrugScreen, screen_id)
        if row is None:
            raise NotFoundError(f"screen {screen_id} not found")
        audit.record(session, actor, "read", "drugs_screen", screen_id, ip=ip)
        return row


def get_docking(docking_id: int, actor: str, ip: str = "") -> Any:
    from iasante.drugs.db import DrugDocking

    with session_scope() as session:
        row = session.get(DrugDocking, docking_id)
        if row is None:
            raise NotFoundError(f"docking run {docking_id} not found")
        audit.record(session, actor, "read", "drugs_docking", docking_id, ip=ip)
        return row


def list_recent(limit: int = 20) -> tuple[list[Any], list[Any]]:
    from iasante.drugs.db import DrugDocking, DrugScreen

    with session_scope() as session:
        screens = list(session.scalars(select(DrugScreen).order_by(DrugScreen.id.desc()).limit(limit)))
        dockings = list(session.scalars(select(DrugDocking).order_by(DrugDocking.id.desc()).limit(limit)))
        return screens, dockings


# ------------------------------------------------------------------ platform hooks
def system_status() -> dict[str, str]:
    """``ready`` when the potency weights and docking assets load; else ``no_model`` with the reason."""
    try:
        model = load_model()
        from iasante.drugs.docking import load_box

        load_box()
    except ModelNotReadyError as exc:
        return {"state": "no_model", "detail": str(exc)}
    return {"state": "ready", "detail": f"{model_version()} on {model.meta_.get('n_compounds')} Moonshot "
            f"compounds; Vina docking into Mpro"}


def load_demo(owner: str) -> str:
    """Idempotent: store the shipped demo screen (top approved drugs) and the shipped re-docked ligand pose."""
    from iasante.drugs.db import DrugDocking, DrugScreen

    with session_scope() as session:
        if session.scalar(select(DrugScreen).where(DrugScreen.demo.is_(True))) is not None:
            return "demo screen and docking already loaded"
    records = json.loads((DEMO_DIR / "screen_top.json").read_text())
    docked = json.loads((DEMO_DIR / "docking_reference.json").read_text())
    with session_scope() as session:
        session.add(DrugScreen(owner=owner, library="approved", status="done", rows=records, errors=[],
                               n_scored=len(records), n_errors=0, model_version="demo", demo=True))
        session.add(DrugDocking(owner=owner, name=docked["name"], smiles=docked["smiles"], status="done",
                                scores_kcal=docked["scores_kcal"], best_score_kcal=docked["scores_kcal"][0],
                                sdf=docked["sdf"], seconds=docked["seconds"], demo=True))
    return f"demo screen ({len(records)} approved drugs) and re-docked Moonshot ligand loaded"

