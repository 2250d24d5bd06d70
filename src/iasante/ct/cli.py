"""``iasante ct``: ScanCovid-IA chest CT triage (predict, train, status, demo, studies)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from iasante.core.cli_common import add_demo_command, add_status_command, write_rows_then_errors
from iasante.core.models import Role

app = typer.Typer(
    help="ScanCovid-IA: chest CT triage normal / pathological / COVID-19 from slices and series.",
    no_args_is_help=True,
)


@app.command()
def predict(
    paths: Annotated[
        list[str],
        typer.Argument(help="PNG/JPEG slices, DICOM files, NIfTI volumes, or folders (one folder = one series)."),
    ],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="CSV to write (default: stdout).")] = None,
    heatmaps: Annotated[
        Path | None, typer.Option(help="Folder for Grad-CAM PNGs of the slices that drove each call.")
    ] = None,
) -> None:
    """One row per PATH; CSV columns input,p_abnormal,p_covid,prediction (normal, pathological or covid).

    Exit 0 when every input was read, 2 when some were not (the others are still written).
    """
    from iasante.ct import service

    rows, errors = service.predict_paths(paths, heatmaps)
    write_rows_then_errors(rows, service.CSV_COLUMNS, out, errors)


@app.command()
def train(
    seed: Annotated[int, typer.Option(help="Random seed (split, folds, initialisation, augmentation).")] = 0,
    folds: Annotated[int, typer.Option(min=2, help="Patient-disjoint CV folds = ensemble members per crop.")] = 5,
    epochs: Annotated[int, typer.Option(min=1, help="Training epochs per member.")] = 20,
    out: Annotated[Path | None, typer.Option(help="Weights folder (default: the package's weights/).")] = None,
    cache: Annotated[Path, typer.Option(help="Pre-processed array cache.")] = Path("/tmp/ct_cache"),
    recalibrate_only: Annotated[
        bool, typer.Option(help="Keep the members trained in --out; redo calibration, thresholds and metrics.")
    ] = False,
) -> None:
    """Reproduce the committed weights from ../shared/data/ct (seeded, CPU) and measure them."""
    from iasante.ct.model import WEIGHTS_DIR
    from iasante.ct.train import recalibrate
    from iasante.ct.train import train as run_training

    def log(line: str) -> None:
        typer.echo(line, err=True)

    if recalibrate_only:
        metrics = recalibrate(out or WEIGHTS_DIR, seed=seed, epochs=epochs, cache_dir=cache, log=log)
    else:
        metrics = run_training(out or WEIGHTS_DIR, n_folds=folds, epochs=epochs, seed=seed, cache_dir=cache, log=log)
    test = metrics["test"]["covid_vs_noncovid"]["auc"]
    typer.echo(f"test COVID AUC {test['value']} (95% CI {test['ci95_low']}-{test['ci95_high']})")


@app.command()
def studies(limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 20) -> None:
    """List stored studies (pseudonymised patient, call, probabilities)."""
    from iasante.core import audit
    from iasante.core.auth import cli_principal
    from iasante.core.db import session_scope
    from iasante.core.models import Role
    from iasante.ct.service import list_studies

    who = cli_principal([Role.clinician, Role.data_scientist], "ct.studies")
    with session_scope() as session:
        rows = list_studies(session, limit)
        audit.record(session, who.username, "read", "ct_study", "list", ip="cli", detail=f"{len(rows)} rows")
        typer.echo("id\tcreated\tpatient\tinput\tstatus\tp_abnormal\tp_covid\tprediction")
        for s in rows:
            probs = [f"{p:.3f}" if p is not None else "" for p in (s.p_abnormal, s.p_covid)]
            typer.echo(
                f"{s.id}\t{s.created_at:%Y-%m-%d %H:%M}\t{s.patient or ''}\t{s.input_name}\t{s.status}\t"
                f"{probs[0]}\t{probs[1]}\t{s.prediction or ''}"
            )


add_status_command(app, "ct")
add_demo_command(
    app, "ct", [Role.clinician], "Store and analyse the shipped demo studies in the database (idempotent)."
)
