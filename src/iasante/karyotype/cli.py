"""``iasante karyotype``: classify chromosomes, analyse metaphases, synthesise, train, evaluate, demo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from iasante.core.cli_common import add_demo_command, add_status_command, write_rows_then_errors
from iasante.core.models import Role

app = typer.Typer(
    help="Karyotype AI: chromosome classification and orientation, karyogram and ISCN.", no_args_is_help=True
)


@app.command()
def classify(
    paths: Annotated[list[str], typer.Argument(help="Single-chromosome images (PNG/BMP/TIFF/JPEG) or folders.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="CSV to write (default: stdout).")] = None,
) -> None:
    """One row per image: input,chromosome,confidence,angle_deg.

    angle_deg is the counter-clockwise rotation (-180..180) that turned an upright, p-arm-up chromosome into
    the image; upright = long (principal) axis vertical, not the frame a stored crop happens to have (see
    docs/karyotype.md). Exit 0 when every image was read, 2 when some were not (the others are still written).
    """
    from iasante.karyotype import service

    rows, errors = service.classify_files(paths)
    write_rows_then_errors(rows, service.CSV_COLUMNS, out, errors)


@app.command()
def analyze(
    image: Annotated[str, typer.Argument(help="Whole metaphase image, bright-on-dark or dark-on-light.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for karyotype.json and karyogram.png.")],
) -> None:
    """Segment, classify and orient every chromosome; write DIR/karyotype.json (iscn, one record per
    chromosome: class, confidence, bbox, angle_deg) and DIR/karyogram.png. Prints the ISCN result."""
    from iasante.karyotype import service

    payload = service.analyze_file(image, out)
    typer.echo(f"{payload['iscn']}\t{payload['n_chromosomes']} chromosomes\t{out / 'karyotype.json'}")


@app.command()
def synth(
    out: Annotated[Path, typer.Option("--out", "-o", help="PNG file to write.")],
    cell: Annotated[int, typer.Option(help="BioImLab cell whose chromosomes are used.")] = 1,
    karyotype: Annotated[str, typer.Option(help="normal, +21, +18, +13, +8, 45,X, 47,XXY, 47,XXX, 47,XYY.")] = "normal",
    dark_on_light: Annotated[bool, typer.Option(help="Render G-band-like dark chromosomes on white.")] = False,
    seed: Annotated[int, typer.Option(help="Random seed of the layout.")] = 0,
) -> None:
    """Build a synthetic metaphase from one real cell; writes the PNG and a JSON truth file beside it."""
    from iasante.karyotype.service import synthesize_file

    truth = synthesize_file(out, cell, karyotype, dark_on_light, seed)
    typer.echo(f"{truth['iscn']}\t{out}")


@app.command()
def train(
    seed: Annotated[int, typer.Option(help="Random seed (split, initialisation, augmentation).")] = 0,
    epochs: Annotated[int, typer.Option(min=1, help="CNN training epochs.")] = 30,
    out: Annotated[Path | None, typer.Option(help="Weights folder (default: the package's weights/).")] = None,
    members: Annotated[int, typer.Option(min=1, help="Networks in the ensemble (seeds seed, seed+100, ...).")] = 1,
    band_only: Annotated[
        bool, typer.Option(help="Keep the saved network; refit only the cell-context band model, re-measure.")
    ] = False,
) -> None:
    """Reproduce the committed weights from BioImLab (seeded, CPU); measure single-chromosome metrics."""
    from iasante.karyotype.model import WEIGHTS_DIR
    from iasante.karyotype.train import run_band_training, run_training

    def log(line: str) -> None:
        typer.echo(line, err=True)

    if band_only:
        metrics = run_band_training(out or WEIGHTS_DIR, random_state=seed, log=log)
    else:
        metrics = run_training(out or WEIGHTS_DIR, epochs=epochs, random_state=seed, members=members, log=log)
    typer.echo(json.dumps({k: metrics[k] for k in ("val", "test")}, indent=2))


@app.command()
def evaluate(
    part: Annotated[
        str, typer.Option(help="Cells to use: val or test (of the split stored with the weights).")
    ] = "test",
    per_cell: Annotated[int, typer.Option(min=1, help="Synthetic metaphases per cell.")] = 4,
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic spreads.")] = 0,
    out: Annotated[Path | None, typer.Option(help="JSON to write (default: weights/metaphase_<part>.json).")] = None,
) -> None:
    """The lab's four metrics on synthetic metaphases (trisomies, sex aneuploidies) of held-out cells."""
    from iasante.karyotype.service import evaluate_part

    summary = evaluate_part(part, per_cell, seed, out, log=lambda line: typer.echo(line, err=True))
    typer.echo(json.dumps(summary, indent=2))


add_status_command(app, "karyotype")
add_demo_command(
    app, "karyotype", [Role.biologist], "Analyse the shipped demo metaphase into the database (idempotent)."
)
