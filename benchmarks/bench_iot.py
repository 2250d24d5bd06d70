"""CoIoT-19 benchmark: MQTT → PostgreSQL ingestion throughput with zero loss, and alert p95 latency.

Run: ``.venv/bin/python benchmarks/bench_iot.py [--messages 30000] [--devices 20]`` (writes
``bench-results/iot/``). Starts a throw-away PostgreSQL 15 (Debian binaries) and our Mosquitto config
(passwords, per-device ACL, persistence), then:

1. Baseline, same run: raw Mosquitto throughput — the same publishers, QoS 1, to a plain counting subscriber
   (no parsing, no database). Run with 1 reading per message and with ``--readings-per-message`` (a device
   sending its samples in small batches, as watches sync); both are reported.
2. Ingestion: the same messages through ``iasante.iot.listener.Listener`` (persistent session, manual ack after
   commit, validation, idempotent insert into PostgreSQL, NEWS2/early-alert derivation). Throughput = readings
   committed / wall time from first publish; zero loss = rows in ``iot_reading`` == readings published.
3. Alert latency: while background devices stream heart rate, devices publish NEWS2-high vital sets; latency =
   time from publish to the alert row being visible in PostgreSQL (polled every 5 ms). Target p95 ≤ 1 s.
Targets (issue 10): ≥ 5,000 readings/s with zero loss; alert p95 ≤ 1 s.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import shutil
import socket
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench-results" / "iot"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
T0 = datetime(2021, 1, 1, tzinfo=UTC)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"port {port}")


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def start_postgres(base: Path) -> tuple[str, Path]:
    """A throw-away PostgreSQL on a free port; returns (SQLAlchemy URL, data dir)."""
    data, sock = base / "pgdata", base / "pgsock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
    port = _free_port()
    subprocess.run(
        _as_postgres(
            [str(PG_BIN / "initdb"), "-D", str(data), "-U", "iasante", "--auth=trust", "-E", "UTF8", "--no-sync"]
        ),
        check=True,
        capture_output=True,
    )
    subprocess.run(
        _as_postgres(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(data),
                "-w",
                "-l",
                str(base / "pg.log"),
                "-o",
                f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c timezone=UTC -c max_connections=100",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    return f"postgresql+psycopg://iasante@127.0.0.1:{port}/postgres", data


def stop_postgres(data: Path) -> None:
    subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]), capture_output=True)


def _publish(
    port: int,
    creds: list[tuple[str, str]],
    n: int,
    offset: int,
    rate: float,
    kind: str,
    per_msg: int,
    ready: Any,
    go: Any,
    out: Any,
) -> None:
    """Publisher process: ``n`` QoS 1 messages of ``per_msg`` heart-rate readings (1 s apart) round-robin over
    its devices, optionally rate-limited (messages/s)."""
    import paho.mqtt.client as mqtt

    clients = []
    for device, password in creds:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-{kind}-{device}")
        client.username_pw_set(device, password)
        client.max_inflight_messages_set(1000)
        client.connect("127.0.0.1", port)
        client.loop_start()
        clients.append((device, client))
    ready.wait()
    go.wait()
    infos, start = [], time.monotonic()
    for i in range(n):
        device, client = clients[i % len(clients)]
        first = offset + (i // len(clients)) * per_msg
        payload = json.dumps(
            [
                {"ts": (T0 + timedelta(seconds=first + k)).isoformat(), "metric": "hr_bpm", "value": 60 + (i + k) % 30}
                for k in range(per_msg)
            ]
        )
        infos.append(client.publish(f"iasante/devices/{device}/readings", payload, qos=1))
        if rate and i % 50 == 0:
            delay = i / rate - (time.monotonic() - start)
            if delay > 0:
                time.sleep(delay)
    for info in infos:
        info.wait_for_publish(120)
    out.put(sum(1 for info in infos if info.is_published()))
    for _device, client in clients:
        client.disconnect()
        client.loop_stop()


def _run_publishers(
    port: int,
    creds: list[tuple[str, str]],
    n: int,
    offset: int,
    procs: int,
    kind: str,
    rate: float = 0.0,
    per_msg: int = 1,
) -> tuple[list[mp.Process], Any, Any, float]:
    ctx = mp.get_context("spawn")
    ready, go, out = ctx.Barrier(procs + 1), ctx.Event(), ctx.Queue()
    chunks = [creds[i::procs] for i in range(procs)]
    workers = [
        ctx.Process(
            target=_publish, args=(port, chunk, n // procs, offset, rate / procs, kind, per_msg, ready, go, out)
        )
        for chunk in chunks
    ]
    for w in workers:
        w.start()
    ready.wait()
    start = time.monotonic()
    go.set()
    return workers, out, go, start


def bench_raw(
    port: int, ingest_password: str, creds: list[tuple[str, str]], n: int, procs: int, per_msg: int
) -> dict[str, Any]:
    """Raw Mosquitto: QoS 1 publishers → counting subscriber (auto-ack), no database."""
    import threading

    import paho.mqtt.client as mqtt

    from iasante.iot.broker import INGEST_USER

    count, done = [0], threading.Event()
    total = (n // procs) * procs

    def on_message(*_args: Any) -> None:
        count[0] += 1
        if count[0] >= total:
            done.set()

    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-raw-sub")
    sub.username_pw_set(INGEST_USER, ingest_password)
    sub.on_message = on_message
    subscribed = threading.Event()
    sub.on_subscribe = lambda *_a: subscribed.set()
    sub.connect("127.0.0.1", port)
    sub.loop_start()
    sub.subscribe("iasante/devices/+/+", qos=1)
    subscribed.wait(10)
    workers, out, _go, start = _run_publishers(port, creds, n, 0, procs, "raw", per_msg=per_msg)
    done.wait(300)
    elapsed = time.monotonic() - start
    for w in workers:
        w.join(60)
    sub.disconnect()
    sub.loop_stop()
    return {
        "messages": total,
        "received": count[0],
        "readings_per_message": per_msg,
        "seconds": round(elapsed, 3),
        "msgs_per_s": round(count[0] / elapsed, 1),
        "readings_per_s": round(count[0] * per_msg / elapsed, 1),
    }


def bench_ingest(
    listener: Any, port: int, creds: list[tuple[str, str]], n: int, procs: int, per_msg: int, offset: int
) -> dict[str, Any]:
    """Publishers → running listener → PostgreSQL: readings committed per second and readings lost."""
    from sqlalchemy import func, select

    from iasante.core.db import session_scope
    from iasante.iot.db import Reading

    dead_before = listener.stats.dead
    with session_scope() as session:
        before = int(session.scalar(select(func.count(Reading.id))) or 0)
    total = before + (n // procs) * procs * per_msg
    workers, out, _go, start = _run_publishers(port, creds, n, offset, procs, "ingest", per_msg=per_msg)
    deadline = time.monotonic() + 600
    stored = 0
    while time.monotonic() < deadline:
        with session_scope() as session:
            stored = int(session.scalar(select(func.count(Reading.id))) or 0)
        if stored >= total:
            break
        time.sleep(0.05)
    elapsed = time.monotonic() - start
    published = sum(out.get(timeout=60) for _w in workers) * per_msg
    for w in workers:
        w.join(60)
    stored -= before
    return {
        "readings_per_message": per_msg,
        "readings_published": published,
        "readings_stored": stored,
        "lost": published - stored,
        "dead_letters": listener.stats.dead - dead_before,
        "seconds": round(elapsed, 3),
        "readings_per_s": round(stored / elapsed, 1),
        "msgs_per_s": round(stored / per_msg / elapsed, 1),
    }


def bench_latency(
    port: int, creds: list[tuple[str, str]], background: list[tuple[str, str]], n_alerts: int, background_rate: float
) -> dict[str, Any]:
    """Publish NEWS2-high vital sets under background load; time until each alert row is visible."""
    import numpy as np
    import paho.mqtt.client as mqtt
    from sqlalchemy import select

    from iasante.core.db import session_scope
    from iasante.iot.db import Alert, Device

    with session_scope() as session:
        patient_of = {d.device_id: d.patient_id for d in session.scalars(select(Device))}
    workers, _out, _go, _start = _run_publishers(
        port, background, int(background_rate * 30), 20_000_000, 1, "bg", rate=background_rate
    )
    clients = {}
    for device, password in creds:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-alert-{device}")
        client.username_pw_set(device, password)
        client.connect("127.0.0.1", port)
        client.loop_start()
        clients[device] = client
    time.sleep(1.0)
    latencies = []
    for i in range(n_alerts):
        device = creds[i % len(creds)][0]
        ts = T0 + timedelta(days=400, minutes=i)
        values = {"resp_rate": 26, "spo2_pct": 90, "systolic_bp": 88, "hr_bpm": 135, "temp_c": 39.5}
        sent = time.monotonic()
        clients[device].publish(
            f"iasante/devices/{device}/readings", json.dumps({"ts": ts.isoformat(), "values": values}), qos=1
        )
        seen = None
        while time.monotonic() - sent < 10:
            with session_scope() as session:
                hit = session.scalar(
                    select(Alert.id).where(
                        Alert.patient_id == patient_of[device], Alert.kind == "news2", Alert.ts == ts
                    )
                )
            if hit is not None:
                seen = time.monotonic()
                break
            time.sleep(0.005)
        latencies.append((seen or time.monotonic()) - sent if seen else float("inf"))
        time.sleep(0.05)
    for client in clients.values():
        client.disconnect()
        client.loop_stop()
    for w in workers:
        w.join(120)
    finite = np.array([x for x in latencies if np.isfinite(x)])
    return {
        "alerts": n_alerts,
        "seen": int(len(finite)),
        "background_msgs_per_s": background_rate,
        "p50_s": round(float(np.percentile(finite, 50)), 4),
        "p95_s": round(float(np.percentile(finite, 95)), 4),
        "max_s": round(float(finite.max()), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=30_000)
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--publishers", type=int, default=2)
    parser.add_argument("--alerts", type=int, default=60)
    parser.add_argument("--background-rate", type=float, default=1000.0)
    parser.add_argument("--readings-per-message", type=int, default=5)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="iasante-bench-iot-"))
    pg_base = Path(tempfile.mkdtemp(prefix="iasante-bench-iot-pg-"))  # owned by postgres when run as root
    os.environ["IASANTE_HOME"] = str(base / "home")
    url, pgdata = start_postgres(pg_base)
    os.environ["IASANTE_DATABASE_URL"] = url
    broker_process = None
    try:
        from iasante.core.auth import Principal
        from iasante.core.db import session_scope, upgrade_database
        from iasante.iot import broker, service

        upgrade_database()
        folder = base / "mosquitto"  # base is 0700 root: let the mosquitto user traverse it
        (folder / "data").mkdir(parents=True)
        base.chmod(0o755)
        port = _free_port()
        who = Principal("bench", "admin")
        creds: list[tuple[str, str]] = []
        with session_scope() as session:
            for i in range(args.devices + 5):
                patient = service.add_patient(session, who, f"BENCH-{i:04d}", label=f"Bench {i}")
                password = service.add_device(session, who, f"bench-{i:04d}", patient, update_broker=False)
                broker.set_password(f"bench-{i:04d}", password, folder)
                creds.append((f"bench-{i:04d}", password))
        broker_process = broker.start_broker(port, folder)
        _wait_port(port)
        ingest_password = broker.ingest_password(folder)
        stream, alerting = creds[: args.devices], creds[args.devices :]
        from iasante.iot.listener import Listener

        sizes = sorted({1, args.readings_per_message})
        # raw runs first: once the ingestion session exists, the broker queues every message for it
        raws = {k: bench_raw(port, ingest_password, stream, args.messages // k, args.publishers, k) for k in sizes}
        listener = Listener("127.0.0.1", port, broker.INGEST_USER, ingest_password, service.get_detector()).start()
        results: dict[str, Any] = {}
        for k in sizes:
            ingest = bench_ingest(listener, port, stream, args.messages // k, args.publishers, k, 10_000_000 * k)
            raw = raws[k]
            results[f"{k}_per_message"] = {
                "raw_mosquitto": raw,
                "ingestion_postgresql": ingest,
                "ratio_vs_raw": round(ingest["readings_per_s"] / raw["readings_per_s"], 3),
            }
            print(
                f"[{k} reading(s)/message] raw Mosquitto (QoS 1, no DB): {raw['readings_per_s']:.0f} "
                f"readings/s; ingestion → PostgreSQL: {ingest['readings_per_s']:.0f} readings/s "
                f"({ingest['readings_per_s'] / raw['readings_per_s']:.2f}× raw), lost {ingest['lost']}"
            )
        latency = bench_latency(port, alerting, stream[:4], args.alerts, args.background_rate)
        listener.stop()
        print(
            f"alert latency (NEWS2-high vital set → alert row): p50 {latency['p50_s'] * 1000:.0f} ms, "
            f"p95 {latency['p95_s'] * 1000:.0f} ms (background {args.background_rate:.0f} msgs/s)"
        )
        best = max(r["ingestion_postgresql"]["readings_per_s"] for r in results.values())
        summary = {
            **results,
            "alert_latency": latency,
            "targets": {"readings_per_s": 5000, "lost": 0, "alert_p95_s": 1.0},
            "meets": {
                "throughput_1_per_message": results["1_per_message"]["ingestion_postgresql"]["readings_per_s"] >= 5000,
                "throughput_best": best >= 5000,
                "zero_loss": all(r["ingestion_postgresql"]["lost"] == 0 for r in results.values()),
                "alert_p95": latency["p95_s"] <= 1.0,
            },
        }
        params = {
            **vars(args),
            "git_commit": subprocess.run(
                ["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT
            ).stdout.strip(),
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "load_avg_1min": os.getloadavg()[0],
            "database": "PostgreSQL 15 (throw-away, local)",
            "broker": "Debian mosquitto, generated config (auth, ACL, persistence)",
        }
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
        (OUT / "params.json").write_text(json.dumps(params, indent=1) + "\n")
        print(f"wrote {OUT / 'summary.json'}")
    finally:
        if broker_process is not None:
            broker_process.terminate()
            broker_process.wait(10)
        from iasante.core.db import dispose_engines

        dispose_engines()
        stop_postgres(pgdata)
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(pg_base, ignore_errors=True)


if __name__ == "__main__":
    main()
