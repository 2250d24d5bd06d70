"""CLI of LAG part 1 (merged into ``iasante lag`` by :mod:`iasante.lag.cli`): run, simulate, evaluate.

Exit codes (mapped by the root CLI): 0 ok, 2 bad input (truncated/unpaired FASTQ, bad reference, mismatched
contigs, reads that do not map), 6 an external tool failed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from iasante.core.progress import console, fraction_bar

app = typer.Typer(help="SV/CNV calling workflow (FASTQ to VCF), simulation kit and scoring.", no_args_is_help=True)


@app.command("run")
def run(
    reference: Annotated[Path, typer.Option("--reference", help="Reference FASTA (plain or gzip).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder (NAME.sv.vcf.gz, .tbi, NAME.qc.html).")],
    fastq: Annotated[tuple[Path, Path] | None, typer.Option("--fastq", help="Paired FASTQ: R1 R2.")] = None,
    bam: Annotated[Path | None, typer.Option("--bam", help="Aligned BAM/CRAM instead of FASTQ.")] = None,
    sample: Annotated[str | None, typer.Option("--sample", help="Sample name (default: from R1).")] = None,
    cores: Annotated[int, typer.Option("--cores", min=1, help="Cores (local) or parallel jobs.")] = 2,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile", help="Executor profile: slurm, kubernetes, azure-batch or a folder (default: local)."
        ),
    ] = None,
    callers: Annotated[str, typer.Option("--callers", help="Comma-separated callers.")] = "delly,lumpy,tiddit,cnvkit",
    build: Annotated[str, typer.Option("--build", help="Genome build of the reference.")] = "GRCh37",
) -> None:
    """Call SVs and CNVs of one sample: FASTQ (or BAM) to one merged, indexed VCF 4.2 and a QC page."""
    from iasante.lag.calling import run_calling

    out.mkdir(parents=True, exist_ok=True)
    if reference.is_file() and not all(Path(f"{reference}{ext}").is_file() for ext in (".fai", ".bwt", ".sa")):
        console.print(
            f"note: {reference} has no FASTA/BWA index; building one in the work folder ({out / '.lag_work'})",
            highlight=False,
            soft_wrap=True,
        )
    with fraction_bar("LAG calling") as update:
        result = run_calling(
            reference,
            out,
            fastq=list(fastq) if fastq else None,
            bam=bam,
            sample=sample,
            cores=cores,
            callers=[c.strip() for c in callers.split(",") if c.strip()],
            profile=profile,
            genome_build=build,
            on_progress=update,
        )
    if result["calls"] == 0:
        console.print(
            f"warning: no structural variant passed the filters for {result['sample']} (see {result['qc_html']})",
            highlight=False,
            soft_wrap=True,
        )
    typer.echo(f"{result['sv_vcf_gz']}\t{result['calls']} events\t{result['qc_html']}")


@app.command("simulate")
def simulate(
    reference: Annotated[Path, typer.Option("--reference", help="Reference FASTA to plant events into.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    sample: Annotated[str, typer.Option("--sample")] = "SIM",
    coverage: Annotated[float, typer.Option("--coverage", min=1, help="Diploid coverage (x).")] = 30.0,
    n_del: Annotated[int, typer.Option("--del", min=0)] = 4,
    n_dup: Annotated[int, typer.Option("--dup", min=0)] = 4,
    n_inv: Annotated[int, typer.Option("--inv", min=0)] = 4,
    n_ins: Annotated[int, typer.Option("--ins", min=0)] = 2,
    n_tra: Annotated[int, typer.Option("--tra", min=0, help="Reciprocal translocations (>= 2 contigs).")] = 0,
    min_size: Annotated[int, typer.Option("--min-size", min=50, help="bp")] = 1000,
    max_size: Annotated[int, typer.Option("--max-size", min=50, help="bp")] = 100_000,
    simulator: Annotated[str, typer.Option("--simulator", help="wgsim, art or dwgsim.")] = "wgsim",
    read_bp: Annotated[int, typer.Option("--read-length", min=50)] = 150,
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """Plant DEL/DUP/INV/INS/translocations, simulate paired reads and write the truth VCF."""
    from iasante.lag.simulate import simulate_patient

    counts = {"DEL": n_del, "DUP": n_dup, "INV": n_inv, "INS": n_ins, "TRA": n_tra}
    result = simulate_patient(
        reference,
        out,
        sample,
        {k: v for k, v in counts.items() if v},
        coverage=coverage,
        read_bp=read_bp,
        simulator=simulator,
        seed=seed,
        min_size_bp=min_size,
        max_size_bp=max_size,
    )
    fastq = result["fastq"]
    assert isinstance(fastq, list)
    typer.echo(f"{fastq[0]}\t{fastq[1]}\t{result['truth_vcf']}\t{len(result['events'])} events")  # type: ignore[arg-type]


@app.command("evaluate")
def evaluate(
    calls: Annotated[Path, typer.Option("--calls", help="Called VCF (bgzipped).")],
    truth: Annotated[Path, typer.Option("--truth", help="Truth VCF (bgzipped), e.g. from simulate.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for truvari outputs and summary.json.")],
) -> None:
    """Score calls against a truth set with truvari: precision, recall, F1 per type; insertions apart."""
    from iasante.lag.simulate import score_calls

    summary = score_calls(calls, truth, out)
    typer.echo(json.dumps(summary, indent=1))
