"""Uploaded files: name and size checks, type checks by content, encryption at rest, audited reads."""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Iterable
from pathlib import Path, PurePosixPath, PureWindowsPath

from sqlalchemy.orm import Session

from iasante.core import audit, crypto
from iasante.core.config import get_settings
from iasante.core.errors import InputDataError, NotFoundError
from iasante.core.models import StoredFile

_SAFE_NAME = re.compile(r"^[\w][\w .()+-]{0,200}$")

# Leading bytes of the formats the systems accept; text formats (csv, vcf, fasta...) are checked as UTF-8.
_MAGIC = {
    ".png": [b"\x89PNG\r\n\x1a\n"],
    ".jpg": [b"\xff\xd8\xff"],
    ".jpeg": [b"\xff\xd8\xff"],
    ".zip": [b"PK\x03\x04", b"PK\x05\x06"],
    ".gz": [b"\x1f\x8b"],
    ".dcm": [],  # checked below (preamble + "DICM" at 128, or bare dataset)
    ".nii": [],
}
TEXT_EXTENSIONS = {".csv", ".tsv", ".txt", ".vcf", ".bed", ".json", ".fa", ".fasta", ".fq", ".fastq", ".smi", ".sdf"}


def check_filename(name: str) -> str:
    """Refuse path traversal and odd names; return the bare, safe file name."""
    if not name or "\x00" in name:
        raise InputDataError("upload: empty or invalid file name")
    bare = PurePosixPath(PureWindowsPath(name).as_posix()).name
    if bare != name or name in {".", ".."} or ".." in name.split("/"):
        raise InputDataError(f"upload {name!r}: path components are not allowed in a file name")
    if not _SAFE_NAME.match(bare):
        raise InputDataError(f"upload {name!r}: file name has characters that are not allowed")
    return bare


def _suffix(name: str) -> str:
    lowered = name.lower()
    for double in (".nii.gz", ".vcf.gz", ".fq.gz", ".fastq.gz", ".tar.gz"):
        if lowered.endswith(double):
            return ".gz"
    return Path(lowered).suffix


def check_content(name: str, data: bytes, allowed: Iterable[str]) -> None:
    """Check the extension is allowed and the bytes really are of that type."""
    suffix = _suffix(name)
    allowed_set = {a.lower() for a in allowed}
    if suffix not in allowed_set:
        raise InputDataError(f"upload {name!r}: type {suffix or '(none)'} not accepted; allowed: "
                             f"{', '.join(sorted(allowed_set))}")
    if not data:
        raise InputDataError(f"upload {name!r}: the file is empty")
    if suffix in TEXT_EXTENSIONS:
        try:
            data[:65536].decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < 65530:
                raise InputDataError(f"upload {name!r}: not a UTF-8 text file") from exc
        return
    if suffix == ".dcm":
        if data[128:132] != b"DICM" and data[:2] not in (b"\x08\x00", b"\x02\x00"):
            raise InputDataError(f"upload {name!r}: not a DICOM file")
        return
    signatures = _MAGIC.get(suffix)
    if signatures and not any(data.startswith(sig) for sig in signatures):
        raise InputDataError(f"upload {name!r}: content does not match its {suffix} extension")


def store_upload(
    session: Session,
    data: bytes,
    filename: str,
    *,
    owner: str,
    allowed: Iterable[str],
    patient: str | None = None,
    content_type: str = "application/octet-stream",
    ip: str = "",
) -> StoredFile:
    """Validate then store an upload encrypted; the row and the audit event commit with ``session``.

    A refused upload is audited (in its own transaction) before the error is raised. The file is written to a
    temporary name and renamed, so a failure leaves nothing half-written.
    """
    try:
        name = check_filename(filename)
        limit = get_settings().max_upload_bytes
        if len(data) > limit:
            raise InputDataError(f"upload {name!r}: {len(data)} bytes exceeds the limit of {limit} bytes")
        check_content(name, data, allowed)
    except InputDataError as exc:
        audit.record(None, owner, "denied", "file", patient=patient, ip=ip, outcome="denied", detail=str(exc))
        raise
    file_id = str(uuid.uuid4())
    folder = get_settings().files_dir
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{file_id}.tmp"
    temporary.write_bytes(crypto.encrypt(data, associated=file_id.encode()))
    os.replace(temporary, folder / file_id)
    stored = StoredFile(
        id=file_id,
        original_name=name,
        content_type=content_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        owner=owner,
        patient=patient,
    )
    session.add(stored)
    audit.record(session, owner, "create", "file", file_id, patient=patient, ip=ip, detail=name)
    return stored


def read_stored(session: Session, file_id: str, *, actor: str, ip: str = "") -> tuple[StoredFile, bytes]:
    """Decrypt a stored file and audit the read."""
    stored = session.get(StoredFile, file_id)
    if stored is None:
        raise NotFoundError(f"file {file_id!r} not found")
    blob = (get_settings().files_dir / file_id).read_bytes()
    data = crypto.decrypt(blob, associated=file_id.encode())
    audit.record(session, actor, "read", "file", file_id, patient=stored.patient, ip=ip)
    return stored, data
