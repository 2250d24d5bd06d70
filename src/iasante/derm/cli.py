"""``iasante derm``: melanoma detection from dermoscopic images (predict, train, status, demo, list)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from iasante.core.cli_common import add_demo_command, add_status_command, write_rows_then_errors
from iasante.core.models import Role

app = typer.Typer(help="Melanoma detection from dermoscopic images (HAM10000-trained, PH2-validated).",
                  no_args_is_help=True)


@app.command()
def predict(
    paths: Annotated[list[str], typer.Argument(help="JPEG/PNG images or folders of them.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="CSV to write (default: stdout).")] = None,
    figures: Annotated[Path | None, typer.Option(help="Folder for one PNG per image: outline + Grad-CAM.")] = None,
) -> None:
    """Classify images; CSV columns input,p_melanoma,prediction,p_akiec,p_bcc,p_bkl,p_df,p_mel,p_nv,p_vasc.

    Exit 0 when all images were read, 2 when some were not (the others are still written).
    """
    from iasante.derm import service

    rows, errors = service.predict_files(paths)
    if figures is not None:
        figures.mkdir(parents=True, exist_ok=True)
        for row in rows:
            (figures / f"{Path(row['input']).stem}_derm.png").write_bytes(service.figure_for_file(row["input"]))
    write_rows_then_errors(rows, service.CSV_COLUMNS, out, errors)


@app.command()
def train(
    seed: Annotated[int, typer.Option(help="Random seed (split, initialisation, augmentation).")] = 0,
    epochs: Annotated[int, typer.Option(min=1, help="CNN training epochs.")] = 45,
    out: Annotated[Path | None, typer.Option(help="Weights folder (default: the package's weights/).")] = None,
    cache: Annotated[Path, typer.Option(help="Pre-processed array cache.")] = Path("/tmp/derm_cache"),
) -> None:
    """Reproduce the committed weights from the HAM10000 data (seeded, CPU) and measure test and PH2."""
    from iasante.core.progress import fraction_bar
    from iasante.derm.predictor import WEIGHTS_DIR
    from iasante.derm.train import run_training

    with fraction_bar("Training derm") as update:
        report = run_training(seed=seed, epochs=epochs, out_dir=out or WEIGHTS_DIR, cache_dir=cache,
                              on_progress=update, log=lambda line: typer.echo(line, err=True))
    test, ph2 = report["metrics"]["ham10000_test"], report["metrics"]["ph2_external"]
    typer.echo(f"HAM10000 test melanoma AUC {test['auc_melanoma']}; PH2 AUC {ph2['auc_melanoma']}")


@app.command("list")
def list_command(limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 20) -> None:
    """List stored analyses (id, date, image, p_melanoma, prediction)."""
    from iasante.core.auth import cli_principal
    from iasante.core.db import session_scope
    from iasante.core.models import Role
    from iasante.derm.service import list_analyses

    cli_principal([Role.clinician, Role.data_scientist], "derm.list")
    with session_scope() as session:
        for row in list_analyses(session, limit):
            typer.echo(f"{row.id}\t{row.created_at:%Y-%m-%d %H:%M}\t{row.image_name}\t{row.p_melanoma:.3f}\t"
                       f"{row.prediction}")


add_status_command(app, "derm")
add_demo_command(app, "derm", [Role.clinician, Role.data_scientist],
                 "Analyse the shipped demo images into the database (idempotent).")
