"""Web app latency under 50 concurrent clients on loopback: home page and an API call.

Baseline in the same run: the static stylesheet (no session, no database), so the ratios show what the
session lookup, the templates and the database cost. Writes bench-results/web/summary.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.conftest import TEST_PASSWORD, free_port, wait_for_port  # noqa: E402

CLIENTS, REQUESTS_PER_CLIENT = 50, 20


async def _hammer(base: str, path: str, cookies: dict[str, str]) -> list[float]:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=base, cookies=cookies, limits=limits, timeout=60) as client:

        async def one_client() -> None:
            for _ in range(REQUESTS_PER_CLIENT):
                start = time.perf_counter()
                response = await client.get(path)
                latencies.append(time.perf_counter() - start)
                response.raise_for_status()

        await asyncio.gather(*(one_client() for _ in range(CLIENTS)))
    return latencies


def _summary(latencies: list[float], wall_s: float) -> dict[str, float]:
    ordered = sorted(latencies)
    return {"p50_ms": 1000 * statistics.median(ordered), "p95_ms": 1000 * ordered[int(0.95 * len(ordered)) - 1],
            "requests_per_s": len(ordered) / wall_s, "n": len(ordered)}


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="iasante-bench-web-"))
    port = free_port()
    env = {**os.environ, "IASANTE_HOME": str(home)}
    env.pop("IASANTE_DATABASE_URL", None)
    cli = [sys.executable, "-m", "iasante"]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([*cli, "user", "add", "bench", "--role", "clinician", "--password", TEST_PASSWORD], env=env,
                   check=True, capture_output=True)
    server_log = open(home / "server.log", "w")  # noqa: SIM115 - open for the server's lifetime
    server = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env, stdout=server_log,
                              stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, 120)
        base = f"http://127.0.0.1:{port}"
        login = httpx.post(f"{base}/api/auth/login", json={"username": "bench", "password": TEST_PASSWORD})
        login.raise_for_status()
        cookies = dict(login.cookies)
        results = {}
        for name, path in (("baseline_static", "/static/app.css"), ("home_page", "/"), ("api_jobs", "/api/jobs")):
            start = time.perf_counter()
            latencies = asyncio.run(_hammer(base, path, cookies))
            results[name] = _summary(latencies, time.perf_counter() - start)
        for name in ("home_page", "api_jobs"):
            results[name]["p50_ratio_to_static"] = results[name]["p50_ms"] / results["baseline_static"]["p50_ms"]
    finally:
        server.terminate()
        server.wait(timeout=30)
        server_log.close()
        print(f"server log: {home / 'server.log'}")
    out = ROOT / "bench-results" / "web"
    out.mkdir(parents=True, exist_ok=True)
    params = {"clients": CLIENTS, "requests_per_client": REQUESTS_PER_CLIENT, "database": "sqlite",
              "commit": subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                                       cwd=ROOT).stdout.strip()}
    (out / "params.json").write_text(json.dumps(params, indent=2))
    (out / "summary.json").write_text(json.dumps(results, indent=2))
    for name, figures in results.items():
        print(f"{name:16s} p50 {figures['p50_ms']:7.1f} ms  p95 {figures['p95_ms']:7.1f} ms  "
              f"{figures['requests_per_s']:7.1f} req/s")


if __name__ == "__main__":
    main()
