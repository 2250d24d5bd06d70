"""Append-only audit log of every read and write of patient data (who, what, when, from where)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from iasante.core.db import session_scope
from iasante.core.models import AuditEvent


def record(
    session: Session | None,
    actor: str,
    action: str,
    resource: str,
    resource_id: str | int | None = None,
    *,
    patient: str | None = None,
    ip: str = "",
    outcome: str = "ok",
    detail: str = "",
) -> None:
    """Append one audit event.

    Args:
        session: the caller's unit of work, so the event commits with the data it describes; ``None`` writes
            it in its own transaction (used for refusals, which must be kept even when the request fails).
        actor: username, ``os:<login>`` for the local CLI operator, or ``anonymous``.
        action: verb such as ``read``, ``create``, ``update``, ``login``, ``denied``.
        patient: the pseudonym (never the real identifier).
    """
    event = AuditEvent(
        actor=actor,
        action=action,
        resource=resource,
        resource_id=None if resource_id is None else str(resource_id),
        patient=patient,
        ip=ip,
        outcome=outcome,
        detail=detail[:2000],
    )
    if session is None:
        with session_scope() as own:
            own.add(event)
    else:
        session.add(event)


def list_events(
    session: Session,
    limit: int = 100,
    actor: str | None = None,
    patient: str | None = None,
    outcome: str | None = None,
) -> Sequence[AuditEvent]:
    """Most recent events first, optionally filtered."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if patient:
        query = query.where(AuditEvent.patient == patient)
    if outcome:
        query = query.where(AuditEvent.outcome == outcome)
    return session.scalars(query).all()
