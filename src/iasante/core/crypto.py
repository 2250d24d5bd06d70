"""Keys, encryption at rest (AES-256-GCM) and keyed pseudonymisation (HMAC-SHA256).

One master key (``IASANTE_SECRET_KEY`` or the key file created at set-up) derives separate sub-keys with HKDF,
so that the file key, the pseudonym key and the session key never coincide.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from iasante.core.config import get_settings
from iasante.core.errors import ConfigError

_NONCE_BYTES = 12
_MAGIC = b"IAS1"


def ensure_key_file() -> None:
    """Create the master key file (0600) at set-up if no key is configured."""
    settings = get_settings()
    if settings.secret_key or settings.key_file.exists():
        return
    settings.key_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(settings.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(base64.b64encode(os.urandom(32)))


@lru_cache(maxsize=1)
def _master_key() -> bytes:
    settings = get_settings()
    if settings.secret_key:
        raw = settings.secret_key.encode()
    else:
        ensure_key_file()
        raw = settings.key_file.read_bytes().strip()
    try:
        key = base64.b64decode(raw, validate=True)
    except ValueError:
        key = hashlib.sha256(raw).digest()
    if len(key) < 32:
        raise ConfigError("IASANTE_SECRET_KEY must hold at least 32 bytes (base64)")
    return key


@lru_cache(maxsize=8)
def derive_key(purpose: str) -> bytes:
    """A 32-byte sub-key for one purpose ("files", "pseudonym", "session"...)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(_master_key())


def clear_key_cache() -> None:
    _master_key.cache_clear()
    derive_key.cache_clear()


def encrypt(data: bytes, associated: bytes = b"") -> bytes:
    """AES-GCM encrypt; output is magic + nonce + ciphertext-with-tag."""
    nonce = os.urandom(_NONCE_BYTES)
    return _MAGIC + nonce + AESGCM(derive_key("files")).encrypt(nonce, data, associated)


def decrypt(blob: bytes, associated: bytes = b"") -> bytes:
    """Inverse of :func:`encrypt`; raises ``cryptography.exceptions.InvalidTag`` if tampered."""
    if not blob.startswith(_MAGIC):
        raise ValueError("not an IA Santé encrypted blob")
    nonce = blob[len(_MAGIC) : len(_MAGIC) + _NONCE_BYTES]
    return AESGCM(derive_key("files")).decrypt(nonce, blob[len(_MAGIC) + _NONCE_BYTES :], associated)


def pseudonymise(patient_id: str) -> str:
    """Stable keyed pseudonym of a patient identifier (HMAC-SHA256, 20 hex chars, prefixed ``P-``).

    The same identifier always maps to the same pseudonym under one key, so records link up without the
    real identifier ever being stored.
    """
    normalised = patient_id.strip().upper()
    if not normalised:
        raise ValueError("empty patient identifier")
    digest = hmac.new(derive_key("pseudonym"), normalised.encode(), hashlib.sha256).hexdigest()
    return "P-" + digest[:20]
