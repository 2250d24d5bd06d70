"""The platform CLI: commands, exit codes (0 ok, 2 bad input) and audit of administrative actions."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from typer.testing import CliRunner

from iasante.cli import app
from iasante.core import jobs

runner = CliRunner()


def test_user_lifecycle_and_audit(iasante_home) -> None:  # type: ignore[no-untyped-def]
    added = runner.invoke(app, ["user", "add", "marie", "--role", "clinician", "--password", "long-enough-pw"])
    assert added.exit_code == 0, added.output
    assert "marie" in runner.invoke(app, ["user", "list"]).output
    assert runner.invoke(app, ["user", "disable", "marie"]).exit_code == 0
    shown = runner.invoke(app, ["audit", "show", "--limit", "10", "--json"])
    actions = [json.loads(line)["action"] for line in shown.output.splitlines()]
    assert shown.exit_code == 0 and actions[:2] == ["disable", "create"]


def test_bad_input_exits_2_with_one_clear_line(iasante_home) -> None:  # type: ignore[no-untyped-def]
    wrong_role = runner.invoke(app, ["user", "add", "paul", "--role", "clinicien", "--password", "long-enough-pw"])
    assert wrong_role.exit_code == 2 and "Did you mean 'clinician'" in wrong_role.output
    assert runner.invoke(app, ["jobs", "show", "424242"]).exit_code == 2
    assert runner.invoke(app, ["user", "disable", "nobody"]).exit_code == 2
    assert runner.invoke(app, ["no-such-command"]).exit_code == 2


def test_cli_user_role_is_checked(iasante_home, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    runner.invoke(app, ["user", "add", "nurse", "--role", "clinician", "--password", "long-enough-pw"])
    monkeypatch.setenv("IASANTE_CLI_USER", "nurse")
    monkeypatch.setenv("IASANTE_CLI_PASSWORD", "long-enough-pw")
    refused = runner.invoke(app, ["audit", "show"])
    assert refused.exit_code == 2 and "not allowed" in refused.output
    monkeypatch.setenv("IASANTE_CLI_PASSWORD", "wrong-password")
    assert runner.invoke(app, ["jobs", "list"]).exit_code == 2


def test_jobs_commands(iasante_home) -> None:  # type: ignore[no-untyped-def]
    done = jobs.run_now("test.count", "tests.core.test_storage:count_to", {"n": 2})
    queued = jobs.create("test.count", "tests.core.test_storage:count_to", {"n": 2})
    assert str(done.id) in runner.invoke(app, ["jobs", "list"]).output
    shown = runner.invoke(app, ["jobs", "show", str(done.id)])
    assert json.loads(shown.output)["result"] == {"counted": 2}
    assert "cancelled" in runner.invoke(app, ["jobs", "cancel", str(queued)]).output


def test_installed_entry_point_maps_errors(iasante_home) -> None:  # type: ignore[no-untyped-def]
    result = subprocess.run([sys.executable, "-m", "iasante", "jobs", "show", "999"], capture_output=True, text=True)
    assert result.returncode == 2 and "job 999 not found" in result.stderr
    help_text = subprocess.run([sys.executable, "-m", "iasante", "--help"], capture_output=True, text=True).stdout
    for group in ("serve", "db", "user", "jobs", "audit", "ct", "iot", "challenge"):
        assert group in help_text
    unknown_option = subprocess.run([sys.executable, "-m", "iasante", "jobs", "list", "--bogus"],
                                    capture_output=True, text=True)
    assert unknown_option.returncode == 2 and "No such option" in unknown_option.stderr
    assert "internal error" not in unknown_option.stderr


def test_database_never_upgraded_is_a_clear_configuration_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "IASANTE_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "iasante", "jobs", "list"], capture_output=True, text=True, env=env)
    assert result.returncode == 3 and "iasante db upgrade" in result.stderr
