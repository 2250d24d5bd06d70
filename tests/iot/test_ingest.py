"""Ingestion into the database: JSON and FHIR payloads, idempotency, dead letters, NEWS2 and alerts derived."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from iasante.core.auth import Principal
from iasante.core.db import session_scope
from iasante.core.models import AuditEvent
from iasante.iot import service
from iasante.iot.db import Alert, DeadLetter, Reading, Score
from iasante.iot.derive import covid_suspicion, process_batch
from iasante.iot.ingest import Message, device_of_topic, parse_message

WHO = Principal("nurse1", "clinician", "127.0.0.1")
T0 = datetime(2020, 4, 1, 8, 0, tzinfo=UTC)


def _msg(payload: object, device: str = "dev-1", kind: str = "readings") -> Message:
    return Message("test", f"iasante/devices/{device}/{kind}", device, json.dumps(payload).encode())


def fhir_observation(loinc: str, value: float, unit: str, ts: datetime = T0) -> dict[str, object]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "effectiveDateTime": ts.isoformat(),
        "valueQuantity": {"value": value, "unit": unit},
    }


@pytest.fixture
def patient_device(iasante_home: Path) -> str:
    with session_scope() as session:
        patient = service.add_patient(session, WHO, "IPP-0001", label="Bed 1", ward="COVID A")
        service.add_device(session, WHO, "dev-1", patient, update_broker=False)
        return patient.pseudo


def test_parse_json_and_fhir() -> None:
    readings = parse_message(_msg({"ts": "2020-04-01T08:00:00Z", "values": {"hr_bpm": 72, "spo2_pct": 97}}))
    assert [(m, v) for m, _t, v in readings] == [("hr_bpm", 72.0), ("spo2_pct", 97.0)]
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": fhir_observation("8867-4", 88, "/min")},
            {
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
                    "effectiveDateTime": T0.isoformat(),
                    "component": [
                        {
                            "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                            "valueQuantity": {"value": 118, "unit": "mm[Hg]"},
                        },
                        {
                            "code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
                            "valueQuantity": {"value": 76, "unit": "mm[Hg]"},
                        },
                    ],
                }
            },
        ],
    }
    parsed = parse_message(_msg(bundle, kind="fhir"))
    assert sorted((m, v) for m, _t, v in parsed) == [("hr_bpm", 88.0), ("systolic_bp", 118.0)]
    assert device_of_topic("iasante/devices/abc/fhir") == ("abc", "fhir")


BAD_PAYLOADS = [
    (b"{not json", "not JSON"),
    (json.dumps({"ts": "2020-04-01T08:00:00Z", "metric": "hr_bpm", "value": 400}).encode(), "hr_bpm=400 outside"),
    (json.dumps({"ts": "2020-04-01T08:00:00", "metric": "hr_bpm", "value": 70}).encode(), "no time zone"),
    (json.dumps({"ts": "2020-04-01T08:00:00Z", "metric": "glucose", "value": 5}).encode(), "unknown metric"),
    (json.dumps({"resourceType": "Observation", "code": {}}).encode(), "invalid FHIR"),
    (json.dumps(fhir_observation("1234-5", 1, "x")).encode(), "no supported LOINC"),
]


def test_bad_messages_go_to_dead_letters_with_reason(patient_device: str) -> None:
    good = _msg({"ts": T0.isoformat(), "metric": "hr_bpm", "value": 70})
    batch = [Message("test", "iasante/devices/dev-1/readings", "dev-1", p) for p, _r in BAD_PAYLOADS] + [good]
    with session_scope() as session:
        result = process_batch(session, batch, None, None)
    assert (result.stored, result.dead) == (1, len(BAD_PAYLOADS))
    with session_scope() as session:
        dead = session.scalars(select(DeadLetter).order_by(DeadLetter.id)).all()
        for row, (payload, reason) in zip(dead, BAD_PAYLOADS, strict=True):
            assert reason in row.reason and row.device_id == "dev-1"
            assert row.payload == payload.decode()


def test_unknown_device_is_dead_lettered(patient_device: str) -> None:
    with session_scope() as session:
        result = process_batch(
            session, [_msg({"ts": T0.isoformat(), "metric": "hr_bpm", "value": 70}, "ghost")], None, None
        )
        assert result.dead == 1
        assert "not registered" in session.scalars(select(DeadLetter.reason)).one()


def test_duplicates_are_idempotent(patient_device: str) -> None:
    message = _msg({"ts": T0.isoformat(), "values": {"hr_bpm": 70, "resp_rate": 16}})
    with session_scope() as session:
        first = process_batch(session, [message, message], None, None)
    with session_scope() as session:
        second = process_batch(session, [message], None, None)
        assert session.scalar(select(func.count(Reading.id))) == 2
    assert (first.stored, first.duplicates) == (2, 2)
    assert (second.stored, second.duplicates) == (0, 2)


def test_news2_recomputed_on_each_vital_set_and_alerts(patient_device: str) -> None:
    sets = [
        {"resp_rate": 16, "spo2_pct": 97, "systolic_bp": 120, "hr_bpm": 70, "temp_c": 37.0},
        {
            "resp_rate": 26,
            "spo2_pct": 90,
            "systolic_bp": 88,
            "hr_bpm": 135,
            "temp_c": 39.5,
            "on_oxygen": 1,
            "consciousness": 2,
        },
    ]
    with session_scope() as session:
        for i, values in enumerate(sets):
            process_batch(
                session,
                [_msg({"ts": (T0 + timedelta(hours=i)).isoformat(), "values": values})],
                None,
                service.detector_or_none(),
            )
    with session_scope() as session:
        scores = session.scalars(select(Score).order_by(Score.ts)).all()
        assert [(s.value, s.risk) for s in scores] == [(0, "low"), (19, "high")]
        assert scores[0].detail["assumed"] == ["on_oxygen", "consciousness"]
        alert = session.scalars(select(Alert)).one()
        assert alert.kind == "news2" and "NEWS2 19 (high)" in alert.explanation


def test_early_alert_from_daily_heart_rate(patient_device: str) -> None:
    rhr = [60, 61, 59, 62, 60, 61, 60, 59, 61, 60] * 3 + [75, 78]
    messages = [
        _msg({"ts": (T0 + timedelta(days=d)).isoformat(), "values": {"rhr_bpm": v, "steps": 8000}})
        for d, v in enumerate(rhr)
    ]
    with session_scope() as session:
        process_batch(session, messages[:-2], None, service.get_detector())
        assert session.scalar(select(func.count(Alert.id))) == 0
    with session_scope() as session:
        process_batch(session, messages[-2:], None, service.get_detector())
    with session_scope() as session:
        alerts = session.scalars(select(Alert).order_by(Alert.ts)).all()
        assert alerts and all(a.kind == "presymptomatic" for a in alerts)
        assert "heart rate" in alerts[0].explanation and alerts[0].ts.date() >= (T0 + timedelta(days=30)).date()


def test_ward_list_patient_view_and_audited_ack(patient_device: str) -> None:
    values = {"resp_rate": 26, "spo2_pct": 90, "systolic_bp": 88, "hr_bpm": 135, "temp_c": 39.5}
    with session_scope() as session:
        service.ingest_payload(session, WHO, "dev-1", json.dumps({"ts": T0.isoformat(), "values": values}).encode())
    with session_scope() as session:
        rows = service.ward_list(session, WHO)
        assert rows[0]["pseudo"] == patient_device and rows[0]["risk"] == "high" and rows[0]["open_alerts"] == 1
        assert rows[0]["suspicion"] >= 6
        view = service.patient_view(session, WHO, patient_device)
        alert_id = view["alerts"][0].id
    with session_scope() as session:
        service.acknowledge(session, WHO, alert_id)
    with session_scope() as session:
        assert session.get(Alert, alert_id).acknowledged_by == "nurse1"
        events = session.scalars(select(AuditEvent).where(AuditEvent.resource == "iot_alert")).all()
        assert [e.action for e in events] == ["update"] and events[0].patient == patient_device


def test_covid_suspicion_points() -> None:
    assert covid_suspicion({}, False) == (0, [])
    score, reasons = covid_suspicion({"symptom_score": 6, "temp_c": 38.2, "spo2_pct": 93, "hr_bpm": 101}, True)
    assert score == 10 and len(reasons) == 5


def test_load_demo_is_idempotent(iasante_home: Path) -> None:
    first = service.load_demo("demo")
    second = service.load_demo("demo")
    assert "new reading(s)" in first and " 0 new reading(s)" in second
    with session_scope() as session:
        assert session.scalar(select(func.count(Score.id))) > 0
        assert session.scalar(select(func.count(Alert.id)).where(Alert.kind == "presymptomatic")) > 0
        symptoms = session.scalars(select(Reading.value).where(Reading.metric == "symptom_score")).all()
        assert symptoms and max(symptoms) >= 1  # Welltory surveys → daily symptom counts


def test_same_behaviour_on_sqlite_and_postgresql(db_home: str) -> None:
    """Idempotent bulk insert (COPY + ON CONFLICT on PostgreSQL), dead letters and NEWS2 on both databases."""
    with session_scope() as session:
        patient = service.add_patient(session, WHO, "IPP-DB", spo2_scale=2)
        service.add_device(session, WHO, "dev-db", patient, update_broker=False)
    vital = _msg(
        {
            "ts": T0.isoformat(),
            "values": {
                "resp_rate": 18,
                "spo2_pct": 95,
                "systolic_bp": 120,
                "hr_bpm": 80,
                "temp_c": 37.2,
                "on_oxygen": 1,
            },
        },
        "dev-db",
    )
    stream = [
        _msg({"ts": (T0 + timedelta(seconds=i)).isoformat(), "metric": "hr_bpm", "value": 70}, "dev-db")
        for i in range(1, 1500)
    ]
    bad = _msg({"ts": T0.isoformat(), "metric": "spo2_pct", "value": 120}, "dev-db")
    with session_scope() as session:
        first = process_batch(session, [vital, *stream, stream[0], bad], None, service.get_detector())
    with session_scope() as session:
        second = process_batch(session, [vital, *stream[:10]], None, service.get_detector())
        score = session.scalars(select(Score)).one()
        assert session.scalar(select(func.count(Reading.id))) == 6 + 1499
    assert (first.stored, first.duplicates, first.dead) == (1505, 1, 1)
    assert (second.stored, second.duplicates) == (0, 16)
    assert (score.value, score.risk) == (4, "low")  # scale 2 on oxygen: SpO2 95 → 2, oxygen → 2


def test_listener_keeps_a_failed_batch_unacknowledged_for_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    from iasante.iot import listener as listener_mod

    monkeypatch.setattr(listener_mod.time, "sleep", lambda _s: None)
    listener = listener_mod.Listener("127.0.0.1", 1)  # never connected

    def failing(_batch: list[object]) -> None:
        raise OSError("database is restarting")

    listener._guarded(failing, ["m1", "m2"])
    assert listener.stats.retries == 1 and "restarting" in listener.stats.last_error
    assert [listener._queue.get_nowait(), listener._queue.get_nowait()] == ["m1", "m2"]
