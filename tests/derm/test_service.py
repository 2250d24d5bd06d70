"""Stored analyses, audit, demo loading and status (SQLite state from the shared fixture)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from iasante.core.db import session_scope
from iasante.core.errors import InputDataError, NotFoundError
from iasante.core.models import AuditEvent
from iasante.derm import service

from .helpers import encode, synthetic_lesion


def test_store_and_read_back_an_analysis_with_pseudonymised_patient(iasante_home) -> None:  # type: ignore[no-untyped-def]
    with session_scope() as session:
        row = service.store_analysis(session, encode(synthetic_lesion()), "lesion.png", owner="dr",
                                     patient_id="IPP-12345")
        analysis_id = row.id
    with session_scope() as session:
        row = service.get_analysis(session, analysis_id, actor="dr")
        assert row.patient and row.patient != "IPP-12345"
        assert set(row.probabilities) == set(service.DIAGNOSES)
        assert {"asymmetry", "border_irregularity", "colour_count", "diameter_px"} <= set(row.abcd)
        actions = {(e.action, e.resource) for e in session.scalars(select(AuditEvent))}
        assert ("create", "derm_analysis") in actions and ("read", "derm_analysis") in actions
        assert service.analysis_figure(session, analysis_id, actor="dr").startswith(b"\x89PNG")


def test_bad_upload_and_unknown_id(iasante_home) -> None:  # type: ignore[no-untyped-def]
    with session_scope() as session, pytest.raises(InputDataError, match="scan.jpg: not a readable"):
        service.store_analysis(session, b"\xff\xd8\xffnot really", "scan.jpg", owner="dr")
    with session_scope() as session, pytest.raises(NotFoundError):
        service.get_analysis(session, 999, actor="dr")


def test_load_demo_is_idempotent_and_status_is_ready(iasante_home) -> None:  # type: ignore[no-untyped-def]
    first = service.load_demo("demo")
    assert first.startswith("3 demo image(s) analysed")
    assert service.load_demo("demo").startswith("0 demo image(s) analysed, 3 already present")
    with session_scope() as session:
        assert len(service.list_analyses(session)) == 3
    assert service.system_status()["state"] == "ready"
