"""What the CLI and the web call: cases (upload -> job -> ranked variants), review decisions, exports, demo.

Imports neither FastAPI nor Typer. Reads of a case are audited with the patient's pseudonym only.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from iasante.core import audit, jobs
from iasante.core.crypto import pseudonymise
from iasante.core.db import session_scope, utcnow
from iasante.core.errors import ConfigError, InputDataError, ModelNotReadyError, NotFoundError, look_up_option
from iasante.core.files import read_stored, store_upload
from iasante.lag.acmg import CLASSES, SECTION5
from iasante.lag.db import LagCase, LagVariant
from iasante.lag.io import SVTYPES, check_genome

JOB_TARGET = "iasante.lag.service:analyse_job"
CALLING_TARGET = "iasante.lag.service:calling_case_job"
ALLOWED_UPLOADS = (".vcf", ".bed", ".gz", ".tsv", ".txt")
EXPLAIN_TOP = 500  # variants (best AI scores first) whose SHAP contributions are stored for the review page
DEMO_DIR = Path(__file__).resolve().parent / "demo"
DEMO_NAME = "Demo LAG: known genomic disorders (synthetic case)"


def system_status() -> dict[str, str]:
    """``ready`` when data and weights load; ``no_data`` / ``no_model`` otherwise."""
    from iasante.lag.pipeline import get_ranker
    from iasante.lag.resources import data_root

    try:
        data_root()
    except ConfigError as exc:
        return {"state": "no_data", "detail": str(exc)}
    try:
        get_ranker()
    except ModelNotReadyError as exc:
        return {"state": "no_model", "detail": str(exc)}
    return {"state": "ready", "detail": "annotation sources and ranker weights found"}


def create_case(
    session: Session,
    data: bytes,
    filename: str,
    *,
    owner: str,
    genome: str,
    name: str = "",
    patient_id: str | None = None,
    ip: str = "",
    demo: bool = False,
) -> LagCase:
    """Store an uploaded VCF/BED encrypted and record a queued case (run it with :func:`start_analysis`)."""
    genome = check_genome(genome)
    patient = pseudonymise(patient_id) if patient_id else None
    stored = store_upload(
        session, data, filename, owner=owner, allowed=ALLOWED_UPLOADS, patient=patient, content_type="text/plain", ip=ip
    )
    case = LagCase(
        owner=owner,
        name=name or filename,
        patient=patient,
        genome=genome,
        file_id=stored.id,
        source_name=stored.original_name,
        status="queued",
        n_variants=0,
        errors=[],
        demo=demo,
    )
    session.add(case)
    session.flush()
    audit.record(session, owner, "create", "lag_case", case.id, patient=patient, ip=ip, detail=filename)
    return case


def start_analysis(case_id: int, owner: str, wait: bool = False) -> int:
    """Run the analysis job: in this process when ``wait`` (CLI, demo), else on the job cluster."""
    params = {"case_id": case_id}
    if wait:
        job_id = jobs.run_now("lag.analyse", JOB_TARGET, params, owner=owner).id
    else:
        job_id = jobs.submit("lag.analyse", JOB_TARGET, params, owner=owner, timeout_s=1800)
    with session_scope() as session:
        case = session.get(LagCase, case_id)
        if case is not None and case.job_id is None:
            case.job_id = job_id
    return job_id


def analyse_job(ctx: jobs.JobContext, case_id: int) -> dict[str, Any]:
    """Job target: read the stored file, classify every variant, store them ranked by the AI score."""
    n_variants, n_errors = _analyse(case_id, ctx.progress)
    ctx.log(f"{n_variants} variants classified, {n_errors} rejected")
    return {"case_id": case_id, "n_variants": n_variants, "n_errors": n_errors}


def _analyse(case_id: int, progress: Any) -> tuple[int, int]:
    from iasante.lag.pipeline import classify_file

    with session_scope() as session:
        case = _case(session, case_id)
        case.status = "running"
        stored, data = read_stored(session, case.file_id or "", actor="job:lag", ip="")
        genome, suffix = case.genome, "".join(Path(stored.original_name).suffixes[-2:]) or ".txt"
    try:
        with tempfile.TemporaryDirectory(prefix="lag-") as tmp:
            path = Path(tmp) / f"input{suffix}"
            path.write_bytes(data)
            results, errors = classify_file(path, genome, progress, explain_top=EXPLAIN_TOP)
    except Exception as exc:
        with session_scope() as session:
            failed = _case(session, case_id)
            failed.status, failed.errors = "failed", [str(exc)]
        raise
    order = sorted(range(len(results)), key=lambda i: -results[i].rank_score)
    with session_scope() as session:
        case = _case(session, case_id)
        for rank, i in enumerate(order, start=1):
            case.variants.append(_variant_row(results[i], i, rank))
        case.status, case.n_variants, case.errors = "done", len(results), errors[:200]
    return len(results), len(errors)


def start_calling_case(
    owner: str,
    *,
    reference: str,
    fastq: list[str] | None = None,
    bam: str | None = None,
    sample: str | None = None,
    genome: str = "GRCh37",
    name: str = "",
    patient_id: str | None = None,
    cores: int = 2,
) -> int:
    """Queue part 1's calling workflow (FASTQ/BAM on the server) followed by this analysis; returns the job id.

    The workflow writes under ``<home>/lag_runs/<sample or job>``; the case appears when the VCF is ready.
    """
    from iasante.core.config import get_settings

    genome = check_genome(genome)
    for label, value in (("reference", reference), ("bam", bam), *(("fastq", f) for f in fastq or [])):
        if value and not Path(value).is_file():
            raise InputDataError(f"{label} {value}: no such file on the server")
    if not fastq and not bam:
        raise InputDataError("calling: give two FASTQ files or a BAM")
    out_dir = get_settings().home / "lag_runs" / (sample or f"run-{utcnow():%Y%m%d%H%M%S}")
    params = {
        "owner": owner,
        "genome": genome,
        "name": name,
        "patient_id": patient_id,
        "reference": reference,
        "out_dir": str(out_dir),
        "fastq": fastq,
        "bam": bam,
        "sample": sample,
        "cores": cores,
    }
    return jobs.submit("lag.calling", CALLING_TARGET, params, owner=owner, timeout_s=6 * 3600)


def calling_case_job(
    ctx: jobs.JobContext, owner: str, genome: str, name: str, patient_id: str | None, **calling: Any
) -> dict[str, Any]:
    """Job target: part 1's ``calling.run_job`` (FASTQ/BAM -> VCF), then a case classified from that VCF."""
    from iasante.lag.calling import run_job

    result = run_job(ctx, **calling)
    vcf = Path(result["sv_vcf_gz"])
    with session_scope() as session:
        case = create_case(
            session,
            vcf.read_bytes(),
            vcf.name,
            owner=owner,
            genome=genome,
            name=name or vcf.name,
            patient_id=patient_id,
        )
        case.job_id = ctx.job_id
        case_id = case.id
    n_variants, n_errors = _analyse(case_id, None)
    ctx.log(f"case {case_id}: {n_variants} variants classified, {n_errors} rejected")
    return {**result, "case_id": case_id, "n_variants": n_variants}


def _variant_row(r: Any, position: int, rank: int) -> LagVariant:
    ann = r.annotation
    evidence = {
        "criteria": [{"code": c.code, "points": c.points, "evidence": c.evidence} for c in r.acmg.criteria],
        "ddg2p": ann.ddg2p[:50],
        "hi_predicted": ann.hi_predicted[:50],
        "dosage_regions": [[n, round(c, 3)] for n, c in ann.dosage_regions][:20],
        "gd_loci": [[n, round(c, 3)] for n, c in ann.gd_loci][:20],
        "gnomad_af": ann.pop_af,
        "gnomad_ro": round(ann.pop_ro, 3),
        "common_cover": round(ann.common_cover, 3),
        "clinvar_path": ann.clinvar_path,
        "clinvar_benign": ann.clinvar_benign,
        "max_pli": round(ann.max_pli, 3),
        "min_loeuf": round(ann.min_loeuf, 3),
    }
    band = ann.cyto_start if ann.cyto_start == ann.cyto_end else f"{ann.cyto_start}-{ann.cyto_end}"
    return LagVariant(
        position=position,
        rank=rank,
        var_id=r.var_id[:200],
        in_chrom=r.in_chrom[:32],
        in_start=r.in_start[:32],
        in_end=r.in_end[:32],
        chrom=r.chrom,
        start=r.start,
        end=r.end,
        svtype=r.svtype,
        size_bp=r.end - r.start,
        acmg_points=r.acmg.points,
        acmg_class=r.acmg.acmg_class,
        rank_score=r.rank_score,
        genes=",".join(dict.fromkeys(ann.genes)),
        iscn=ann.iscn[:200],
        cytoband=band[:40],
        evidence=evidence,
        contributions=r.contributions,
    )


def _case(session: Session, case_id: int) -> LagCase:
    case = session.get(LagCase, case_id)
    if case is None:
        raise NotFoundError(f"LAG case {case_id} not found")
    return case


def list_cases(session: Session, limit: int = 100) -> list[LagCase]:
    """Most recent cases first."""
    return list(session.scalars(select(LagCase).order_by(LagCase.id.desc()).limit(limit)))


def get_case(session: Session, case_id: int, *, actor: str, ip: str = "") -> LagCase:
    """A case with its variants; the read is audited."""
    case = _case(session, case_id)
    audit.record(session, actor, "read", "lag_case", case_id, patient=case.patient, ip=ip)
    return case


def filter_variants(
    case: LagCase,
    classes: list[str] | None = None,
    svtype: str = "",
    min_score: float = 0.0,
    text: str = "",
    report_only: bool = False,
) -> list[LagVariant]:
    """Variants in rank order that pass the review filters (final class, type, AI score, gene/band/ISCN text)."""
    wanted = {look_up_option(c, CLASSES, "class") for c in classes or []}
    if svtype:
        svtype = look_up_option(svtype.upper(), SVTYPES, "svtype")
    needle = text.strip().upper()
    out = []
    for v in case.variants:
        if wanted and v.final_class not in wanted or svtype and v.svtype != svtype:
            continue
        if v.rank_score < min_score or report_only and not v.decision_report:
            continue
        if needle and needle not in f"{v.genes},{v.iscn},{v.var_id},{v.chrom}:{v.cytoband}".upper():
            continue
        out.append(v)
    return out


def save_decision(
    session: Session,
    variant_id: int,
    *,
    actor: str,
    decision_class: str,
    comment: str = "",
    report: bool = False,
    criteria: list[str] | None = None,
    ip: str = "",
) -> LagVariant:
    """Record the biologist's class, comment, report choice and section 5 criteria for one variant (audited)."""
    variant = session.get(LagVariant, variant_id)
    if variant is None:
        raise NotFoundError(f"LAG variant {variant_id} not found")
    if variant.case.signed_by:
        raise InputDataError(f"LAG case {variant.case_id} is signed; decisions are locked")
    variant.decision_class = look_up_option(decision_class, CLASSES, "class")
    variant.decision_criteria = sorted({look_up_option(c, SECTION5, "section 5 criterion") for c in criteria or []})
    variant.decision_comment, variant.decision_report = comment.strip()[:4000], bool(report)
    variant.decided_by, variant.decided_at = actor, utcnow()
    audit.record(
        session,
        actor,
        "update",
        "lag_variant",
        variant_id,
        patient=variant.case.patient,
        ip=ip,
        detail=f"class={variant.decision_class} report={variant.decision_report} "
        f"section5={','.join(variant.decision_criteria)}",
    )
    return variant


def sign_case(session: Session, case_id: int, *, actor: str, ip: str = "") -> LagCase:
    """Sign the report: every variant chosen for the report must carry a decision."""
    case = _case(session, case_id)
    if case.status != "done":
        raise InputDataError(f"LAG case {case_id} is {case.status}; only analysed cases can be signed")
    case.signed_by, case.signed_at = actor, utcnow()
    audit.record(session, actor, "update", "lag_case", case_id, patient=case.patient, ip=ip, detail="signed")
    return case


def public_variant(v: LagVariant) -> dict[str, Any]:
    """JSON view of a variant (no patient data)."""
    return {
        "id": v.id,
        "rank": v.rank,
        "chrom": v.in_chrom,
        "start": v.in_start,
        "end": v.in_end,
        "svtype": v.svtype,
        "size_bp": v.size_bp,
        "acmg_points": v.acmg_points,
        "acmg_class": v.acmg_class,
        "rank_score": round(v.rank_score, 4),
        "genes": v.genes,
        "iscn": v.iscn,
        "cytoband": v.cytoband,
        "evidence": v.evidence,
        "contributions": v.contributions,
        "decision_class": v.decision_class,
        "decision_comment": v.decision_comment,
        "decision_criteria": v.decision_criteria,
        "total_points": v.total_points,
        "decision_report": v.decision_report,
        "decided_by": v.decided_by,
    }


def public_case(case: LagCase, with_variants: bool = False) -> dict[str, Any]:
    """JSON view of a case; the pseudonym is the only patient identifier."""
    out: dict[str, Any] = {
        "id": case.id,
        "name": case.name,
        "patient": case.patient,
        "genome": case.genome,
        "status": case.status,
        "job_id": case.job_id,
        "n_variants": case.n_variants,
        "errors": case.errors,
        "signed_by": case.signed_by,
        "created_at": case.created_at.isoformat() if case.created_at else None,
    }
    if with_variants:
        out["variants"] = [public_variant(v) for v in case.variants]
    return out


def load_demo(owner: str) -> str:
    """Load the shipped demo BED (syndromic and benign CNVs at public loci) as a case; idempotent."""
    with session_scope() as session:
        existing = session.scalars(select(LagCase).where(LagCase.demo.is_(True))).first()
        if existing is not None:
            return f"LAG demo case {existing.id} already loaded ({existing.n_variants} variants)"
        data = (DEMO_DIR / "demo_cnvs.bed").read_bytes()
        case = create_case(
            session,
            data,
            "demo_cnvs.bed",
            owner=owner,
            genome="GRCh37",
            name=DEMO_NAME,
            patient_id="DEMO-LAG-001",
            demo=True,
        )
        case_id = case.id
    start_analysis(case_id, owner, wait=True)
    with session_scope() as session:
        case = _case(session, case_id)
        return f"LAG demo case {case_id}: {case.n_variants} variants ({case.status})"
