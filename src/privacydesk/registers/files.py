"""The processor agreement file, stored encrypted in the database (P3, P9).

AES-256-GCM under a key derived (HKDF-SHA-256) from the vault master key
(``settings.VAULT_MASTER_KEY``, ``PRIVACYDESK_VAULT_MASTER_KEY``) with a label of its own, so
one secret outside the database protects both and neither key can stand in for the other.
The vault's own storage lives in a sibling app, which this app does not import; an agreement is
a small document, so it is one encrypted column (``Processor.agreement_file``), in the same
backups as the row it belongs to. The processor's id is the associated data: a file cannot be
moved to another processor's row unnoticed.
"""

from __future__ import annotations

import hashlib
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

MAX_SIZE = 20 * 1000 * 1000  # 20 MB: an agreement, not a disk image
_INFO = b"privacydesk registers: processor agreement files v1"
_NONCE = 12


def _key() -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        bytes(settings.VAULT_MASTER_KEY)
    )


def seal(data: bytes, *, processor_id: int) -> bytes:
    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(_key()).encrypt(nonce, data, str(processor_id).encode())


def open_sealed(blob: bytes, *, processor_id: int) -> bytes:
    blob = bytes(blob)
    return AESGCM(_key()).decrypt(blob[:_NONCE], blob[_NONCE:], str(processor_id).encode())


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
