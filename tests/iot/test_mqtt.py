"""Real Mosquitto: per-device credentials and ACL, persistent QoS 1 ingestion across broker and listener
restarts (zero loss, idempotent), and the simulator replaying Welltory data."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from sqlalchemy import func, select

from iasante.core.auth import Principal
from iasante.core.db import session_scope
from iasante.iot import broker as broker_mod
from iasante.iot import service
from iasante.iot.db import Reading
from iasante.iot.listener import Listener

pytestmark = pytest.mark.mqtt
ADMIN = Principal("setup", "admin")
DEMO = Path(__file__).resolve().parents[2] / "src" / "iasante" / "iot" / "demo"
T0 = datetime(2020, 4, 1, tzinfo=UTC)


def _device(folder: Path, device_id: str, patient_id: str) -> str:
    with session_scope() as session:
        patient = service.add_patient(session, ADMIN, patient_id)
        password = service.add_device(session, ADMIN, device_id, patient, update_broker=False)
    broker_mod.set_password(device_id, password, folder)
    broker_mod.reload_broker(folder)
    return password


def _publisher(port: int, user: str, password: str) -> mqtt.Client:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"pub-{user}", clean_session=False)
    client.username_pw_set(user, password)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def _count() -> int:
    with session_scope() as session:
        return int(session.scalar(select(func.count(Reading.id))) or 0)


def _wait_count(expected: int, timeout_s: float = 20) -> int:
    deadline = time.monotonic() + timeout_s
    while _count() < expected and time.monotonic() < deadline:
        time.sleep(0.1)
    return _count()


def _listener(broker) -> Listener:  # type: ignore[no-untyped-def]
    return Listener(
        "127.0.0.1",
        broker.port,
        broker_mod.INGEST_USER,
        broker_mod.ingest_password(broker.folder),
        service.get_detector(),
    ).start()


def test_acl_persistence_and_zero_loss(iasante_home: Path, secure_broker) -> None:  # type: ignore[no-untyped-def]
    password_a = _device(secure_broker.folder, "dev-a", "IPP-A")
    password_b = _device(secure_broker.folder, "dev-b", "IPP-B")
    time.sleep(0.3)
    # a device may not read other devices' topics either (ACL: devices write only)
    overheard: list[str] = []
    eavesdropper = _publisher(secure_broker.port, "dev-b", password_b)
    eavesdropper.on_message = lambda _c, _u, msg: overheard.append(msg.topic)
    eavesdropper.subscribe("iasante/devices/#", qos=1)
    time.sleep(0.3)  # subscription in place before dev-a publishes

    # wrong password: refused
    intruder = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="intruder")
    intruder.username_pw_set("dev-a", "wrong-password")
    assert intruder.connect("127.0.0.1", secure_broker.port) == 0
    assert intruder.loop(timeout=2.0) != 0 or not intruder.is_connected()

    listener = _listener(secure_broker)  # registers the persistent session
    listener.stop()
    pub = _publisher(secure_broker.port, "dev-a", password_a)
    infos = [
        pub.publish(
            "iasante/devices/dev-a/readings",
            json.dumps({"ts": (T0 + timedelta(minutes=i)).isoformat(), "metric": "hr_bpm", "value": 60 + i % 20}),
            qos=1,
        )
        for i in range(200)
    ]
    spoof = pub.publish(
        "iasante/devices/dev-b/readings",  # ACL: dev-a may not write dev-b's topic
        json.dumps({"ts": T0.isoformat(), "metric": "hr_bpm", "value": 99}),
        qos=1,
    )
    for info in [*infos, spoof]:
        info.wait_for_publish(10)
    pub.disconnect()
    pub.loop_stop()
    eavesdropper.disconnect()
    eavesdropper.loop_stop()
    assert overheard == []
    time.sleep(1.2)  # autosave_interval 1 s

    secure_broker.restart()  # queued QoS 1 messages survive on disk
    listener = _listener(secure_broker)
    try:
        assert _wait_count(200) == 200
        time.sleep(0.5)
        with session_scope() as session:
            devices = set(session.scalars(select(Reading.device_id).distinct()))
        assert devices == {"dev-a"}
        # a re-delivered or re-sent reading is stored once
        pub = _publisher(secure_broker.port, "dev-a", password_a)
        pub.publish(
            "iasante/devices/dev-a/readings", json.dumps({"ts": T0.isoformat(), "metric": "hr_bpm", "value": 60}), qos=1
        ).wait_for_publish(10)
        pub.disconnect()
        deadline = time.monotonic() + 10
        while listener.stats.duplicates < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert listener.stats.duplicates == 1 and _count() == 200
    finally:
        listener.stop()


def test_simulator_replays_welltory(iasante_home: Path, mosquitto: tuple[str, int]) -> None:
    from iasante.iot.files import welltory_replay
    from iasante.iot.simulate import replay

    host, port = mosquitto
    items = [r for r in welltory_replay(DEMO / "wearables.csv") if r.device_id == "wt-295ed96279"]
    with session_scope() as session:
        patient = service.add_patient(session, ADMIN, items[0].patient_id)
        service.add_device(session, ADMIN, items[0].device_id, patient, update_broker=False)
    listener = Listener(host, port, None, None, service.get_detector(), client_id="ingest-sim-test").start()
    try:
        report = replay(items, host, port, speed=0)
        assert report.messages == len(items)
        expected = sum(len(i.payload["values"]) for i in items)
        assert _wait_count(expected) == expected
    finally:
        listener.stop()
