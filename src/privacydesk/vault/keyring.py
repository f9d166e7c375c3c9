"""Day keys: one AES-256 key per expiry day, in files outside the database (P4).

Each item key is wrapped under the key of the item's expiry day. When the day has passed the
sweep destroys that file (overwrite, fsync, unlink, fsync of the directory); from then on no
copy of the database — a restored backup included — can unwrap the item keys of that day.
Each day-key file is itself encrypted under the master key from the environment, so a stolen
keyring alone is useless. Items under a legal hold are wrapped under the hold key instead.
"""

from __future__ import annotations

import os
import secrets
from datetime import date
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

HOLD = "hold"
_MAGIC = b"PDK1"


class KeyDestroyed(LookupError):
    """The day key is gone: what it wrapped can never be read again."""


def keyring_dir() -> Path:
    path = Path(settings.KEYRING_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _path(name: str) -> Path:
    return keyring_dir() / f"{name}.key"


def day_name(day: date) -> str:
    return day.isoformat()


def _seal(key: bytes, name: str) -> bytes:
    nonce = secrets.token_bytes(12)
    return _MAGIC + nonce + AESGCM(settings.VAULT_MASTER_KEY).encrypt(nonce, key, name.encode())


def _open(blob: bytes, name: str) -> bytes:
    if not blob.startswith(_MAGIC):
        raise ValueError(f"keyring file {name} is not a Privacydesk key")
    nonce, sealed = blob[4:16], blob[16:]
    return AESGCM(settings.VAULT_MASTER_KEY).decrypt(nonce, sealed, name.encode())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def get_key(name: str, *, create: bool) -> bytes:
    """The key called ``name`` (a day ``YYYY-MM-DD`` or ``hold``); created on first use."""
    path = _path(name)
    if path.exists():
        return _open(path.read_bytes(), name)
    if not create:
        raise KeyDestroyed(name)
    key = secrets.token_bytes(32)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(_seal(key, name))
        fh.flush()
        os.fsync(fh.fileno())
    try:
        os.link(tmp, path)  # a concurrent writer may have won: then use its key
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    _fsync_dir(path.parent)
    return _open(path.read_bytes(), name)


def has_key(name: str) -> bool:
    return _path(name).exists()


def destroy(name: str) -> bool:
    """Overwrite the key file with random bytes, fsync, unlink, fsync the directory."""
    path = _path(name)
    if not path.exists():
        return False
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.write(secrets.token_bytes(size))
        fh.flush()
        os.fsync(fh.fileno())
    path.unlink()
    _fsync_dir(path.parent)
    return True


def days_before(day: date) -> list[date]:
    """Day keys in the keyring for days before ``day``."""
    found = []
    for path in keyring_dir().glob("????-??-??.key"):
        try:
            key_day = date.fromisoformat(path.stem)
        except ValueError:
            continue
        if key_day < day:
            found.append(key_day)
    return sorted(found)


def wrap(key_name: str, item_id: str, secret: bytes) -> bytes:
    """Encrypt an item key under ``key_name``; the item id is bound in as associated data."""
    nonce = secrets.token_bytes(12)
    return nonce + AESGCM(get_key(key_name, create=True)).encrypt(nonce, secret, item_id.encode())


def unwrap(key_name: str, item_id: str, wrapped: bytes) -> bytes:
    key = get_key(key_name, create=False)
    return AESGCM(key).decrypt(wrapped[:12], wrapped[12:], item_id.encode())
