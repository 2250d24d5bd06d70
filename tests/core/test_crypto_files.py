"""Encryption at rest, pseudonyms and upload checks (path traversal, size, type)."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import select

from iasante.core import crypto
from iasante.core.config import get_settings
from iasante.core.db import session_scope
from iasante.core.errors import InputDataError
from iasante.core.files import read_stored, store_upload
from iasante.core.models import AuditEvent

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_pseudonym_is_stable_keyed_and_not_the_identifier(iasante_home) -> None:  # type: ignore[no-untyped-def]
    first = crypto.pseudonymise("IPP-000123")
    assert first == crypto.pseudonymise(" ipp-000123 ") and first.startswith("P-") and "000123" not in first
    assert first != crypto.pseudonymise("IPP-000124")


def test_encryption_round_trip_and_tamper_detection(iasante_home) -> None:  # type: ignore[no-untyped-def]
    blob = crypto.encrypt(b"scanner du patient")
    assert b"scanner" not in blob and crypto.decrypt(blob) == b"scanner du patient"
    with pytest.raises(InvalidTag):
        crypto.decrypt(blob[:-1] + bytes([blob[-1] ^ 1]))


def test_upload_is_encrypted_on_disk_and_read_is_audited(iasante_home) -> None:  # type: ignore[no-untyped-def]
    with session_scope() as session:
        stored = store_upload(session, PNG, "slice.png", owner="marie", allowed={".png"}, patient="P-1")
    on_disk = (get_settings().files_dir / stored.id).read_bytes()
    assert PNG not in on_disk
    with session_scope() as session:
        _, data = read_stored(session, stored.id, actor="marie")
    assert data == PNG
    with session_scope() as session:
        actions = [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.resource == "file"))]
    assert actions == ["create", "read"]


@pytest.mark.parametrize("name", ["../../etc/passwd", "..\\..\\boot.ini", "a/b.png", "/abs.png", "..", "x\x00.png"])
def test_path_traversal_names_are_refused_and_audited(iasante_home, name: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputDataError), session_scope() as session:
        store_upload(session, PNG, name, owner="mallory", allowed={".png"})
    with session_scope() as session:
        denied = session.scalars(select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
    assert len(denied) == 1 and denied[0].actor == "mallory"
    files_dir = get_settings().files_dir
    assert not files_dir.exists() or not any(files_dir.iterdir())


def test_oversize_and_wrong_type_uploads_are_refused(iasante_home, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(type(get_settings()), "max_upload_bytes", property(lambda self: 32))
    with pytest.raises(InputDataError, match="exceeds"), session_scope() as session:
        store_upload(session, PNG, "big.png", owner="marie", allowed={".png"})
    monkeypatch.undo()
    with pytest.raises(InputDataError, match="does not match"), session_scope() as session:
        store_upload(session, b"GIF89a....", "fake.png", owner="marie", allowed={".png"})
    with pytest.raises(InputDataError, match="not accepted"), session_scope() as session:
        store_upload(session, b"MZ\x90\x00", "tool.exe", owner="marie", allowed={".png"})
