"""``iasante challenge``: score files, create challenges, submit, read leaderboards, build the demo."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer

from iasante.core.cli_common import add_demo_command
from iasante.core.models import Role

app = typer.Typer(
    help="IA Santé Challenge: hidden test sets, scoring, QI and leaderboards.",
    no_args_is_help=True,
    rich_markup_mode=None,
    add_completion=False,
)
ALL_ROLES = ["clinician", "biologist", "data_scientist", "challenge_participant"]


def _print_json(payload: object) -> None:
    """One JSON object on stdout (stderr keeps messages and bars)."""
    typer.echo(json.dumps(payload, ensure_ascii=False, default=str))


@app.command()
def score(
    truth: Annotated[Path, typer.Option(help="Truth CSV with columns id,label.")],
    submission: Annotated[Path, typer.Option(help="Submission CSV with columns id,score and/or id,prediction.")],
    metric: Annotated[list[str], typer.Option(help="Metric name; repeat for several (auc, pauc, f1...).")],
    task: Annotated[
        str | None,
        typer.Option(help="binary, multiclass, regression or ranking (default: guessed from labels and metrics)."),
    ] = None,
) -> None:
    """Validate a submission against a truth file and print {metric: value} as one JSON object.

    Undefined values (e.g. AUC with one class) print as null. Bad files exit 2 with the reason.
    """
    from iasante.challenge.scoring import score_files

    _print_json(score_files(truth, submission, metric, task))


@app.command("metrics")
def list_metrics() -> None:
    """List the metric names, what they read and the tasks they apply to."""
    from iasante.challenge.metrics import METRICS

    for m in METRICS.values():
        direction = "higher is better" if m.higher_is_better else "lower is better"
        typer.echo(f"{m.name:18} {m.needs:6} {'/'.join(m.tasks):20} {direction:16} {m.title}")


@app.command("list")
def list_challenges() -> None:
    """List challenges with their phases."""
    from iasante.challenge import service
    from iasante.core.auth import cli_principal

    cli_principal(ALL_ROLES, "challenge.list")
    for c in service.list_challenges():
        phases = ", ".join(f"{p.name}{' (open)' if p.is_open else ''}" for p in c.phases)
        typer.echo(f"{c.slug:16} {c.task:11} {c.primary_metric:18} n_test={c.n_test:<6} {phases}  {c.title}")


@app.command()
def create(
    spec: Annotated[Path, typer.Option(help="Challenge definition, YAML or JSON (see docs/challenge.md).")],
    truth: Annotated[Path, typer.Option(help="Hidden truth CSV id,label (stored encrypted).")],
    train: Annotated[Path | None, typer.Option(help="Participant training CSV, served to participants.")] = None,
    test_ids: Annotated[Path | None, typer.Option(help="CSV of the ids participants must predict.")] = None,
) -> None:
    """Create a challenge (organisers: data_scientist or admin); prints its slug."""
    import yaml

    from iasante.challenge import service
    from iasante.challenge.schemas import parse_spec
    from iasante.core.auth import cli_principal
    from iasante.core.errors import InputDataError

    who = cli_principal(["data_scientist"], "challenge.create")
    try:
        definition = yaml.safe_load(spec.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputDataError(f"{spec.name}: not a readable YAML/JSON file ({exc})") from exc
    parsed = parse_spec(definition, spec.name)
    created = service.create_challenge(
        parsed,
        _read(truth),
        who,
        truth.name,
        _read(train) if train else None,
        _read(test_ids) if test_ids else None,
    )
    typer.echo(created.slug)


def _read(path: Path) -> bytes:
    from iasante.core.errors import InputDataError

    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputDataError(f"{path.name}: cannot read ({exc.strerror})") from exc


@app.command()
def submit(
    challenge: Annotated[str, typer.Argument(help="Challenge slug.")],
    file: Annotated[Path, typer.Argument(help="Predictions CSV: id,score or id,prediction.")],
    label: Annotated[str, typer.Option(help="A short description of the method.")] = "",
    phase: Annotated[str | None, typer.Option(help="Phase name (default: the open one).")] = None,
    baseline: Annotated[bool, typer.Option(help="Organisers: add as a highlighted baseline row.")] = False,
) -> None:
    """Submit predictions, score them here and print the submission as JSON; a rejected file exits 2."""
    from iasante.challenge import service
    from iasante.core.auth import cli_principal
    from iasante.core.progress import console, fraction_bar

    who = cli_principal(ALL_ROLES, "challenge.submit")
    with fraction_bar("Scoring") as update:
        result = service.submit(
            challenge,
            who,
            _read(file),
            file.name,
            label,
            phase_name=phase,
            baseline=baseline,
            run_inline=True,
            on_progress=update,
        )
    _print_json(result.model_dump(mode="json"))
    if result.status == "rejected":
        console.print(f"error: {result.error}", highlight=False, soft_wrap=True)
        raise typer.Exit(2)


@app.command()
def leaderboard(
    challenge: Annotated[str, typer.Argument(help="Challenge slug.")],
    phase: Annotated[str | None, typer.Option(help="Phase name (default: the open one).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Show the leaderboards (one per metric) with 95% CIs, rank intervals, stability and QI."""
    from rich.console import Console
    from rich.table import Table

    from iasante.challenge import service
    from iasante.core.auth import cli_principal

    who = cli_principal(ALL_ROLES, "challenge.leaderboard")
    board = service.leaderboard(challenge, who, phase)
    if as_json:
        typer.echo(board.model_dump_json())
        return
    out = Console()
    out.print(f"{board.challenge} / {board.phase} ({board.subset}, {board.n_rows_scored} rows) {board.note}")
    for b in board.boards:
        table = Table(
            "rank",
            "team / method",
            b.metric,
            "95% CI",
            "rank 95%",
            "stability",
            "QI",
            title=f"{b.title}{' (primary)' if b.primary else ''}; QI reference: {b.qi_reference}",
        )
        for r in b.rows:
            table.add_row(
                f"{r.rank}{'=' if r.tied else ''}",
                r.name,
                _fmt(r.value),
                f"{_fmt(r.ci_low)} to {_fmt(r.ci_high)}",
                f"{r.rank_low}-{r.rank_high}",
                f"{r.stability:.0%}",
                _fmt(r.qi, 0),
                style="bold cyan" if r.is_baseline else None,
            )
        out.print(table)


def _fmt(value: float | None, digits: int = 4) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.{digits}f}"


@app.command()
def reveal(challenge: str, phase: str) -> None:
    """Reveal a private leaderboard before its phase ends (organisers)."""
    from iasante.challenge import service
    from iasante.core.auth import cli_principal

    service.reveal_phase(challenge, phase, cli_principal(["data_scientist"], "challenge.reveal"))
    typer.echo(f"{challenge}/{phase} revealed")


@app.command()
def join(challenge: str, team: Annotated[str | None, typer.Option(help="Team name.")] = None) -> None:
    """Register for a challenge, creating your team."""
    from iasante.challenge import service
    from iasante.core.auth import cli_principal

    _print_json(service.join(challenge, cli_principal(ALL_ROLES, "challenge.join"), team).model_dump())


@app.command()
def invite(challenge: str, username: str) -> None:
    """Invite a user into your team."""
    from iasante.challenge import service
    from iasante.core.auth import cli_principal

    _print_json(service.invite(challenge, cli_principal(ALL_ROLES, "challenge.invite"), username).model_dump())


@app.command()
def train(
    seed: Annotated[int, typer.Option(help="Random seed of splits, solver and bootstrap.")] = 0,
) -> None:
    """Rebuild the demo challenges and refit their baselines from the shared data (demo/, weights/)."""
    from iasante.challenge.train import build_all, count_images
    from iasante.core.config import get_settings
    from iasante.core.progress import fraction_bar

    data_dir = get_settings().data_dir
    total = max(count_images(data_dir, seed) if data_dir else 0, 1)
    done = [0]
    with fraction_bar("Reading images") as update:

        def tick() -> None:
            done[0] += 1
            update(done[0] / total)

        summary = build_all(seed, on_item=tick)
    _print_json(summary)


add_demo_command(app, "challenge", [Role.data_scientist],
                 "Load the three demo challenges with their baseline rows (idempotent).")
