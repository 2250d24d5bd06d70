"""``iasante drugs``: potency prediction, repositioning screen, docking, lead finding, training."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from iasante.core.cli_common import add_status_command

EXHAUSTIVENESS = 4  # = iasante.drugs.docking.EXHAUSTIVENESS, not imported so that --help loads no RDKit
_EXHAUSTIVENESS_HELP = "Vina exhaustiveness (Vina's own default is 8)."

app = typer.Typer(help="COVIDrug-19: SARS-CoV-2 Mpro potency model, Vina docking, repositioning screen.",
                  no_args_is_help=True)


def _report(errors: list[str]) -> None:
    for message in errors:
        typer.echo(f"error: {message}", err=True)


@app.command()
def predict(
    input: Annotated[Path, typer.Option("--input", "-i", help="CSV (or TSV) of compounds.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV to write.")],
    smiles_column: Annotated[str | None, typer.Option(help="Column holding the SMILES (default: a column "
                                                      "named smiles/SMILES/...).")] = None,
) -> None:
    """OUT = the input columns + pIC50_pred,pIC50_low,pIC50_high,in_domain (90 % conformal interval; in_domain
    = nearest training compound at Tanimoto ≥ 0.35). Invalid SMILES: one error line each, the row is kept with
    empty predictions, the others are scored, exit 2."""
    from iasante.core.progress import fraction_bar
    from iasante.drugs import service

    with fraction_bar("Scoring") as update:
        update(0.0, str(input))
        written, errors = service.predict_file(input, smiles_column, out)
        update(1.0, f"{written} compounds")
    _report(errors)
    if errors:
        raise typer.Exit(2)


@app.command()
def screen(
    out: Annotated[Path, typer.Option("--out", "-o", help="Ranked CSV to write.")],
    library: Annotated[str, typer.Option(help="'approved' (DrugCentral approved drugs) or a CSV with a SMILES "
                                         "column (optional id, name).")] = "approved",
    dock: Annotated[bool, typer.Option("--dock", help="Also dock the best-ranked compounds with Vina.")] = False,
    dock_top: Annotated[int, typer.Option(min=1, help="How many top compounds --dock docks.")] = 10,
    workers: Annotated[int, typer.Option(min=1, help="Dask worker processes for --dock.")] = 2,
    exhaustiveness: Annotated[int, typer.Option(min=1, max=64, help=_EXHAUSTIVENESS_HELP)] = EXHAUSTIVENESS,
    smiles_column: Annotated[str | None, typer.Option(help="SMILES column of a FILE library (default: "
                                                      "guessed).")] = None,
) -> None:
    """Rank a library by predicted pIC50: rank,id,name,smiles,smiles_std,pIC50_pred,pIC50_low,pIC50_high,
    in_domain,max_sim_train,max_sim_active,nearest_active,nearest_active_pIC50,qed,lipinski_violations,pains
    [,vina_score_kcal]. Unreadable compounds: one error line each, exit 2 after writing the rest."""
    from iasante.core.progress import fraction_bar
    from iasante.drugs import service

    with fraction_bar("Screening") as update:
        ranked, errors = service.screen(library, progress=update, smiles_column=smiles_column)
    if dock:
        top = ranked.head(dock_top)
        with fraction_bar(f"Docking top {len(top)}") as update:
            records = service.dock_many(top.smiles.tolist(), workers, exhaustiveness, progress=update)
        ranked["vina_score_kcal"] = None
        ranked.loc[top.index, "vina_score_kcal"] = [r["scores_kcal"][0] if r["scores_kcal"] else None
                                                    for r in records]
        errors += [f"dock {r['smiles']}: {r['error']}" for r in records if r["error"]]
    service._write_csv(ranked, out)
    typer.echo(f"{len(ranked)} compounds ranked -> {out}", err=True)
    _report(errors)
    if errors:
        raise typer.Exit(2)


@app.command("dock")
def dock_command(
    smiles: Annotated[str, typer.Argument(help="Ligand SMILES.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for poses.sdf, scores.csv, docking.json.")],
    exhaustiveness: Annotated[int, typer.Option(min=1, max=64, help=_EXHAUSTIVENESS_HELP)] = EXHAUSTIVENESS,
    seed: Annotated[int, typer.Option(help="Vina and conformer seed.")] = 0,
) -> None:
    """Dock one ligand into SARS-CoV-2 Mpro (box from the bound Moonshot ligand); prints the best Vina score
    (kcal/mol). Writes DIR/poses.sdf (best first), DIR/scores.csv (pose,vina_score_kcal), DIR/docking.json."""
    from iasante.core.errors import InputDataError
    from iasante.core.progress import fraction_bar
    from iasante.drugs import chem, service

    chem.standardise(smiles)  # bad SMILES -> exit 2 before any work
    with fraction_bar("Docking") as update:
        update(0.0, "Vina")
        record = service.dock_record(smiles, exhaustiveness, seed)
        update(1.0, "done")
    if record["error"]:
        raise InputDataError(record["error"])
    service.write_docking(record, out)
    typer.echo(f"{record['scores_kcal'][0]:.3f}\t{out / 'poses.sdf'}")


@app.command()
def analogues(
    smiles: Annotated[str, typer.Argument(help="SMILES of the hit to optimise.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV to write.")],
    top: Annotated[int, typer.Option(min=1, help="Analogues kept.")] = 25,
    min_qed: Annotated[float, typer.Option(min=0, max=1, help="Minimum QED drug-likeness.")] = 0.4,
) -> None:
    """Propose analogues of a hit (one-step medicinal-chemistry transformations), scored by the model and
    filtered by drug-likeness; first row is the hit itself."""
    from iasante.drugs import service
    from iasante.drugs.leads import propose_analogues

    table = propose_analogues(smiles, top, min_qed)
    service._write_csv(table, out)
    typer.echo(f"{len(table) - 1} analogues -> {out}", err=True)


@app.command()
def series(
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV to write.")],
    min_pic50: Annotated[float, typer.Option(help="Actives: pIC50 at least this.")] = 5.0,
) -> None:
    """Cluster Moonshot actives into series (Butina on Murcko scaffolds), biggest first."""
    from iasante.drugs import service
    from iasante.drugs.leads import cluster_actives

    table = cluster_actives(min_pic50)
    service._write_csv(table, out)
    typer.echo(f"{len(table)} series -> {out}", err=True)


@app.command()
def train(
    seed: Annotated[int, typer.Option(help="Base random seed of the ensemble.")] = 0,
    out: Annotated[Path | None, typer.Option(help="Weights folder (default: the package's weights/).")] = None,
    assets_only: Annotated[bool, typer.Option("--assets-only", help="Only rebuild the docking receptor, box "
                                              "and reference ligand.")] = False,
) -> None:
    """Reproduce the committed weights from the Moonshot data (seeded, CPU) and measure the model-card metrics
    (series and scaffold splits, 95 % group-bootstrap CIs); also rebuilds the docking assets."""
    from iasante.drugs import docking, io
    from iasante.drugs import train as training

    folder = out or training.WEIGHTS_DIR
    box = docking.prepare_assets(io.data_root(), folder)
    typer.echo(f"docking box {box}", err=True)
    if assets_only:
        return
    metrics = training.run({"random_state": seed}, folder, log=lambda line: typer.echo(line, err=True))
    typer.echo(json.dumps({k: metrics[k]["model"] for k in ("series", "scaffold")}, indent=2))


@app.command()
def redock(
    exhaustiveness: Annotated[int, typer.Option(min=1, max=64, help=_EXHAUSTIVENESS_HELP)] = EXHAUSTIVENESS,
    seed: Annotated[int, typer.Option(help="Vina seed.")] = 0,
) -> None:
    """Re-dock the crystal Moonshot ligand; prints the top-pose RMSD (Å) and exits 1 if it is ≥ 2 Å."""
    from iasante.drugs.docking import redock_reference

    rmsd, result = redock_reference(exhaustiveness, seed)
    typer.echo(f"rmsd_A={rmsd:.2f}\tvina_score_kcal={result.best_score:.3f}\tseconds={result.seconds}")
    if rmsd >= 2.0:
        raise typer.Exit(1)


add_status_command(app, "drugs")
