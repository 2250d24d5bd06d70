"""Teams and invitations: a user belongs to one team per challenge (a solo team is made on first use)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iasante.challenge.db import Challenge, Invitation, Member, Phase, Submission, Team
from iasante.challenge.schemas import InvitationPublic, TeamPublic
from iasante.challenge.store import get_challenge_row
from iasante.core import audit
from iasante.core.auth import Principal
from iasante.core.db import session_scope, utcnow
from iasante.core.errors import InputDataError, NotFoundError


def ensure_team(session: Session, challenge: Challenge, username: str, team_name: str | None = None) -> Team:
    """The user's team here; one named ``team_name`` (or after the user) is made on first use."""
    member = session.scalar(select(Member).where(Member.challenge_id == challenge.id, Member.username == username))
    if member is not None:
        return session.get_one(Team, member.team_id)
    names = session.scalars(select(Team.name).where(Team.challenge_id == challenge.id)).all()
    name = (team_name or "").strip()[:64]
    if team_name is None:  # automatic solo team: the username, made unique if a team already took it
        name = next(n for k in range(len(names) + 1) if (n := username[:60] + (f"-{k}" if k else "")) not in names)
    elif not name or name in names:
        raise InputDataError(f"team name {name!r} is empty or already taken in {challenge.slug!r}")
    team = Team(challenge_id=challenge.id, name=name, created_by=username)
    session.add(team)
    session.flush()
    session.add(Member(challenge_id=challenge.id, team_id=team.id, username=username))
    session.flush()
    return team


def count_today(session: Session, phase: Phase, team_id: int) -> int:
    """Submissions of the team in this phase since 00:00 UTC, rejected ones excluded."""
    midnight = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    query = select(func.count(Submission.id)).where(
        Submission.phase_id == phase.id,
        Submission.team_id == team_id,
        Submission.status != "rejected",
        Submission.created_at >= midnight,
    )
    return int(session.scalar(query) or 0)


def _team_public(session: Session, challenge: Challenge, team: Team) -> TeamPublic:
    members = session.scalars(select(Member.username).where(Member.team_id == team.id).order_by(Member.id))
    pending = session.scalars(
        select(Invitation.invitee).where(Invitation.team_id == team.id, Invitation.status == "pending")
    )
    return TeamPublic(
        id=team.id,
        challenge=challenge.slug,
        name=team.name,
        members=list(members),
        pending_invitations=list(pending),
    )


def join(slug: str, who: Principal, team_name: str | None = None) -> TeamPublic:
    """Register for a challenge, creating a team (named ``team_name``, or after the user)."""
    with session_scope() as session:
        challenge = get_challenge_row(session, slug)
        team = ensure_team(session, challenge, who.username, team_name)
        audit.record(session, who.username, "create", "challenge_member", f"{slug}/{team.name}", ip=who.ip)
        return _team_public(session, challenge, team)


def team_of(slug: str, who: Principal) -> tuple[TeamPublic | None, list[InvitationPublic]]:
    """The caller's team in the challenge (or ``None``) and the invitations waiting for the caller."""
    with session_scope() as session:
        challenge = get_challenge_row(session, slug)
        member = session.scalar(
            select(Member).where(Member.challenge_id == challenge.id, Member.username == who.username)
        )
        team = _team_public(session, challenge, session.get_one(Team, member.team_id)) if member else None
        waiting = session.execute(
            select(Invitation, Team)
            .join(Team, Team.id == Invitation.team_id)
            .where(
                Team.challenge_id == challenge.id,
                Invitation.invitee == who.username,
                Invitation.status == "pending",
            )
        ).all()
        return team, [_invitation_public(challenge, inv, t) for inv, t in waiting]


def _invitation_public(challenge: Challenge, invitation: Invitation, team: Team) -> InvitationPublic:
    return InvitationPublic(
        id=invitation.id,
        challenge=challenge.slug,
        team=team.name,
        invitee=invitation.invitee,
        invited_by=invitation.invited_by,
        status=invitation.status,
    )


def invite(slug: str, who: Principal, invitee: str) -> InvitationPublic:
    """Invite a user (by username) into the caller's team."""
    invitee = invitee.strip()
    if not invitee or invitee == who.username:
        raise InputDataError(f"invitee {invitee!r}: give another user's username")
    with session_scope() as session:
        challenge = get_challenge_row(session, slug)
        team = ensure_team(session, challenge, who.username)
        invitation = Invitation(team_id=team.id, invitee=invitee, invited_by=who.username, status="pending")
        session.add(invitation)
        audit.record(
            session,
            who.username,
            "create",
            "challenge_invitation",
            invitee,
            ip=who.ip,
            detail=f"{slug}/{team.name}",
        )
        session.flush()
        return _invitation_public(challenge, invitation, team)


def answer_invitation(invitation_id: int, who: Principal, accept: bool) -> TeamPublic:
    """Accept (join the team, leaving an unused solo team) or decline an invitation sent to the caller."""
    with session_scope() as session:
        invitation = session.get(Invitation, invitation_id)
        if invitation is None or invitation.invitee != who.username or invitation.status != "pending":
            raise NotFoundError(f"invitation {invitation_id} not found or already answered")
        team = session.get_one(Team, invitation.team_id)
        challenge = session.get_one(Challenge, team.challenge_id)
        invitation.status = "accepted" if accept else "declined"
        if accept:
            current = session.scalar(
                select(Member).where(Member.challenge_id == team.challenge_id, Member.username == who.username)
            )
            if current is not None:
                used = session.scalar(select(func.count(Submission.id)).where(Submission.team_id == current.team_id))
                if used:
                    raise InputDataError("you already submitted with another team; teams cannot be merged")
                session.delete(current)
                session.flush()
            session.add(Member(challenge_id=team.challenge_id, team_id=team.id, username=who.username))
        audit.record(
            session,
            who.username,
            "update",
            "challenge_invitation",
            invitation_id,
            ip=who.ip,
            detail=invitation.status,
        )
        session.flush()
        return _team_public(session, challenge, team)
