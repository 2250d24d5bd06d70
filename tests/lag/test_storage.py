"""Cases, ranked variants and decisions stored the same way on SQLite and PostgreSQL (migrations lag_0001-2)."""

from __future__ import annotations

import pytest

from iasante.core.db import session_scope
from tests.lag.part2_fixtures import genomics_ready  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("genomics_ready")


def test_demo_case_round_trip(db_home: str) -> None:
    from iasante.lag import report, service

    summary = service.load_demo("biologist1")
    assert "12 variants (done)" in summary, db_home
    with session_scope() as session:
        case = service.list_cases(session)[0]
        top = case.variants[0]
        assert top.rank == 1 and top.evidence["criteria"] and top.contributions
        service.save_decision(session, top.id, actor="biologist1", decision_class="pathogenic",
                              comment="ok", report=True, criteria=["5A"])
    with session_scope() as session:
        case = service.get_case(session, service.list_cases(session)[0].id, actor="biologist1")
        top = case.variants[0]
        assert top.decision_criteria == ["5A"] and top.total_points == round(top.acmg_points + 0.45, 2)
        assert top.iscn in report.report_html(case)
        assert len(report.export_tsv(case).splitlines()) == 13
