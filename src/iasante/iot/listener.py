"""The MQTT ingestion service: a persistent QoS 1 subscriber that acknowledges only after the database commit.

No reading is lost across a restart: the session is persistent (``clean_session=False``, fixed client id), the
broker keeps queued QoS 1 messages on disk, and each PUBACK is sent (``manual_ack``) only once the batch holding
the message has been committed — a crash before that makes the broker deliver it again, and the unique key
(device, metric, ts) turns the re-delivery into a no-op.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

from iasante.core.db import session_scope
from iasante.iot.derive import EarlyAlertThrottle, process_batch
from iasante.iot.ingest import TOPIC_PREFIX, Message, device_of_topic
from iasante.iot.model import EarlyWarningDetector

CLIENT_ID = "iasante-ingest"
BATCH_MAX = 2000
BATCH_WAIT_S = 0.05


@dataclass
class ListenerStats:
    """Counters since start (read by the benchmark and ``iasante iot listen``)."""

    received: int = 0
    stored: int = 0
    duplicates: int = 0
    dead: int = 0
    batches: int = 0
    last_commit: float = 0.0
    retries: int = 0
    last_error: str = ""


class Listener:
    """Subscribe to ``iasante/devices/+/+`` and store every message.

    Args:
        host, port: the broker.
        username, password: broker credentials (``None`` for an anonymous broker).
        detector: the early-warning detector run after each batch (``None`` to store only).
        client_id: fixed, so the broker keeps the session and its queued messages while we are away.
    """

    def __init__(
        self,
        host: str,
        port: int,
        username: str | None = None,
        password: str | None = None,
        detector: EarlyWarningDetector | None = None,
        client_id: str = CLIENT_ID,
    ) -> None:
        import paho.mqtt.client as mqtt

        self.stats = ListenerStats()
        self._queue: queue.Queue[Any] = queue.Queue()
        self._stop = threading.Event()
        self._detector = detector
        self._devices: dict[str, int] = {}
        self._throttle = EarlyAlertThrottle()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
            manual_ack=True,
        )
        if username:
            self.client.username_pw_set(username, password)
        self.client.max_inflight_messages_set(1000)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *_a: self._subscribed.set()
        self._host, self._port = host, port
        self._worker = threading.Thread(target=self._drain, name="iot-ingest", daemon=True)

    def _on_connect(self, client: Any, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if not reason.is_failure:
            client.subscribe(f"{TOPIC_PREFIX}/+/+", qos=1)

    def _on_message(self, _client: Any, _userdata: Any, msg: Any) -> None:
        self.stats.received += 1
        self._queue.put(msg)

    def start(self, wait_s: float = 10.0) -> Listener:
        """Connect, subscribe and start the storing thread; waits until the subscription is granted."""
        self.client.connect(self._host, self._port, keepalive=30)
        self.client.loop_start()
        self._worker.start()
        if not self._subscribed.wait(wait_s):
            self.stop()
            from iasante.core.errors import ExternalToolError

            raise ExternalToolError(f"MQTT broker {self._host}:{self._port}: no subscription (auth or ACL?)")
        return self

    def stop(self) -> None:
        """Store what is queued, then disconnect (the persistent session stays on the broker)."""
        self._stop.set()
        if self._worker.is_alive():
            self._worker.join(timeout=30)
        self.client.disconnect()
        self.client.loop_stop()

    def _drain(self) -> None:
        while not (self._stop.is_set() and self._queue.empty()):
            try:
                first = self._queue.get(timeout=0.1)
            except queue.Empty:
                if self._detector is not None and self._throttle.pending:  # quiet: run deferred detections
                    self._guarded(self._run_pending, [])
                continue
            batch = [first]
            deadline = time.monotonic() + BATCH_WAIT_S
            while len(batch) < BATCH_MAX and time.monotonic() < deadline:
                try:
                    batch.append(self._queue.get(timeout=max(deadline - time.monotonic(), 0.001)))
                except queue.Empty:
                    break
            self._guarded(self._store, batch)

    def _guarded(self, step: Any, batch: list[Any]) -> None:
        """Run a storing step; if the database fails, keep the batch unacknowledged, wait and retry later."""
        try:
            step(batch)
        except Exception as exc:  # noqa: BLE001 - e.g. database restarting: nothing is acked, nothing lost
            self.stats.retries += 1
            self.stats.last_error = f"{type(exc).__name__}: {exc}"[:500]
            for msg in batch:
                self._queue.put(msg)
            time.sleep(1.0)

    def _run_pending(self, _batch: list[Any]) -> None:
        with session_scope() as session:
            self._throttle.run_pending(session, self._detector)  # type: ignore[arg-type]

    def _store(self, batch: list[Any]) -> None:
        messages = []
        for msg in batch:
            try:
                device_id = device_of_topic(msg.topic)[0]
            except Exception:  # noqa: BLE001 - a bad topic is dead-lettered by store_batch below
                device_id = ""
            messages.append(Message("mqtt", msg.topic, device_id, msg.payload))
        with session_scope() as session:
            result = process_batch(session, messages, self._devices, self._detector, self._throttle)
        for msg in batch:  # only now: the broker re-sends anything not acknowledged
            self.client.ack(msg.mid, msg.qos)
        self.stats.stored += result.stored
        self.stats.duplicates += result.duplicates
        self.stats.dead += result.dead
        self.stats.batches += 1
        self.stats.last_commit = time.time()
