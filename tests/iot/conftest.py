"""A Mosquitto broker started from Debian's binary with *our* generated config (passwords, per-device ACL,
persistence), for the MQTT tests; the shared ``mosquitto`` fixture has no authentication."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"mosquitto not listening on {port}")


@dataclass
class SecureBroker:
    """A running broker with its folder; ``restart()`` stops and starts it on the same port and data."""

    folder: Path
    port: int
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def restart(self) -> None:
        from iasante.iot.broker import start_broker

        self.stop()
        self.process = start_broker(self.port, self.folder)
        _wait_for_port(self.port)


@pytest.fixture
def secure_broker() -> Iterator[SecureBroker]:
    from iasante.iot.broker import start_broker

    if not Path("/usr/sbin/mosquitto").exists():
        pytest.fail("mosquitto missing: run `make setup` (installs Debian's mosquitto)")
    folder = Path(tempfile.mkdtemp(prefix="iasante-iot-mqtt-"))  # outside pytest's 0700 tmp: mosquitto user
    (folder / "data").mkdir()
    port = _free_port()
    broker = SecureBroker(folder, port, start_broker(port, folder))
    _wait_for_port(port)
    try:
        yield broker
    finally:
        broker.stop()
        shutil.rmtree(folder, ignore_errors=True)
