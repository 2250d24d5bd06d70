"""What the CLI and the web pages call: single-chromosome batches, metaphase analyses, corrections, demo.

Imports neither FastAPI nor Typer; PyTorch loads with the classifier, on first use.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from iasante.core import audit
from iasante.core.crypto import pseudonymise
from iasante.core.db import session_scope
from iasante.core.errors import InputDataError, ModelNotReadyError
from iasante.core.files import read_stored, store_upload
from iasante.core.progress import track
from iasante.karyotype.assign import iscn_numerical
from iasante.karyotype.db import KaryotypeAnalysis, KaryotypeCorrection
from iasante.karyotype.io import CLASSES, IMAGE_SUFFIXES, class_index, decode_gray, read_gray
from iasante.karyotype.preprocess import wrap_deg

MODEL_VERSION = "1.2.0"
DEMO_DIR = Path(__file__).resolve().parent / "demo"
CSV_COLUMNS = ["input", "chromosome", "confidence", "angle_deg"]
UPLOAD_SUFFIXES = (".png", ".bmp", ".tif", ".tiff", ".jpg", ".jpeg")


@lru_cache(maxsize=1)
def get_classifier() -> Any:
    """The loaded :class:`ChromosomeClassifier` (once per process); ModelNotReadyError without weights."""
    from iasante.karyotype.model import ChromosomeClassifier

    return ChromosomeClassifier().load()


def system_status() -> dict[str, str]:
    """``ready`` when the weights load, else ``no_model`` with the reason."""
    try:
        meta = get_classifier().meta_
    except ModelNotReadyError as exc:
        return {"state": "no_model", "detail": str(exc)}
    single = meta.get("metrics", {}).get("single_test", {})
    test, cell = single.get("classif_errors", {}), single.get("classif_errors_cell", {})
    detail = f"model {MODEL_VERSION}"
    if test:
        detail += (
            f"; ClassifErrors {test['value_pct']}% (95% CI {test['ci95_low_pct']}-{test['ci95_high_pct']}) "
            "on cell-disjoint BioImLab chromosomes"
        )
    if cell:
        detail += f", {cell['value_pct']}% with each cell classified together"
    return {"state": "ready", "detail": detail}


def expand_inputs(paths: Sequence[str]) -> list[str]:
    """Replace each folder by the images it holds (sorted); files are kept as given."""
    out: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out += sorted(str(p) for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            out.append(raw)
    return out


CELL_TOKEN = re.compile(r"cell[_-]?0*(\d+)", re.IGNORECASE)
"""A cell id in a file name (BioImLab style ``cell012_05a.png``)."""


CELL_SIZES = range(40, 51)
"""Image counts for which a cell's images are classified together (a whole cell, about 46)."""


def cell_key(path: str) -> str | None:
    """Folder + cell id of a single-chromosome file, or None when its name carries no cell id."""
    match = CELL_TOKEN.search(Path(path).name)
    return f"{Path(path).parent}/{int(match.group(1))}" if match else None


def classify_files(paths: Sequence[str]) -> tuple[list[dict[str, str]], list[str]]:
    """Classify single-chromosome images; a bad one becomes an ``"<input>: <problem>"`` line, the rest go on.

    Images whose names give the same cell id in the same folder (``cell012_*``), 40 to 50 of them, are one
    whole cell and are classified together (:meth:`ChromosomeClassifier.predict_cell`: sizes relative to the
    cell, about two of each autosome); any other image is classified on its own. Rows keep the input order.

    Returns:
        (CSV rows with :data:`CSV_COLUMNS`, error lines).
    """
    clf = get_classifier()
    inputs: list[str] = []
    images: list[Any] = []
    errors: list[str] = []
    for path in track(expand_inputs(paths), "Reading chromosomes"):
        try:
            images.append(read_gray(path))
            inputs.append(path)
        except InputDataError as exc:
            errors.append(str(exc))
    groups: dict[str, list[int]] = {}
    for i, path in enumerate(inputs):
        groups.setdefault(cell_key(path) or "", []).append(i)
    singles = [i for key, members in groups.items() if not key or len(members) not in CELL_SIZES for i in members]
    preds: dict[int, Any] = dict(zip(singles, clf.predict_images([images[i] for i in singles]), strict=True))
    for key, members in groups.items():
        if key and len(members) in CELL_SIZES:
            preds.update(zip(members, clf.predict_cell([images[i] for i in members]), strict=True))
    rows = [
        {
            "input": path,
            "chromosome": preds[i].chromosome,
            "confidence": f"{preds[i].confidence:.4f}",
            "angle_deg": f"{preds[i].angle_deg:.1f}",
        }
        for i, path in enumerate(inputs)
    ]
    return rows, errors



def analyze_file(path: str, out_dir: Path) -> dict[str, Any]:
    """Karyotype one metaphase image; writes ``karyotype.json`` and ``karyogram.png`` into ``out_dir``."""
    from iasante.karyotype.pipeline import analyze_metaphase

    result = analyze_metaphase(read_gray(path), get_classifier())
    payload = {"input": path, "model_version": MODEL_VERSION, **result.to_json()}
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "karyotype.json").write_text(json.dumps(payload, indent=2) + "\n")
    (out_dir / "karyogram.png").write_bytes(_karyogram_png(result, payload["chromosomes"]))
    return payload


def _karyogram_png(result: Any, records: list[dict[str, Any]]) -> bytes:
    from iasante.karyotype.karyogram import png_bytes, render_karyogram

    iscn = iscn_numerical([r["class"] for r in records if r["class"] is not None])
    image = render_karyogram(
        [r["class"] for r in records],
        [r["angle_deg"] for r in records],
        [s.crop for s in result.segments],
        result.dark_on_light,
        title=iscn,
    )
    return png_bytes(image)


def store_analysis(
    session: Session,
    data: bytes,
    filename: str,
    *,
    owner: str,
    patient_id: str | None = None,
    ip: str = "",
    demo: bool = False,
) -> KaryotypeAnalysis:
    """Validate, encrypt and store a metaphase upload, karyotype it and record the analysis (audited)."""
    from iasante.karyotype.pipeline import analyze_metaphase

    image = decode_gray(data, filename)
    result = analyze_metaphase(image, get_classifier())
    patient = pseudonymise(patient_id) if patient_id else None
    stored = store_upload(
        session,
        data,
        filename,
        owner=owner,
        allowed=UPLOAD_SUFFIXES,
        patient=patient,
        content_type="image/png" if filename.lower().endswith(".png") else "image/octet-stream",
        ip=ip,
    )
    records = result.to_json()["chromosomes"]
    row = KaryotypeAnalysis(
        owner=owner,
        patient=patient,
        file_id=stored.id,
        image_name=stored.original_name,
        iscn_auto=result.iscn,
        iscn=result.iscn,
        dark_on_light=result.dark_on_light,
        chromosomes=records,
        model_version=MODEL_VERSION,
        demo=demo,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        owner,
        "create",
        "karyotype_analysis",
        row.id,
        patient=patient,
        ip=ip,
        detail=f"iscn={result.iscn}",
    )
    return row


def get_analysis(session: Session, analysis_id: int, *, actor: str, ip: str = "") -> KaryotypeAnalysis:
    """One stored analysis (the read is audited)."""
    return audit.read_audited(
        session, KaryotypeAnalysis, analysis_id, resource="karyotype_analysis", actor=actor, ip=ip
    )


def list_analyses(session: Session, limit: int = 50) -> list[KaryotypeAnalysis]:
    """Most recent analyses first."""
    return list(session.scalars(select(KaryotypeAnalysis).order_by(KaryotypeAnalysis.id.desc()).limit(limit)))


def list_corrections(session: Session, analysis_id: int) -> list[KaryotypeCorrection]:
    """Corrections of one analysis, oldest first."""
    return list(
        session.scalars(
            select(KaryotypeCorrection)
            .where(KaryotypeCorrection.analysis_id == analysis_id)
            .order_by(KaryotypeCorrection.id)
        )
    )


def correct_chromosome(
    session: Session,
    analysis_id: int,
    index: int,
    *,
    actor: str,
    chromosome: str | None = None,
    rotate_deg: float = 0.0,
    ip: str = "",
) -> KaryotypeAnalysis:
    """Move chromosome ``index`` to another class and/or turn it; saves a correction row and an audit event.

    Args:
        chromosome: new class ("1".."22", "X", "Y"), or "none" to drop the object from the count;
            None keeps it.
        rotate_deg: extra counter-clockwise turn applied to the displayed (upright) chromosome, degrees.
    """
    row = get_analysis(session, analysis_id, actor=actor, ip=ip)
    records = [dict(r) for r in row.chromosomes]
    if not 0 <= index < len(records):
        raise InputDataError(f"chromosome index {index}: expected 0..{len(records) - 1}")
    record = records[index]
    old_class, old_angle = record["class"], float(record["angle_deg"])
    new_class = old_class
    if chromosome is not None:
        new_class = None if chromosome.strip().lower() == "none" else CLASSES[class_index(chromosome)]
    new_angle = round(float(wrap_deg(old_angle - rotate_deg)), 2)
    if new_class == old_class and new_angle == old_angle:
        raise InputDataError(f"chromosome {index}: the correction changes nothing")
    record.update({"class": new_class, "chromosome": new_class, "angle_deg": new_angle})
    row.chromosomes = records
    row.iscn = iscn_numerical([r["class"] for r in records if r["class"] is not None])
    session.add(
        KaryotypeCorrection(
            analysis_id=row.id,
            actor=actor,
            chromosome_index=index,
            old_class=old_class,
            new_class=new_class,
            old_angle_deg=old_angle,
            new_angle_deg=new_angle,
        )
    )
    audit.record(
        session,
        actor,
        "update",
        "karyotype_analysis",
        row.id,
        patient=row.patient,
        ip=ip,
        detail=f"chromosome {index}: class {old_class}->{new_class}, angle {old_angle}->{new_angle}; iscn {row.iscn}",
    )
    return row


def analysis_karyogram(session: Session, analysis_id: int, *, actor: str, ip: str = "") -> bytes:
    """Karyogram PNG of a stored analysis with its corrections (segments re-derived from the stored image)."""
    from iasante.karyotype.pipeline import analyze_metaphase

    row = get_analysis(session, analysis_id, actor=actor, ip=ip)
    _, data = read_stored(session, row.file_id, actor=actor, ip=ip)
    result = analyze_metaphase(decode_gray(data, row.image_name), get_classifier())
    if len(result.segments) != len(row.chromosomes):
        raise ModelNotReadyError(
            f"karyotype analysis {analysis_id}: made with another model version ({row.model_version}); re-run it"
        )
    return _karyogram_png(result, row.chromosomes)


def public_view(row: KaryotypeAnalysis) -> dict[str, Any]:
    """The fields of an analysis that leave the API (no file id, no owner)."""
    return {
        "id": row.id,
        "created_at": row.created_at.isoformat(),
        "image_name": row.image_name,
        "patient": row.patient,
        "iscn": row.iscn,
        "iscn_auto": row.iscn_auto,
        "dark_on_light": row.dark_on_light,
        "chromosomes": row.chromosomes,
        "model_version": row.model_version,
    }


def load_demo(owner: str) -> str:
    """Store the shipped demo metaphase(s) as analyses once (idempotent); returns a one-line summary."""
    files = sorted(p for p in DEMO_DIR.iterdir() if p.suffix.lower() in UPLOAD_SUFFIXES)
    added = 0
    with session_scope() as session:
        present = set(session.scalars(select(KaryotypeAnalysis.image_name).where(KaryotypeAnalysis.demo.is_(True))))
        for file in files:
            if file.name not in present:
                store_analysis(session, file.read_bytes(), file.name, owner=owner, demo=True)
                added += 1
    return f"karyotype: {added} demo metaphase(s) analysed, {len(files) - added} already present"


def synthesize_file(out: Path, cell: int, karyotype: str, dark_on_light: bool, seed: int) -> dict[str, Any]:
    """Write a synthetic metaphase PNG of a BioImLab cell and ``<out>.json`` with its truth."""
    import numpy as np
    from PIL import Image

    from iasante.core.errors import look_up_option
    from iasante.karyotype.evaluate import make_cell_metaphase
    from iasante.karyotype.io import load_labels
    from iasante.karyotype.synth import KARYOTYPES, upright_source

    karyotype = look_up_option(karyotype, KARYOTYPES, "karyotype")
    table = load_labels()
    if cell not in set(table["cell"]):
        raise InputDataError(f"cell {cell}: not in BioImLab (cells {table['cell'].min()}..{table['cell'].max()})")
    sources = [
        upright_source(read_gray(p)) if c == cell else np.zeros((1, 1), np.float32)
        for p, c in zip(table["path"], table["cell"], strict=True)
    ]
    meta, iscn = make_cell_metaphase(
        table, sources, cell, karyotype, np.random.default_rng(seed), dark_on_light=dark_on_light
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(meta.image).save(out)
    truth = {
        "iscn": iscn,
        "cell": cell,
        "karyotype": karyotype,
        "seed": seed,
        "dark_on_light": dark_on_light,
        "chromosomes": [
            {"class": CLASSES[k], "angle_deg": round(a, 2), "bbox": [b[1], b[0], b[3], b[2]]}
            for k, a, b in zip(meta.classes, meta.angles_deg, meta.boxes, strict=True)
        ],
    }
    out.with_suffix(".json").write_text(json.dumps(truth, indent=2) + "\n")
    return truth


def evaluate_part(part: str, per_cell: int, seed: int, out: Path | None, log: Any = print) -> dict[str, Any]:
    """Metaphase metrics on the val or test cells of the split recorded with the weights; writes JSON."""
    from iasante.core.errors import look_up_option
    from iasante.karyotype.evaluate import evaluate_metaphases
    from iasante.karyotype.io import load_labels
    from iasante.karyotype.model import WEIGHTS_DIR
    from iasante.karyotype.train import build_canvases

    part = look_up_option(part, ["val", "test"], "part")
    clf = get_classifier()
    table = load_labels()
    _, sources = build_canvases(table)
    result = evaluate_metaphases(clf, table, sources, clf.meta_["split"][part], per_cell, seed, log=log)
    target = out or WEIGHTS_DIR / f"metaphase_{part}.json"
    result["rows"].to_csv(target.with_suffix(".csv"), index=False)
    summary = {k: v for k, v in result.items() if k != "rows"} | {
        "part": part,
        "per_cell": per_cell,
        "seed": seed,
    }
    target.write_text(json.dumps(summary, indent=2) + "\n")
    return summary
