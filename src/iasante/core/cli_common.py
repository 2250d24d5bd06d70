"""Commands that every system's CLI offers in the same way (``status``, ``demo``), written once."""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import typer


def add_status_command(app: typer.Typer, system: str) -> None:
    """``iasante <system> status``: print the system's state; exit 5 when its model is not ready."""

    @app.command("status")
    def status() -> None:
        """Say whether the model is ready (exit 5 when not)."""
        state = importlib.import_module(f"iasante.{system}.service").system_status()
        typer.echo(f"{state['state']}: {state['detail']}")
        if state["state"] != "ready":
            raise typer.Exit(5)


def add_demo_command(app: typer.Typer, system: str, roles: Sequence[str], summary: str) -> None:
    """``iasante <system> demo``: load the shipped demo case into the database (idempotent)."""
    from iasante.core.auth import cli_principal

    def demo() -> None:
        who = cli_principal(list(roles), f"{system}.demo")
        typer.echo(importlib.import_module(f"iasante.{system}.service").load_demo(who.username))

    demo.__doc__ = summary
    app.command("demo")(demo)
