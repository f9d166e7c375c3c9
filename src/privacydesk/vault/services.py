"""The vault's actions: storing, reading, shredding, holds (P4, P11, P12).

Intake and the link's life (create, revoke, issue anew, end with the last item) live in
``intake.py`` and are named here too, so callers have one module; erasure (the sweep and
certificates) lives in ``erasure.py``; the customer link's token in ``links.py``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from privacydesk.audit.services import record
from privacydesk.policy.schema import Duration
from privacydesk.vault import age, intake, keyring, names, storage
from privacydesk.vault.errors import ContentMismatch, TargetExists, VaultError
from privacydesk.vault.intake import (
    NewJob,
    close_if_erased,
    create_job,
    issue_new_link,
    new_pin,
    revoke_link,
)
from privacydesk.vault.models import RecoveryJob, VaultItem

__all__ = [  # intake and the errors are named here too: callers use one module
    "ContentMismatch",
    "NewJob",
    "TargetExists",
    "VaultError",
    "close_if_erased",
    "create_job",
    "issue_new_link",
    "new_pin",
    "revoke_link",
]


class Restricted(VaultError):
    """The job is restricted (Art. 18 GDPR): its data is stored, not used."""


class StillHeld(VaultError):
    """The item's own hold is released, but another legal hold (on its data subject) remains."""


# -- storing -----------------------------------------------------------------------------
def expiry_for(stored: datetime) -> date:
    """The last day an item stored at ``stored`` is kept (the model's vault retention)."""
    return Duration.parse(settings.VAULT_RETENTION).after(timezone.localtime(stored).date())


def store(
    job: RecoveryJob,
    source: BinaryIO,
    *,
    raw_name: bytes,
    display: str | None = None,
    actor: str,
    progress: Callable[[int], None] | None = None,
) -> VaultItem:
    """Encrypt ``source`` into the vault as one item of ``job``.

    The blob is complete on disk (fsynced, renamed) before its row is committed; a crash in
    between leaves only an orphan the sweep removes.
    """
    if job.status != RecoveryJob.Status.OPEN:
        raise VaultError(f"job #{job.pk} is {job.status}; no new items")
    if job.restricted:
        raise Restricted(f"job #{job.pk} is restricted; no new items")
    item_id = uuid.uuid4()
    now = timezone.now()
    expires = expiry_for(now)
    identity = age.Identity.generate()  # the item key: one per item
    blob = f"{item_id.hex}.age"
    with storage.writing(blob) as out:
        sealed = age.encrypt(source, out, identity.to_public(), progress=progress)
    key_name = keyring.day_name(expires)
    wrapped = keyring.wrap(key_name, str(item_id), str(identity).encode())
    try:
        with transaction.atomic():
            # Checked again on the locked row: the job may have been closed (every item
            # shredded, erased by the sweep) while this file was being encrypted.
            current = RecoveryJob.objects.select_for_update().get(pk=job.pk)
            if current.status != RecoveryJob.Status.OPEN:
                raise VaultError(f"job #{job.pk} is {current.status}; no new items")
            item = VaultItem.objects.create(
                id=item_id,
                job=job,
                name=display or names.display_name(raw_name),
                raw_name=raw_name,
                size=sealed.size,
                sha256=sealed.sha256,
                blob=blob,
                created_at=now,
                expires_on=expires,
                key_name=key_name,
                wrapped_key=wrapped,
            )
            record(
                actor=actor,
                action="vault.item_stored",
                obj=item,
                subject=job.subject(),
                detail={"job": job.pk, "size": sealed.size},
            )
    except BaseException:
        storage.delete(blob)
        raise
    return item


def walk(paths: list[Path]) -> Iterator[tuple[Path, bytes, str]]:
    """Files under ``paths`` (files or directory trees): (path, raw name, display name).

    Names are taken relative to each given directory, as bytes, so nothing in them is ever
    used as a path in the vault. Symbolic links are not followed.
    """
    for given in paths:
        given = Path(given)
        if given.is_file():
            raw = os.fsencode(given.name)
            yield given, raw, names.display_name(raw)
            continue
        if not given.is_dir():
            raise VaultError(f"{given} is neither a file nor a directory")
        root = os.fsencode(given)
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for filename in sorted(filenames):
                full = os.path.join(dirpath, filename)
                if os.path.islink(full) or not os.path.isfile(full):
                    continue
                relative = os.path.relpath(full, root)
                parts = relative.split(b"/")
                yield Path(os.fsdecode(full)), b"/".join(parts), names.relative_display(parts)


# -- reading -----------------------------------------------------------------------------
def item_identity(item: VaultItem):
    """Unwrap the item key. Raises ``keyring.KeyDestroyed`` once its day key is gone."""
    if item.state == VaultItem.State.ERASED or item.wrapped_key is None:
        raise keyring.KeyDestroyed(str(item.pk))
    if RecoveryJob.objects.filter(pk=item.job_id, restricted=True).exists():
        raise Restricted(f"job #{item.job_id} is restricted; its items are not read")
    secret = keyring.unwrap(item.key_name, str(item.pk), bytes(item.wrapped_key))
    return age.Identity.parse(secret.decode())


def plaintext_batches(
    item: VaultItem,
    first: int = 0,
    last: int | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> Iterator[list[bytes]]:
    """The plaintext of ``item``, bytes ``first``..``last`` (inclusive), verified as it goes,
    in lists of up to 16 pieces of at most 64 KiB.

    Every chunk is authenticated by the age format before it is yielded (its position and
    whether it is the final one are part of its nonce), so nothing altered, reordered or cut
    off comes out. The whole item is checked once more against its size and SHA-256, and its
    last piece is held back until that check passed. A range starts at the chunk that holds
    ``first`` (no decryption of what lies before it). Raises :class:`ContentMismatch`.
    """
    if last is None:
        last = item.size - 1
    identity = item_identity(item)
    whole = first == 0 and last == item.size - 1
    first_chunk = first // age.CHUNK
    position = first_chunk * age.CHUNK
    digest = age.BackgroundSha256() if whole else None
    pending: bytes | None = None
    try:
        with contextlib.ExitStack() as stack:
            opened = age.open_file(stack.enter_context(storage.open_blob(item.blob)), identity)
            if first_chunk:
                offset = opened.chunk_offset(first_chunk)
                opened.seek_chunk(
                    first_chunk, stack.enter_context(storage.open_blob(item.blob, offset))
                )
            for batch in opened.batches():
                if digest is not None:
                    digest.update(*batch)
                pieces = [] if pending is None else [pending]
                for chunk in batch:
                    start = position
                    position += len(chunk)
                    if position <= first or start > last:
                        continue
                    inside = first <= start and position <= last + 1
                    pieces.append(
                        chunk if inside else chunk[max(first - start, 0) : last + 1 - start]
                    )
                if pieces:
                    pending = pieces.pop()
                    if pieces:
                        yield pieces
                        if progress is not None:
                            progress(sum(map(len, pieces)))
                if not whole and position > last:
                    break
    except age.AgeError as exc:
        raise ContentMismatch(f"item {item.pk}: {exc}") from exc
    finally:
        if digest is not None:
            digest.close()
    if whole and (position != item.size or digest.hexdigest() != item.sha256):
        raise ContentMismatch(f"item {item.pk}: content does not match its SHA-256")
    if pending:
        yield [pending]
        if progress is not None:
            progress(len(pending))


def plaintext(
    item: VaultItem,
    first: int = 0,
    last: int | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    """:func:`plaintext_batches`, piece by piece."""
    for pieces in plaintext_batches(item, first, last, progress=progress):
        yield from pieces


def export_to_file(
    item: VaultItem,
    out: Path,
    *,
    encrypted: bool,
    actor: str,
    overwrite: bool = False,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Write the item (decrypted, or the stored age file) to ``out`` via a temporary file that
    is put into place only when everything was written and verified.

    An existing ``out`` is replaced only with ``overwrite``; otherwise :class:`TargetExists`
    is raised before anything is decrypted, and again (atomically, a hard link never
    replaces) if the file appeared meanwhile. A restricted job's items are not read.
    """
    if RecoveryJob.objects.filter(pk=item.job_id, restricted=True).exists():
        raise Restricted(f"job #{item.job_id} is restricted; its items are not read")
    out = Path(out)
    if not overwrite and (out.exists() or out.is_symlink()):
        raise TargetExists(f"{out} exists")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
    tmp = Path(tmp_name)
    try:
        try:
            if encrypted:
                with storage.open_blob(item.blob) as source:
                    while chunk := source.read(storage.BUFFER):
                        storage.write_all(fd, [chunk])
                        if progress:
                            progress(len(chunk))
            else:
                # A batch at a time, in one system call that does not hold the GIL (the
                # SHA-256 thread runs meanwhile); small writes through a buffer were half as fast.
                for pieces in plaintext_batches(item, progress=progress):
                    storage.write_all(fd, pieces)
        finally:
            os.close(fd)
        # Put into place only now that every byte was decrypted and verified. (A copy for
        # the user needs no fsync; the vault's own blobs do, before their rows are committed.)
        _put_in_place(tmp, out, overwrite=overwrite)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    record(
        actor=actor,
        action="vault.item_exported",
        obj=item,
        subject=item.job.subject(),
        detail={"encrypted": encrypted},
    )


def _put_in_place(tmp: Path, out: Path, *, overwrite: bool) -> None:
    if overwrite:
        os.replace(tmp, out)
        return
    try:
        os.link(tmp, out)  # fails if ``out`` exists, whoever made it in the meantime
    except FileExistsError:
        raise TargetExists(f"{out} exists") from None
    except OSError:  # a file system without hard links: check, then rename
        if out.exists() or out.is_symlink():
            raise TargetExists(f"{out} exists") from None
        os.replace(tmp, out)
        return
    tmp.unlink()


def stored_copy(job: RecoveryJob, path: Path, raw_name: bytes) -> VaultItem | None:
    """An item of ``job``, not erased, with the same name and the same content (SHA-256) as
    the file at ``path``, or None. Only a file whose name and size match an item is read for
    its hash, so a new disk image is not read twice."""
    size = path.stat().st_size
    candidates = [
        item
        for item in job.items.exclude(state=VaultItem.State.ERASED).filter(size=size)
        if bytes(item.raw_name) == raw_name
    ]
    if not candidates:
        return None
    with open(path, "rb", buffering=0) as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    return next((item for item in candidates if item.sha256 == digest), None)


def reveal_key(item: VaultItem, *, actor: str) -> str:
    """The item's age identity, for opening it with the ``age`` tool (audited)."""
    identity = item_identity(item)
    record(actor=actor, action="vault.key_revealed", obj=item, subject=item.job.subject())
    return str(identity)


# -- shredding and holds -----------------------------------------------------------------
@transaction.atomic
def shred(item: VaultItem, *, actor: str, reason: str) -> None:
    """Erase one item now: its wrapped key first (then nothing can read it), then its blob."""
    item = VaultItem.objects.select_for_update().get(pk=item.pk)
    if item.state == VaultItem.State.ERASED:
        return
    item.wrapped_key = None
    item.state = VaultItem.State.ERASED
    item.erased_at = timezone.now()
    item.name = "(erased)"
    item.raw_name = b""
    item.save(update_fields=["wrapped_key", "state", "erased_at", "name", "raw_name"])
    record(
        actor=actor,
        action="vault.item_shredded",
        obj=item,
        subject=item.job.subject(),
        detail={"reason": reason},
    )
    transaction.on_commit(lambda: storage.delete(item.blob))
    intake.close_if_erased(item.job_id, actor=actor)


HOLD_SOURCE = "vault.VaultItem"


@transaction.atomic
def set_hold(item: VaultItem, *, held: bool, actor: str, reason: str = "") -> VaultItem:
    """Place or release a legal hold on one item (a ``policy.LegalHold`` on this record).

    While any hold covers the item (its own, or one on its data subject) the item key is
    wrapped under the hold key, so the day's erasure skips it (``rewrap_for_hold``, called by
    the holds service). Releasing the item's own holds raises :class:`StillHeld` when a hold on
    its data subject still keeps it.
    """
    from privacydesk.policy import holds

    item = VaultItem.objects.select_for_update().get(pk=item.pk)
    if item.state == VaultItem.State.ERASED:
        raise VaultError("the item is already erased")
    own = holds.holds_on_record(HOLD_SOURCE, str(item.pk))
    if held:
        if not own:
            holds.place(
                records=[(HOLD_SOURCE, str(item.pk))],
                reason=reason or "legal hold placed on the vault item",
                actor=actor,
            )
    else:
        for hold in own:
            holds.release(hold, actor=actor)
    # An item held before holds were records of their own is held here too.
    rewrap_for_hold(item, held=held or str(item.pk) in _held_items(), actor=actor)
    item.refresh_from_db()
    if not held and item.state == VaultItem.State.HELD:
        raise StillHeld("a legal hold on the data subject still keeps this item")
    return item


def _held_items() -> set[str]:
    from privacydesk.policy import holds

    return holds.held_keys().get(HOLD_SOURCE, set())


@transaction.atomic
def rewrap_for_hold(item: VaultItem, *, held: bool, actor: str) -> VaultItem:
    """Wrap the item key under the hold key (held) or under its expiry day again (released;
    erased at the next sweep if that day has passed). Idempotent; audited on each change."""
    item = VaultItem.objects.select_for_update().get(pk=item.pk)
    if item.state == VaultItem.State.ERASED:
        return item
    if held == (item.state == VaultItem.State.HELD):
        return item
    secret = keyring.unwrap(item.key_name, str(item.pk), bytes(item.wrapped_key))
    if held:
        key_name, state = keyring.HOLD, VaultItem.State.HELD
    else:
        key_name, state = keyring.day_name(item.expires_on), VaultItem.State.STORED
    item.wrapped_key = keyring.wrap(key_name, str(item.pk), secret)
    item.key_name = key_name
    item.state = state
    item.save(update_fields=["wrapped_key", "key_name", "state"])
    record(
        actor=actor,
        action="vault.hold_set" if held else "vault.hold_released",
        obj=item,
        subject=item.job.subject(),
    )
    return item
