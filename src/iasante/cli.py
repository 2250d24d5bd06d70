"""The ``iasante`` command: platform commands here, one lazily-loaded command group per system.

Exit codes: 0 ok, 1 unexpected error, 2 bad input or usage, 3 configuration, 5 model not ready, 6 external tool.
"""

from __future__ import annotations

import importlib
import json
import sys
import traceback
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from typer.core import TyperGroup

from iasante.core.config import PACKAGE_DIR, get_settings
from iasante.core.db import SYSTEMS, is_missing_schema
from iasante.core.errors import ConfigError, IASanteError
from iasante.core.progress import console

if TYPE_CHECKING:  # Typer ≥ 0.29 vendors click: annotate with the classes it really passes
    from typer._click import Command, Context, HelpFormatter

SYSTEM_HELP = {
    "ct": "ScanCovid-IA: chest CT triage normal / pathological / COVID-19.",
    "derm": "Melanoma detection from dermoscopic images.",
    "karyotype": "Karyotype AI: chromosome classification, karyogram and ISCN.",
    "lag": "LAG: WGS structural variants and CNVs, ACMG classification, review.",
    "drugs": "COVIDrug-19: Mpro potency model, docking, repositioning screen.",
    "iot": "CoIoT-19: connected-device monitoring, NEWS2 and early alerts.",
    "challenge": "IA Santé Challenge: hidden test sets, scoring, QI and leaderboards.",
}
out = console.__class__()  # stdout console for results (progress and errors go to stderr)


def _has_cli(system: str) -> bool:
    return (PACKAGE_DIR / system / "cli.py").exists()


class PlatformGroup(TyperGroup):
    """Loads a system's commands only when that system is invoked, and maps errors to exit codes once."""

    def list_commands(self, ctx: Context) -> list[str]:
        return list(super().list_commands(ctx)) + [s for s in SYSTEMS if _has_cli(s)]

    def get_command(self, ctx: Context, name: str) -> Command | None:
        if name in SYSTEMS and _has_cli(name):
            module = importlib.import_module(f"iasante.{name}.cli")
            command = typer.main.get_command(module.app)
            command.name = name
            return command
        return super().get_command(ctx, name)

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        rows = [(n, c.get_short_help_str(60)) for n in TyperGroup.list_commands(self, ctx)
                if (c := TyperGroup.get_command(self, ctx, n)) is not None and not c.hidden]
        rows += [(s, SYSTEM_HELP[s]) for s in SYSTEMS if _has_cli(s)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except IASanteError as exc:
            console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from exc
        except Exception as exc:
            if not is_missing_schema(exc):
                raise
            console.print("[red]error:[/red] the database has no tables yet: run `iasante db upgrade` first "
                          f"(database: {get_settings().db_url})", highlight=False, soft_wrap=True)
            raise typer.Exit(ConfigError.exit_code) from exc


app = typer.Typer(cls=PlatformGroup, help="IA Santé: clinical AI tools of the hospital.", no_args_is_help=True,
                  rich_markup_mode=None, add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Accounts and roles.", no_args_is_help=True)
jobs_app = typer.Typer(help="Long-running jobs.", no_args_is_help=True)
audit_app = typer.Typer(help="Audit log (admins).", no_args_is_help=True)
demo_app = typer.Typer(help="Demo accounts and sample cases.", no_args_is_help=True)
for sub, name in ((db_app, "db"), (user_app, "user"), (jobs_app, "jobs"), (audit_app, "audit"), (demo_app, "demo")):
    app.add_typer(sub, name=name)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port.")] = None,
) -> None:
    """Start the web app (upgrades the database first)."""
    import uvicorn

    from iasante.core.config import get_settings
    from iasante.core.db import upgrade_database

    upgrade_database()
    settings = get_settings()
    uvicorn.run("iasante.web.app:create_app", factory=True, host=host or settings.host,
                port=port or settings.port, proxy_headers=False, server_header=False)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration (core and systems); safe to repeat."""
    from iasante.core.crypto import ensure_key_file
    from iasante.core.db import current_revisions, upgrade_database

    ensure_key_file()
    upgrade_database()
    console.print(f"database at {', '.join(sorted(current_revisions()))}")


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[str, typer.Option(help="admin, clinician, biologist, data_scientist, challenge_participant")],
    full_name: Annotated[str, typer.Option()] = "",
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                          envvar="IASANTE_NEW_PASSWORD")] = "",
) -> None:
    """Create an account (admin only)."""
    from iasante.core.auth import add_user, cli_principal
    from iasante.core.db import session_scope

    who = cli_principal(["admin"], "user.add")
    with session_scope() as session:
        add_user(session, username, password, role, full_name, actor=who.username)
    out.print(f"user {username} ({role}) created")


@user_app.command("list")
def user_list() -> None:
    """List accounts."""
    from iasante.core.auth import cli_principal, list_users
    from iasante.core.db import session_scope

    cli_principal(["admin"], "user.list")
    table = Table("username", "role", "active", "full name")
    with session_scope() as session:
        for user in list_users(session):
            table.add_row(user.username, user.role, "yes" if user.active else "no", user.full_name)
    out.print(table)


def _set_active(username: str, active: bool) -> None:
    from iasante.core.auth import cli_principal, set_active
    from iasante.core.db import session_scope

    who = cli_principal(["admin"], "user.disable" if not active else "user.enable")
    with session_scope() as session:
        set_active(session, username, active, who.username)
    out.print(f"user {username} {'enabled' if active else 'disabled'}")


@user_app.command("disable")
def user_disable(username: str) -> None:
    """Disable an account and close its sessions."""
    _set_active(username, False)


@user_app.command("enable")
def user_enable(username: str) -> None:
    """Re-enable an account."""
    _set_active(username, True)


@jobs_app.command("list")
def jobs_list(
    limit: Annotated[int, typer.Option(help="How many, most recent first.")] = 30,
    status: Annotated[str | None, typer.Option(help="queued, running, succeeded, failed, cancelled")] = None,
) -> None:
    """List jobs with their state and progress."""
    from iasante.core import jobs
    from iasante.core.auth import cli_principal

    cli_principal(["data_scientist", "clinician", "biologist"], "jobs.list")
    table = Table("id", "kind", "status", "progress", "owner", "created", "message")
    for job in jobs.list_jobs(limit=limit, status=status):
        table.add_row(str(job.id), job.kind, job.status, f"{job.progress:.0%}", job.owner,
                      job.created_at.strftime("%Y-%m-%d %H:%M"), job.message)
    out.print(table)


@jobs_app.command("show")
def jobs_show(job_id: int) -> None:
    """Show one job: parameters, state, log and result (JSON)."""
    from iasante.core import jobs
    from iasante.core.auth import cli_principal

    cli_principal(["data_scientist", "clinician", "biologist"], "jobs.show")
    job = jobs.get(job_id)
    fields = ("id", "kind", "target", "params", "status", "progress", "message", "error", "result", "owner",
              "attempts", "created_at", "started_at", "finished_at", "log")
    print(json.dumps({f: getattr(job, f) for f in fields}, default=str, indent=2, ensure_ascii=False))


@jobs_app.command("cancel")
def jobs_cancel(job_id: int) -> None:
    """Cancel a queued or running job."""
    from iasante.core import audit, jobs
    from iasante.core.auth import cli_principal

    who = cli_principal(["data_scientist", "clinician", "biologist"], "jobs.cancel")
    job = jobs.cancel(job_id)
    audit.record(None, who.username, "cancel", "job", job_id, ip="cli")
    out.print(f"job {job_id}: {job.status}{' (cancel requested)' if job.cancel_requested else ''}")


@audit_app.command("show")
def audit_show(
    limit: Annotated[int, typer.Option()] = 50,
    actor: Annotated[str | None, typer.Option()] = None,
    patient: Annotated[str | None, typer.Option(help="Pseudonym P-…")] = None,
    outcome: Annotated[str | None, typer.Option(help="ok or denied")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line (for export).")] = False,
) -> None:
    """Show the audit log, most recent first (admins only; the reading is itself audited)."""
    from iasante.core import audit
    from iasante.core.auth import cli_principal
    from iasante.core.db import session_scope

    who = cli_principal(["admin"], "audit.show")
    table = Table("at", "actor", "action", "resource", "id", "patient", "ip", "outcome", "detail")
    with session_scope() as session:
        for event in audit.list_events(session, limit, actor, patient, outcome):
            if as_json:
                fields = ("at", "actor", "action", "resource", "resource_id", "patient", "ip", "outcome", "detail")
                print(json.dumps({f: getattr(event, f) for f in fields}, default=str, ensure_ascii=False))
                continue
            table.add_row(event.at.strftime("%Y-%m-%d %H:%M:%S"), event.actor, event.action, event.resource,
                          event.resource_id or "", event.patient or "", event.ip, event.outcome, event.detail)
        audit.record(session, who.username, "read", "audit", ip="cli")
    if not as_json:
        out.print(table)


@demo_app.command("load")
def demo_load() -> None:
    """Create the demo accounts (printed) and load each system's sample case."""
    from iasante.core.demo import ensure_demo_accounts, load_system_demos

    for line in load_system_demos():
        console.print(line)
    accounts = ensure_demo_accounts()
    table = Table("username", "password", "role", title="Demo accounts")
    for username, password, role in accounts:
        table.add_row(username, password, role)
    out.print(table)


def main() -> None:
    """Console entry point: usage errors exit 2 (Typer's standalone mode), unexpected errors exit 1 with one line
    (traceback with IASANTE_DEBUG=1)."""
    import os

    try:
        typer.main.get_command(app).main(prog_name="iasante")
    except Exception as exc:  # last resort: one readable line
        if os.environ.get("IASANTE_DEBUG"):
            traceback.print_exc()
        console.print(f"[red]internal error:[/red] {type(exc).__name__}: {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
