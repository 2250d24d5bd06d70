"""What every system's CLI does the same way, written once: ``status`` and ``demo`` commands, and writing a
contract CSV followed by the per-input errors of a batch."""

from __future__ import annotations

import csv
import importlib
import os
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO

import typer


def write_rows_then_errors(rows: Iterable[Mapping[str, object]], columns: Sequence[str], out: Path | None,
                           errors: Sequence[str]) -> None:
    """Write ``rows`` as CSV with exactly ``columns`` to ``out`` (or stdout), then name each failed input on stderr.

    The file appears whole or not at all (temporary file + rename), so a crash never leaves half a table where an
    earlier good one was. Exit 2 when some inputs failed: the others are still written.
    """
    if out is None:
        _write_csv(rows, columns, sys.stdout)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "w", newline="") as handle:
                _write_csv(rows, columns, handle)
            os.replace(tmp, out)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    for error in errors:
        typer.echo(f"error: {error}", err=True)
    if errors:
        raise typer.Exit(2)


def _write_csv(rows: Iterable[Mapping[str, object]], columns: Sequence[str], handle: IO[str]) -> None:
    writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


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
