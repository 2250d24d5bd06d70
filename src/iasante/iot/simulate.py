"""Device simulator: replays Welltory or PhysioNet 2012 data over MQTT (QoS 1) at a chosen speed.

Each simulated device connects with its own credentials (``device_id`` / password) and publishes to
``iasante/devices/<device_id>/readings``, so the broker's ACL is exercised exactly as with real devices. With
``speed`` = 3600 one hour of recorded time is sent per second; ``speed`` = 0 sends as fast as possible.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from iasante.core.errors import ExternalToolError
from iasante.iot.files import Replay


@dataclass
class SimulationReport:
    """Messages published (and acknowledged by the broker, QoS 1) and the wall time it took."""

    devices: int
    messages: int
    seconds: float


def _connect(host: str, port: int, device_id: str, password: str | None) -> Any:
    import paho.mqtt.client as mqtt

    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=f"sim-{device_id}", clean_session=False, protocol=mqtt.MQTTv311
    )
    if password is not None:
        client.username_pw_set(device_id, password)
    client.max_inflight_messages_set(100)
    try:
        client.connect(host, port, keepalive=30)
    except OSError as exc:
        raise ExternalToolError(f"MQTT broker {host}:{port} unreachable: {exc}") from exc
    client.loop_start()
    return client


def replay(
    replays: Iterable[Replay],
    host: str,
    port: int,
    speed: float,
    credentials: Callable[[Replay], str | None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> SimulationReport:
    """Publish every replay message in time order, pacing by ``speed`` (recorded seconds per wall second).

    Args:
        credentials: device password for a replay's device (``None`` → anonymous broker).
    """
    items = sorted(replays, key=lambda r: r.at)
    clients: dict[str, Any] = {}
    pending = []
    start_wall = time.monotonic()
    first = items[0].at if items else None
    try:
        for index, item in enumerate(items):
            if item.device_id not in clients:
                password = credentials(item) if credentials else None
                clients[item.device_id] = _connect(host, port, item.device_id, password)
            if speed > 0 and first is not None:
                due = (item.at - first).total_seconds() / speed
                delay = due - (time.monotonic() - start_wall)
                if delay > 0:
                    time.sleep(delay)
            info = clients[item.device_id].publish(
                f"iasante/devices/{item.device_id}/readings", json.dumps(item.payload), qos=1
            )
            pending.append(info)
            if on_progress:
                on_progress(index + 1)
        for info in pending:
            info.wait_for_publish(timeout=60)
            if not info.is_published():
                raise ExternalToolError("MQTT broker did not acknowledge every message (QoS 1) within 60 s")
    finally:
        for client in clients.values():
            client.disconnect()
            client.loop_stop()
    return SimulationReport(len(clients), len(items), time.monotonic() - start_wall)
