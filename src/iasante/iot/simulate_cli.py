"""Glue between ``iasante iot simulate`` and the simulator: pick the source, register devices, show progress."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from iasante.core.auth import cli_principal
from iasante.core.config import get_settings
from iasante.core.db import session_scope
from iasante.core.errors import ConfigError, look_up_option
from iasante.core.models import Role
from iasante.core.progress import fraction_bar
from iasante.iot.files import Replay, physionet_replay, welltory_replay
from iasante.iot.simulate import SimulationReport, replay


def _default_source(source: str) -> Path:
    data = get_settings().data_dir
    name = "welltory/wearables.csv" if source == "welltory" else "physionet2012/vitals_long.csv.gz"
    path = data / "iot" / name if data else None
    if path is None or not path.is_file():
        raise ConfigError(f"{source} data not found: set IASANTE_DATA_DIR or pass --data")
    return path


def select_replays(source: str, limit: int, data: Path | None) -> list[Replay]:
    """The first ``limit`` participants (Welltory, most days first) or ICU stays (PhysioNet) of the source."""
    look_up_option(source, ["welltory", "physionet"], "source")
    path = data or _default_source(source)
    if source == "welltory":
        items = list(welltory_replay(path))
        counts: dict[str, int] = {}
        for item in items:
            counts[item.device_id] = counts.get(item.device_id, 0) + 1
        keep = set(sorted(counts, key=lambda d: (-counts[d], d))[:limit])
    else:
        items = list(physionet_replay(path, datetime.now(UTC).replace(microsecond=0)))
        keep = set(sorted({i.device_id for i in items})[:limit])
    return [i for i in items if i.device_id in keep]


def run_simulation(
    source: str, speed: float, limit: int, host: str, port: int, anonymous: bool, data: Path | None
) -> SimulationReport:
    """Register the replayed devices (fresh passwords, broker reloaded) and replay them over MQTT."""
    from iasante.iot.service import add_device, add_patient

    items = select_replays(source, limit, data)
    passwords: dict[str, str] = {}
    if not anonymous:
        who = cli_principal([Role.clinician], "iot.simulate")
        with session_scope() as session:
            for item in {i.device_id: i for i in items}.values():
                patient = add_patient(
                    session, who, item.patient_id, label=f"Simulated {source}", ward=f"Simulated {source}"
                )
                passwords[item.device_id] = add_device(session, who, item.device_id, patient)
        time.sleep(0.5)  # the broker re-reads its password file on SIGHUP
    with fraction_bar(f"Replaying {source}") as update:
        return replay(
            items,
            host,
            port,
            speed,
            (lambda r: passwords[r.device_id]) if passwords else None,
            on_progress=lambda n: update(n / max(len(items), 1), f"{n}/{len(items)}"),
        )
