"""Append-only audit log of every read and write of patient data (who, what, when, from where)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from iasante.core.db import Base, session_scope
from iasante.core.errors import NotFoundError
from iasante.core.models import AuditEvent

Row = TypeVar("Row", bound=Base)


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


def read_audited(session: Session, model: type[Row], record_id: int, *, resource: str, actor: str,
                 ip: str = "") -> Row:
    """Fetch one stored record of patient data by id and audit the read (with the row's pseudonym).

    Raises:
        NotFoundError: "<resource with spaces> <id> not found" when no row has that id.
    """
    row = session.get(model, record_id)
    if row is None:
        raise NotFoundError(f"{resource.replace('_', ' ')} {record_id} not found")
    record(session, actor, "read", resource, record_id, patient=getattr(row, "patient", None), ip=ip)
    return row


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
