"""Item encryption: one age file per item, for a fresh X25519 identity (P4, P11).

Every item is one age file (see ``age``) encrypted to its own identity; that identity, the
item key, is kept only wrapped under a day key (see ``keyring``). Any age implementation, the
Debian ``age`` CLI included, can decrypt an item given its identity.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO

from privacydesk.vault import age
from privacydesk.vault.age import Identity, Sealed


def new_identity() -> Identity:
    return Identity.generate()


def identity_from(secret: bytes) -> Identity:
    return Identity.parse(secret.decode())


def encrypt(
    source: BinaryIO,
    target: BinaryIO,
    identity: Identity,
    *,
    progress: Callable[[int], None] | None = None,
) -> Sealed:
    """Stream ``source`` into ``target`` as an age file for ``identity`` (constant memory);
    returns the plaintext's size and SHA-256."""
    return age.encrypt(source, target, identity.to_public(), progress=progress)


def decrypt(source: BinaryIO, target, identity: Identity) -> int:
    """Stream an age file to ``target``. Raises :class:`age.AgeError` on a wrong key,
    corruption or truncation — after part of the plaintext may already be written, so callers
    write to a temporary place and keep it only if this returns."""
    return age.decrypt(source, target.write, identity)
