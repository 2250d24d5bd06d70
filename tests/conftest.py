"""Shared fixtures: isolated state folder + database, logged-in clients, and real servers started from
Debian's binaries (PostgreSQL, Mosquitto), the running app and a headless Chromium driven by Playwright."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
CHROMIUM = "/usr/bin/chromium"
TEST_PASSWORD = "correct-horse-battery"
ROLES = ("admin", "clinician", "biologist", "data_scientist", "challenge_participant")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listening on port {port} after {timeout_s}s")


def reset_caches() -> None:
    """Forget cached settings, keys and engines after the environment changed."""
    from iasante.core import crypto, jobs
    from iasante.core.config import get_settings
    from iasante.core.db import dispose_engines

    jobs.close_client()
    dispose_engines()
    get_settings.cache_clear()
    crypto.clear_key_cache()


def _prepare_home(home: Path, monkeypatch: pytest.MonkeyPatch, database_url: str | None) -> Path:
    monkeypatch.setenv("IASANTE_HOME", str(home))
    monkeypatch.delenv("IASANTE_SECRET_KEY", raising=False)
    monkeypatch.delenv("IASANTE_DASK_SCHEDULER", raising=False)
    monkeypatch.delenv("IASANTE_CLI_USER", raising=False)
    if database_url:
        monkeypatch.setenv("IASANTE_DATABASE_URL", database_url)
    else:
        monkeypatch.delenv("IASANTE_DATABASE_URL", raising=False)
    reset_caches()
    from iasante.core.db import upgrade_database

    upgrade_database()
    return home


@pytest.fixture
def iasante_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh state folder with an upgraded SQLite database; settings point at it."""
    yield _prepare_home(tmp_path / "home", monkeypatch, None)
    reset_caches()


# ------------------------------------------------------------------ PostgreSQL
@dataclass
class PostgresServer:
    port: int
    admin_url: str

    def new_database(self) -> str:
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.admin_url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.admin_url.rsplit("/", 1)[0] + f"/{name}"


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A throw-away PostgreSQL 15 server from Debian's binaries on a free port."""
    if not (PG_BIN / "initdb").exists():
        pytest.fail("PostgreSQL binaries missing: run `make setup` (installs Debian's postgresql)")
    base = _service_dir("iasante-pg-", "postgres")
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(sock, "postgres")
    port = free_port()
    subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "iasante", "--auth=trust",
                                 "-E", "UTF8", "--no-sync"]), check=True, capture_output=True)
    subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "-l", str(base / "log"), "-o",
                                 f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off "
                                 "-c max_connections=300", "start"]), check=True, capture_output=True)
    try:
        yield PostgresServer(port, f"postgresql+psycopg://iasante@127.0.0.1:{port}/postgres")
    finally:
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def _service_dir(prefix: str, owner: str) -> Path:
    """A folder outside pytest's private tmp (0700 root) that a service account can use."""
    base = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0 and _user_exists(owner):
        shutil.chown(base, owner)
    return base


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> str:
    """URL of a brand-new empty database on the throw-away server."""
    return postgres_server.new_database()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_home(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Like ``iasante_home`` but run once on SQLite and once on PostgreSQL; yields the dialect name."""
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    _prepare_home(tmp_path / "home", monkeypatch, url)
    yield request.param
    reset_caches()


# ------------------------------------------------------------------ clients
def make_user(role: str, username: str | None = None, password: str = TEST_PASSWORD) -> str:
    from iasante.core.auth import add_user
    from iasante.core.db import session_scope

    username = username or f"{role.replace('_', '')}{uuid.uuid4().hex[:6]}"
    with session_scope() as session:
        add_user(session, username, password, role, f"Test {role}")
    return username


def login_client(client, username: str, password: str = TEST_PASSWORD):  # type: ignore[no-untyped-def]
    response = client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    client.csrf = response.json()["csrf_token"]
    client.username = username
    return client


@pytest.fixture
def app_instance(iasante_home: Path):  # type: ignore[no-untyped-def]
    from iasante.web.app import create_app

    return create_app()


@pytest.fixture
def client_as(app_instance) -> Iterator[Callable[..., object]]:  # type: ignore[no-untyped-def]
    """Factory: ``client_as("clinician")`` → a logged-in TestClient; ``client.csrf`` holds its CSRF token."""
    from fastapi.testclient import TestClient

    clients: list[TestClient] = []

    def factory(role: str, username: str | None = None) -> TestClient:
        client = TestClient(app_instance)
        client.__enter__()
        clients.append(client)
        return login_client(client, make_user(role, username))

    yield factory
    for client in clients:
        client.__exit__(None, None, None)


# ------------------------------------------------------------------ Mosquitto
@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A real Mosquitto broker (anonymous, persistent) on a free loopback port; yields (host, port)."""
    if not Path("/usr/sbin/mosquitto").exists():
        pytest.fail("mosquitto missing: run `make setup` (installs Debian's mosquitto)")
    base = _service_dir("iasante-mqtt-", "mosquitto")
    port = free_port()
    conf = base / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
                    f"persistence_location {base}/\nlog_dest file {base}/mosquitto.log\n")
    process = subprocess.Popen(["/usr/sbin/mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        yield ("127.0.0.1", port)
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(base, ignore_errors=True)


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


# ------------------------------------------------------------------ live app + browser
@dataclass
class LiveServer:
    url: str
    home: Path
    env: dict[str, str]
    users: dict[str, str] = field(default_factory=dict)  # role -> username (password TEST_PASSWORD)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the ``iasante`` CLI against this server's state folder."""
        return subprocess.run([sys.executable, "-m", "iasante", *args], env=self.env, capture_output=True,
                              text=True, timeout=300)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real app served by uvicorn in a subprocess, with one account per role."""
    home = tmp_path_factory.mktemp("live") / "home"
    port = free_port()
    env = {**os.environ, "IASANTE_HOME": str(home), "IASANTE_PORT": str(port)}
    for key in ("IASANTE_DATABASE_URL", "IASANTE_SECRET_KEY", "IASANTE_DASK_SCHEDULER", "IASANTE_CLI_USER"):
        env.pop(key, None)
    server = LiveServer(f"http://127.0.0.1:{port}", home, env)
    subprocess.run([sys.executable, "-m", "iasante", "db", "upgrade"], env=env, check=True, capture_output=True)
    for role in ROLES:
        username = f"e2e_{role}"
        subprocess.run([sys.executable, "-m", "iasante", "user", "add", username, "--role", role, "--password",
                        TEST_PASSWORD], env=env, check=True, capture_output=True)
        server.users[role] = username
    log = open(home / "server.log", "w")  # noqa: SIM115 - kept open for the server's lifetime
    process = subprocess.Popen([sys.executable, "-m", "iasante", "serve", "--port", str(port)], env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, 120)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture(scope="session")
def _browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def browser_page(_browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh Playwright page (tablet-sized viewport) in Debian's headless Chromium."""
    context = _browser.new_context(viewport={"width": 1024, "height": 768}, locale="fr-FR")
    page = context.new_page()
    yield page
    context.close()


def browser_login(page, server: LiveServer, role: str) -> None:  # type: ignore[no-untyped-def]
    """Log ``page`` in as the live server's account for ``role``."""
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", server.users[role])
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(rf"{re.escape(server.url)}/(\?.*)?$"))


@pytest.fixture
def live_login() -> Callable[..., None]:
    """``live_login(page, live_server, "clinician")`` logs a browser page in."""
    return browser_login
