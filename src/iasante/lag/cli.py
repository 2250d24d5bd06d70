"""``iasante lag``: classify SV/CNV files, train the ranker, manage review cases and reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from iasante.core.progress import console, fraction_bar

app = typer.Typer(
    help="LAG: SV/CNV annotation, ACMG/ClinGen classification, AI ranking, review and report.",
    no_args_is_help=True,
)
GenomeOpt = Annotated[str, typer.Option("--genome", help="Genome build of INPUT: GRCh37 or GRCh38.")]


@app.command("classify")
def classify_cmd(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="SV VCF, or BED of chrom,start,end,type.")],
    genome: GenomeOpt,
    out: Annotated[Path, typer.Option("--out", help="Output TSV.")],
) -> None:
    """Annotate and classify every variant (ACMG/ClinGen points and class, AI rank score) into OUT.tsv.

    Columns: chrom,start,end,svtype,acmg_points,acmg_class,rank_score,genes; one row per readable input
    variant in input order. Unreadable records are reported on stderr and the command exits 2.
    """
    from iasante.lag.io import check_genome
    from iasante.lag.pipeline import classify_file, write_tsv

    genome = check_genome(genome)
    with fraction_bar("LAG classify") as update:
        results, errors = classify_file(input_path, genome, update)
    write_tsv(results, out)
    for line in errors:
        console.print(f"error: {line}", highlight=False, soft_wrap=True, markup=False)
    console.print(f"{len(results)} variant(s) written to {out}", highlight=False)
    if errors:
        raise typer.Exit(2)


@app.command("train")
def train_cmd(
    out_dir: Annotated[
        Path | None, typer.Option("--out-dir", help="Where to write weights (default: package).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the held-out chromosome draw and the model.")] = 0,
) -> None:
    """Retrain the ranker on ClinVar CNVs (chromosomes held out) and print the measured metrics."""
    from iasante.lag.ranker import WEIGHTS_DIR
    from iasante.lag.train import train

    with fraction_bar("LAG train") as update:
        metrics = train(out_dir or WEIGHTS_DIR, seed, update)
    typer.echo(
        json.dumps(
            {k: metrics[k] for k in ("test_chromosomes", "ranker_auroc", "ranker_brier", "acmg_test")},
            indent=1,
        )
    )


@app.command("case-add")
def case_add(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="SV VCF or CNV BED.")],
    genome: GenomeOpt,
    name: Annotated[str, typer.Option("--name", help="Case name (default: file name).")] = "",
    patient: Annotated[str, typer.Option("--patient", help="Patient id (stored pseudonymised).")] = "",
) -> None:
    """Create a review case from INPUT and analyse it now (it then appears on the web review page)."""
    from iasante.core.auth import cli_principal
    from iasante.core.db import session_scope
    from iasante.core.errors import InputDataError
    from iasante.core.models import Role
    from iasante.lag import service

    who = cli_principal([Role.biologist], "lag.case-add")
    if not input_path.is_file():
        raise InputDataError(f"{input_path}: no such file")
    with session_scope() as session:
        case = service.create_case(
            session,
            input_path.read_bytes(),
            input_path.name,
            owner=who.username,
            genome=genome,
            name=name,
            patient_id=patient or None,
            ip="cli",
        )
        case_id = case.id
    service.start_analysis(case_id, who.username, wait=True)
    with session_scope() as session:
        done = service.get_case(session, case_id, actor=who.username, ip="cli")
        typer.echo(f"case {case_id}: {done.n_variants} variants, status {done.status}")
        if done.status != "done":
            raise typer.Exit(2)


@app.command("cases")
def cases_cmd() -> None:
    """List review cases (most recent first)."""
    from iasante.core.auth import cli_principal
    from iasante.core.db import session_scope
    from iasante.core.models import Role
    from iasante.lag import service

    cli_principal([Role.biologist, Role.clinician], "lag.cases")
    with session_scope() as session:
        for c in service.list_cases(session):
            signed = f" signed by {c.signed_by}" if c.signed_by else ""
            typer.echo(
                f"{c.id}\t{c.created_at:%Y-%m-%d %H:%M}\t{c.genome}\t{c.n_variants}\t{c.status}{signed}\t{c.name}"
            )


@app.command("report")
def report_cmd(
    case_id: Annotated[int, typer.Argument(help="Case id (see `iasante lag cases`).")],
    out: Annotated[Path, typer.Option("--out", help="Output file: .pdf, .html, .tsv or .vcf.")],
) -> None:
    """Write a case's report (PDF/HTML) or export (TSV/VCF)."""
    from iasante.core.auth import cli_principal
    from iasante.core.db import session_scope
    from iasante.core.errors import look_up_option
    from iasante.core.models import Role
    from iasante.lag import report, service

    who = cli_principal([Role.biologist, Role.clinician], "lag.report")
    kind = look_up_option(out.suffix.lower().lstrip("."), ["pdf", "html", "tsv", "vcf"], "report format")
    with session_scope() as session:
        case = service.get_case(session, case_id, actor=who.username, ip="cli")
        if kind == "pdf":
            out.write_bytes(report.report_pdf(case))
        else:
            writer = {"html": report.report_html, "tsv": report.export_tsv, "vcf": report.export_vcf}[kind]
            out.write_text(writer(case))
    typer.echo(f"written {out}")


# part 1's commands (run, simulate, evaluate) live in cli_calling; `iasante lag` offers both parts
from iasante.lag import cli_calling  # noqa: E402

app.registered_commands += cli_calling.app.registered_commands
