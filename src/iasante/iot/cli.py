"""``iasante iot``: NEWS2 scoring, early COVID-19 alerts, device registry, MQTT broker, ingestion and simulator.

Imports of pandas, paho and the model happen inside the commands, so ``iasante iot --help`` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from iasante.core.progress import console

app = typer.Typer(help="CoIoT-19: connected-device monitoring of suspected COVID-19 patients.", no_args_is_help=True)


def _report(errors: list[str]) -> None:
    for line in errors:
        console.print(f"error: {line}", markup=False, highlight=False, soft_wrap=True)


@app.command()
def detect(
    wearables: Annotated[Path, typer.Option(help="Daily wearables CSV (Welltory wearables.csv format).")],
    participants: Annotated[Path, typer.Option(help="Participants CSV (Welltory participants.csv format).")],
    out: Annotated[Path, typer.Option(help="Output CSV: user_code,day,score,alert.")],
    explain: Annotated[bool, typer.Option(help="Add tier (alert, watch) and explanation columns.")] = False,
) -> None:
    """Score every user-day for pre-symptomatic COVID-19 (only data up to that day is used)."""
    from iasante.iot.scoring import detect_file

    result, warnings = detect_file(wearables, participants, out, explain=explain)
    for line in warnings:
        console.print(f"warning: {line}", markup=False, highlight=False, soft_wrap=True)
    console.print(f"{len(result)} user-days, {int(result['alert'].sum())} alert days → {out}")


@app.command()
def news2(
    input: Annotated[
        Path,
        typer.Option(
            "--input",
            help="Vitals CSV: resp_rate,spo2,spo2_scale,on_oxygen,systolic_bp,pulse,consciousness,temperature.",
        ),
    ],
    out: Annotated[Path, typer.Option(help="Output CSV: the input rows plus news2,risk.")],
) -> None:
    """NEWS2 (RCP 2017) of each row; invalid rows keep their place with news2/risk empty, are reported on stderr,
    and the exit code is 2."""
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
    console.print(
        f"held-out sensitivity {model['sensitivity']:.2f} "
        f"(95% CI {model['ci95']['sensitivity'][0]:.2f}–{model['ci95']['sensitivity'][1]:.2f}), "
        f"false alerts {model['false_alerts_per_month']:.2f}/person-month; "
        f"threshold {report['final_threshold']:.4f}"
    )


@app.command("selection-check")
def selection_check(
    out: Annotated[Path | None, typer.Option(help="Also write the full report (JSON) here.")] = None,
) -> None:
    """Held-out metrics when the detector variant is chosen blind inside each fold (a few minutes)."""
    import json

    from iasante.core.progress import fraction_bar
    from iasante.iot.selection import nested_selection

    with fraction_bar("Nested selection") as update:
        report = nested_selection(on_progress=update)
    if out:
        out.write_text(json.dumps(report, indent=1, default=float) + "\n")
    console.print(
        f"selection-aware sensitivity {report['sensitivity']:.3f} of {report['n_evaluable']} "
        f"(95% CI {report['ci95']['sensitivity'][0]:.2f}–{report['ci95']['sensitivity'][1]:.2f}), "
        f"false alerts {report['false_alerts_per_month']:.2f}/person-month; chosen: {report['chosen']}"
    )


@app.command("patient-add")
def patient_add(
    patient_id: Annotated[str, typer.Argument(help="Hospital identifier (stored only as a pseudonym).")],
    label: Annotated[str, typer.Option(help="Display label (no identifying data).")] = "",
    ward: Annotated[str, typer.Option(help="Ward or unit.")] = "",
    spo2_scale: Annotated[int, typer.Option(help="NEWS2 SpO2 scale: 2 only if prescribed (hypercapnia).")] = 1,
) -> None:
    """Register a monitored patient; prints the pseudonym."""
    from iasante.core.auth import cli_principal
    from iasante.core.db import session_scope
    from iasante.core.models import Role
    from iasante.iot.service import add_patient

    who = cli_principal([Role.clinician], "iot.patient_add")
    with session_scope() as session:
        pseudo = add_patient(session, who, patient_id, label, ward, spo2_scale).pseudo
    typer.echo(pseudo)


@app.command("device-add")
def device_add(
    device_id: Annotated[str, typer.Argument(help="Device id = its MQTT user name (letters, digits, -, _).")],
    patient: Annotated[str, typer.Option(help="Pseudonym (P-...) of the patient wearing it.")],
    kind: Annotated[str, typer.Option(help="wearable, oximeter, monitor...")] = "wearable",
) -> None:
    """Register a device (or re-key it); prints its password once (MQTT password and HTTP bearer token)."""
    from iasante.core.auth import cli_principal
    from iasante.core.db import session_scope
    from iasante.core.models import Role
    from iasante.iot.service import add_device, find_patient

    who = cli_principal([Role.clinician], "iot.device_add")
    with session_scope() as session:
        password = add_device(session, who, device_id, find_patient(session, patient), kind)
    typer.echo(password)
    console.print(
        f"publish to iasante/devices/{device_id}/readings (JSON) or .../fhir (FHIR R4), QoS 1, or POST "
        f"/api/iot/devices/{device_id}/readings with 'Authorization: Bearer <password>'"
    )


@app.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(help="File to import.")],
    format: Annotated[
        str, typer.Option("--format", help="welltory, welltory-surveys, physionet or fhir.")
    ] = "welltory",
    device: Annotated[str, typer.Option(help="Registered device id (fhir only).")] = "",
    ward: Annotated[str, typer.Option(help="Ward of new patients.")] = "",
) -> None:
    """Import Welltory wearables or surveys CSV, PhysioNet 2012 long-format vitals, or FHIR R4 JSON."""
    from datetime import UTC, datetime

    from iasante.core.auth import cli_principal
    from iasante.core.db import session_scope
    from iasante.core.errors import look_up_option
    from iasante.core.models import Role
    from iasante.iot import files

    look_up_option(format, ["welltory", "welltory-surveys", "physionet", "fhir"], "format")
    who = cli_principal([Role.clinician], "iot.import")
    with session_scope() as session:
        if format == "welltory":
            result = files.import_welltory(session, who, path, ward)
        elif format == "welltory-surveys":
            result = files.import_welltory_surveys(session, who, path, ward)
        elif format == "physionet":
            result = files.import_physionet(session, who, path, datetime.now(UTC), ward)
        else:
            result = files.import_fhir(session, who, path, device)
    console.print(", ".join(f"{k} {v}" for k, v in result.items() if k != "reason"))
    if result.get("dead"):
        _report(
            [
                f"{path}: {result.get('reason') or str(result['dead']) + ' reading(s) rejected'} "
                "(kept in the dead-letter table)"
            ]
        )
        raise typer.Exit(2)


@app.command()
def broker(
    port: Annotated[int, typer.Option(help="TCP port.")] = 1883,
    host: Annotated[str, typer.Option(help="Interface.")] = "127.0.0.1",
) -> None:
    """Run Mosquitto with the generated config (passwords, per-device ACL, persistence) until Ctrl-C."""
    from iasante.iot.broker import broker_dir, start_broker

    process = start_broker(port, host=host)
    console.print(f"mosquitto on {host}:{port}, config and data in {broker_dir()}")
    try:
        raise typer.Exit(process.wait())
    except KeyboardInterrupt:
        process.terminate()
        process.wait(timeout=10)


@app.command()
def listen(
    host: Annotated[str, typer.Option(help="Broker host.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Broker port.")] = 1883,
    anonymous: Annotated[bool, typer.Option(help="Broker without passwords (tests only).")] = False,
    seconds: Annotated[float, typer.Option(help="Stop after this long (0 = until Ctrl-C).")] = 0,
) -> None:
    """Ingest every device message (persistent session, QoS 1, ack after commit) and update scores/alerts."""
    import time

    from iasante.iot.broker import INGEST_USER, ingest_password
    from iasante.iot.listener import Listener
    from iasante.iot.service import detector_or_none

    user, password = (None, None) if anonymous else (INGEST_USER, ingest_password())
    listener = Listener(host, port, user, password, detector_or_none()).start()
    console.print(f"listening on {host}:{port} (Ctrl-C to stop)")
    started = time.monotonic()
    try:
        while not seconds or time.monotonic() - started < seconds:
            time.sleep(min(5.0, seconds or 5.0))
            s = listener.stats
            console.print(f"received {s.received}, stored {s.stored}, duplicates {s.duplicates}, dead {s.dead}")
    except KeyboardInterrupt:
        pass
    finally:
        listener.stop()


@app.command()
def simulate(
    source: Annotated[str, typer.Option(help="welltory or physionet.")] = "welltory",
    speed: Annotated[float, typer.Option(help="Recorded seconds per wall second (0 = as fast as possible).")] = 86400.0,
    limit: Annotated[int, typer.Option(help="Number of participants / ICU stays replayed.")] = 3,
    host: Annotated[str, typer.Option(help="Broker host.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Broker port.")] = 1883,
    anonymous: Annotated[bool, typer.Option(help="Broker without passwords (tests only).")] = False,
    data: Annotated[Path | None, typer.Option(help="Source file (default: the shared data set).")] = None,
) -> None:
    """Replay ../shared/data/iot (Welltory wearables or PhysioNet 2012 ICU vitals) over MQTT."""
    from iasante.iot.simulate_cli import run_simulation

    report = run_simulation(source, speed, limit, host, port, anonymous, data)
    console.print(f"{report.messages} messages from {report.devices} devices in {report.seconds:.1f} s")
