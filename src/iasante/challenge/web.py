"""Challenge pages (list, create, detail with submit form, live submission state, boards) and JSON API."""

from __future__ import annotations

from typing import Annotated

import yaml
from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from iasante.challenge import service
from iasante.challenge.metrics import METRICS
from iasante.challenge.schemas import (
    ChallengePublic,
    InvitationPublic,
    LeaderboardPublic,
    SubmissionPublic,
    TeamPublic,
    parse_spec,
)
from iasante.core.auth import Principal
from iasante.core.config import get_settings
from iasante.core.errors import InputDataError, NotFoundError
from iasante.core.models import Role
from iasante.core.ui import render
from iasante.core.webdeps import require_roles

router = APIRouter(prefix="/challenge", tags=["challenge"], include_in_schema=False)
api_router = APIRouter(prefix="/api/challenge", tags=["challenge"])
Participant = Annotated[
    Principal,
    Depends(require_roles(Role.challenge_participant, Role.data_scientist, Role.clinician, Role.biologist)),
]
Organiser = Annotated[Principal, Depends(require_roles(Role.data_scientist))]


def _read_upload(upload: UploadFile, what: str) -> bytes:
    """The upload's bytes, refusing files over the platform's size limit before reading them whole."""
    limit = get_settings().max_upload_bytes
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise InputDataError(f"{what} {upload.filename!r}: larger than {limit} bytes")
    return data


# ---------------------------------------------------------------- pages
@router.get("", response_class=HTMLResponse)
def list_page(request: Request, who: Participant) -> Response:
    return render(
        request,
        "challenge/list.html",
        {"challenges": service.list_challenges(), "organiser": service.is_organiser(who)},
    )


@router.get("/new", response_class=HTMLResponse)
def new_page(request: Request, who: Organiser) -> Response:
    return render(request, "challenge/new.html", {"metrics": list(METRICS.values())})


@router.post("/new")
def new_submit(
    request: Request,
    who: Organiser,
    slug: Annotated[str, Form(max_length=64)],
    title: Annotated[str, Form(max_length=200)],
    task: Annotated[str, Form()],
    primary_metric: Annotated[str, Form()],
    truth: Annotated[UploadFile, File()],
    description: Annotated[str, Form(max_length=20000)] = "",
    secondary_metrics: Annotated[str, Form(max_length=500)] = "",
    classes: Annotated[str, Form(max_length=5000)] = "",
    participant_data: Annotated[str, Form(max_length=5000)] = "",
    public_fraction: Annotated[float, Form()] = 0.5,
    development_days: Annotated[float, Form()] = 30,
    final_days: Annotated[float, Form()] = 7,
    daily_quota: Annotated[int, Form()] = 5,
    rule: Annotated[str, Form()] = "best",
    train: Annotated[UploadFile | None, File()] = None,
) -> Response:
    split = [s.strip() for s in secondary_metrics.replace(";", ",").split(",") if s.strip()]
    spec = parse_spec(
        {
            "slug": slug.strip(),
            "title": title,
            "description": description,
            "task": task,
            "primary_metric": primary_metric,
            "secondary_metrics": split,
            "classes": [c.strip() for c in classes.split(",") if c.strip()],
            "public_fraction": public_fraction,
            "participant_data": participant_data,
            "phases": [
                {
                    "name": "development",
                    "subset": "public",
                    "days": development_days,
                    "daily_quota": daily_quota,
                    "rule": rule,
                },
                {
                    "name": "final",
                    "subset": "private",
                    "days": final_days,
                    "daily_quota": daily_quota,
                    "rule": rule,
                },
            ],
        },
        "challenge form",
    )
    train_data = _read_upload(train, "train file") if train is not None and train.filename else None
    created = service.create_challenge(
        spec, _read_upload(truth, "truth file"), who, truth.filename or "truth.csv", train_data
    )
    return RedirectResponse(f"/challenge/{created.slug}", status_code=303)


@router.get("/{slug}", response_class=HTMLResponse)
def detail_page(request: Request, slug: str, who: Participant, phase: str | None = None) -> Response:
    challenge = service.get_challenge(slug)
    team, invitations = service.team_of(slug, who)
    return render(
        request,
        "challenge/detail.html",
        {
            "c": challenge,
            "board": service.leaderboard(slug, who, phase),
            "submissions": service.list_submissions(slug, who, limit=30),
            "team": team,
            "invitations": invitations,
            "organiser": service.is_organiser(who),
        },
    )


@router.post("/{slug}/submit")
def submit_form(
    request: Request,
    slug: str,
    who: Participant,
    file: Annotated[UploadFile, File()],
    label: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    result = service.submit(slug, who, _read_upload(file, "submission"), file.filename or "submission.csv", label)
    return RedirectResponse(f"/challenge/{slug}?submitted={result.id}#submissions", status_code=303)


@router.get("/{slug}/submissions/{submission_id}", response_class=HTMLResponse)
def submission_row(request: Request, slug: str, submission_id: int, who: Participant) -> Response:
    """One submission's row; HTMX polls it while scoring and asks the leaderboard to refresh when done."""
    sub = service.get_submission(submission_id, who)
    response = render(request, "challenge/_submission.html", {"s": sub, "slug": slug})
    if sub.status == "scored" and request.headers.get("hx-request"):
        response.headers["HX-Trigger"] = "leaderboard-refresh"
    return response


@router.get("/{slug}/leaderboard", response_class=HTMLResponse)
def leaderboard_fragment(request: Request, slug: str, who: Participant, phase: str | None = None) -> Response:
    board = service.leaderboard(slug, who, phase)
    return render(request, "challenge/_leaderboard.html", {"board": board, "slug": slug})


@router.get("/{slug}/board.svg")
def board_plot(slug: str, who: Participant, metric: str, phase: str | None = None) -> Response:
    """Forest plot of one board (metric with 95% CIs per row); 404 if the board is not visible."""
    from iasante.challenge.plots import board_svg

    boards = [b for b in service.leaderboard(slug, who, phase).boards if b.metric == metric]
    if not boards:
        raise NotFoundError(f"no visible {metric!r} leaderboard in {slug!r}")
    return Response(board_svg(boards[0]), media_type="image/svg+xml")


@router.get("/{slug}/files/{which}")
def participant_file(request: Request, slug: str, which: str, who: Participant) -> Response:
    name, data = service.participant_file(slug, which, who)
    return Response(data, media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/{slug}/join")
def join_form(
    request: Request, slug: str, who: Participant, team: Annotated[str, Form(max_length=64)] = ""
) -> Response:
    service.join(slug, who, team or None)
    return RedirectResponse(f"/challenge/{slug}#team", status_code=303)


@router.post("/{slug}/invite")
def invite_form(
    request: Request, slug: str, who: Participant, username: Annotated[str, Form(max_length=64)]
) -> Response:
    service.invite(slug, who, username)
    return RedirectResponse(f"/challenge/{slug}#team", status_code=303)


@router.post("/{slug}/invitations/{invitation_id}")
def answer_form(
    request: Request, slug: str, invitation_id: int, who: Participant, accept: Annotated[bool, Form()]
) -> Response:
    service.answer_invitation(invitation_id, who, accept)
    return RedirectResponse(f"/challenge/{slug}#team", status_code=303)


@router.post("/{slug}/reveal/{phase}")
def reveal_form(request: Request, slug: str, phase: str, who: Organiser) -> Response:
    service.reveal_phase(slug, phase, who)
    return RedirectResponse(f"/challenge/{slug}?phase={phase}", status_code=303)


# ---------------------------------------------------------------- JSON API
@api_router.get("")
def api_list(who: Participant) -> list[ChallengePublic]:
    return service.list_challenges()


@api_router.post("", status_code=201)
def api_create(
    request: Request,
    who: Organiser,
    spec: Annotated[UploadFile, File()],
    truth: Annotated[UploadFile, File()],
    train: Annotated[UploadFile | None, File()] = None,
    test_ids: Annotated[UploadFile | None, File()] = None,
) -> ChallengePublic:
    """Create a challenge from a YAML/JSON spec file and the truth CSV (multipart)."""
    try:
        definition = yaml.safe_load(_read_upload(spec, "spec").decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputDataError(f"spec {spec.filename!r}: not YAML/JSON ({exc})") from exc
    return service.create_challenge(
        parse_spec(definition, spec.filename or "spec"),
        _read_upload(truth, "truth file"),
        who,
        truth.filename or "truth.csv",
        _read_upload(train, "train file") if train else None,
        _read_upload(test_ids, "test ids file") if test_ids else None,
    )


@api_router.get("/{slug}")
def api_get(slug: str, who: Participant) -> ChallengePublic:
    return service.get_challenge(slug)


@api_router.post("/{slug}/submissions", status_code=202)
def api_submit(
    request: Request,
    slug: str,
    who: Participant,
    file: Annotated[UploadFile, File()],
    label: Annotated[str, Form(max_length=200)] = "",
) -> SubmissionPublic:
    """Submit predictions; 202 with the queued submission, or 422 naming why the file was rejected."""
    result = service.submit(slug, who, _read_upload(file, "submission"), file.filename or "submission.csv", label)
    if result.status == "rejected":
        raise InputDataError(result.error or "submission rejected")
    return result


@api_router.get("/{slug}/submissions")
def api_submissions(slug: str, who: Participant) -> list[SubmissionPublic]:
    return service.list_submissions(slug, who)


@api_router.get("/{slug}/submissions/{submission_id}")
def api_submission(slug: str, submission_id: int, who: Participant) -> SubmissionPublic:
    return service.get_submission(submission_id, who)


@api_router.get("/{slug}/leaderboard")
def api_leaderboard(request: Request, slug: str, who: Participant, phase: str | None = None) -> LeaderboardPublic:
    return service.leaderboard(slug, who, phase)


@api_router.post("/{slug}/team")
def api_join(request: Request, slug: str, who: Participant, team: str | None = None) -> TeamPublic:
    return service.join(slug, who, team)


@api_router.post("/{slug}/invitations")
def api_invite(request: Request, slug: str, who: Participant, username: str) -> InvitationPublic:
    return service.invite(slug, who, username)


@api_router.post("/{slug}/invitations/{invitation_id}")
def api_answer(request: Request, slug: str, invitation_id: int, who: Participant, accept: bool) -> TeamPublic:
    return service.answer_invitation(invitation_id, who, accept)


@api_router.post("/{slug}/phases/{phase}/reveal")
def api_reveal(request: Request, slug: str, phase: str, who: Organiser) -> LeaderboardPublic:
    service.reveal_phase(slug, phase, who)
    return service.leaderboard(slug, who, phase)
