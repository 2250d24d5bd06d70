"""``iasante iot``: NEWS2 scoring, early COVID-19 alerts, device registry, MQTT broker, ingestion and simulator.

Imports of pandas, paho and the model happen inside the commands, so ``iasante iot --help`` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from iasante.core.progress import console

app = typer.Typer(help="CoIoT-19: connected-device monitoring of suspected COVID-19 patients.",
                  no_args_is_help=True)


def _report(errors: list[str]) -> None:
    for line in errors:
        console.print(f"error: {line}", markup=False, highlight=False)


@app.command()
def detect(
    wearables: Annotated[Path, typer.Option(help="Daily wearables CSV (Welltory wearables.csv format).")],
    participants: Annotated[Path, typer.Option(help="Participants CSV (Welltory participants.csv format).")],
    out: Annotated[Path, typer.Option(help="Output CSV: user_code,day,score,alert.")],
    explain: Annotated[bool, typer.Option(help="Add an explanation column for alert days.")] = False,
) -> None:
    """Score every user-day for pre-symptomatic COVID-19 (only data up to that day is used)."""
    from iasante.iot.scoring import detect_file

    result, warnings = detect_file(wearables, participants, out, explain=explain)
    for line in warnings:
        console.print(f"warning: {line}", markup=False, highlight=False)
    console.print(f"{len(result)} user-days, {int(result['alert'].sum())} alert days → {out}")


@app.command()
def news2(
    input: Annotated[Path, typer.Option("--input", help="Vitals CSV: resp_rate,spo2,spo2_scale,on_oxygen,"
                                        "systolic_bp,pulse,consciousness,temperature.")],
    out: Annotated[Path, typer.Option(help="Output CSV: the input rows plus news2,risk.")],
) -> None:
    """NEWS2 (RCP 2017) of each row; invalid rows are reported on stderr, skipped, and the exit code is 2."""
    from iasante.iot.scoring import score_vitals_file

    written, errors = score_vitals_file(input, out)
    _report(errors)
    console.print(f"{written} rows scored → {out}")
    if errors:
        raise typer.Exit(2)


@app.command()
def train(
    out: Annotated[Path | None, typer.Option(help="Weights file (default: the package's weights).")] = None,
) -> None:
    """Re-learn the detector on Welltory (seeded, participant-held-out evaluation) and write its metrics."""
    from iasante.core.progress import fraction_bar
    from iasante.iot.model import WEIGHTS_FILE
    from iasante.iot.train import train as run_training

    with fraction_bar("Training") as update:
        report = run_training(out or WEIGHTS_FILE, on_progress=update)
    model = report["model"]
    console.print(f"held-out sensitivity {model['sensitivity']:.2f} "
                  f"(95% CI {model['ci95']['sensitivity'][0]:.2f}–{model['ci95']['sensitivity'][1]:.2f}), "
                  f"false alerts {model['false_alerts_per_month']:.2f}/person-month; "
                  f"threshold {report['final_threshold']:.4f}")
