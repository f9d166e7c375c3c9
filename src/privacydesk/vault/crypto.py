"""The age format (via pyrage) with a fresh X25519 identity per item (P4, P11).

Every item is one age file encrypted to its own identity; that identity, the item key, is kept
only wrapped under a day key (see ``keyring``). Any age implementation, the Debian ``age``
CLI included, can decrypt an item given its identity.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import BinaryIO

import pyrage
from pyrage import x25519

PROGRESS_STEP = 4 * 1024 * 1024


class _Counting:
    """Counts and hashes bytes; reports progress in steps (a callback per 8 KiB costs)."""

    def __init__(self, progress: Callable[[int], None] | None):
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.progress = progress
        self._unreported = 0

    def _seen(self, data) -> None:
        self.sha256.update(data)
        self.size += len(data)
        if self.progress is not None:
            self._unreported += len(data)
            if self._unreported >= PROGRESS_STEP:
                self.progress(self._unreported)
                self._unreported = 0

    def report_rest(self) -> None:
        if self.progress is not None and self._unreported:
            self.progress(self._unreported)
            self._unreported = 0


class HashingReader(_Counting):
    """Wraps a binary file: counts and hashes every byte read (the plaintext's SHA-256)."""

    def __init__(self, raw: BinaryIO, progress: Callable[[int], None] | None = None):
        super().__init__(progress)
        self.raw = raw

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self._seen(data)
        return data

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer)
        if n:
            self._seen(memoryview(buffer)[:n])
        return n or 0


class HashingWriter(_Counting):
    """Wraps a binary writer: counts and hashes every byte written."""

    def __init__(self, raw, progress: Callable[[int], None] | None = None):
        super().__init__(progress)
        self.raw = raw

    def write(self, data) -> int:
        self._seen(data)
        return self.raw.write(data) or len(data)

    def flush(self) -> None:
        if hasattr(self.raw, "flush"):
            self.raw.flush()


def new_identity() -> x25519.Identity:
    return x25519.Identity.generate()


def identity_from(secret: bytes) -> x25519.Identity:
    return x25519.Identity.from_str(secret.decode())


def encrypt(source: BinaryIO, target: BinaryIO, identity: x25519.Identity) -> None:
    """Stream ``source`` into ``target`` as an age file for ``identity`` (constant memory)."""
    pyrage.encrypt_io(source, target, [identity.to_public()])


def decrypt(source: BinaryIO, target, identity: x25519.Identity) -> None:
    """Stream an age file to ``target``. Raises on a wrong key, corruption or truncation —
    after part of the plaintext may already be written, so callers write to a temporary
    place and keep it only if this returns."""
    pyrage.decrypt_io(source, target, [identity])
