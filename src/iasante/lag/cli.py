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
    input_path: Annotated[
        Path, typer.Argument(metavar="INPUT", help="SV VCF, or BED of chrom,start,end,type.")
    ],
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
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the held-out chromosome draw and the model.")
    ] = 0,
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
