"""The customer's download portal: PIN check and lock, and the streamed downloads (P4).

The views in ``portal_views.py`` are thin; the rules live here:

* A link (see ``links``) plus the job's PIN unlock the job for one browser session. Every
  wrong PIN is counted in the database; at ``VAULT_PIN_ATTEMPTS`` the link is locked, and a
  locked link refuses even the right PIN until staff lift the lock with :func:`unlock`.
* Downloads are streamed: the response is a generator that decrypts as the client reads.
  Nothing is copied to disk; a Range request starts decrypting at the 64 KiB chunk that holds
  its first byte.
* A download never *looks* complete unless what it sends was verified. Every chunk is
  authenticated before it is sent; for a whole item the last bytes are also held back until
  its size and SHA-256 were checked. On any failure the iterator raises
  :class:`StreamFailed`, so the server aborts the connection and the browser sees a short
  body (Content-Length) or a chunked body without its end (ZIP).
"""

from __future__ import annotations

import enum
import logging
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from privacydesk.audit.services import record
from privacydesk.vault import keyring, links, names, services, storage
from privacydesk.vault.models import RecoveryJob, VaultItem

log = logging.getLogger(__name__)

SESSION_KEY = "vault_portal_unlocked"
CHUNK = 64 * 1024
LIVE_STATES = (VaultItem.State.STORED, VaultItem.State.HELD)


class StreamFailed(RuntimeError):
    """A download could not be verified; the response must not complete."""


def actor(job: RecoveryJob) -> str:
    return f"customer:job-{job.pk}"


# -- the link ----------------------------------------------------------------------------
class LinkState(enum.Enum):
    LIVE = "live"
    INVALID = "invalid"  # bad signature or unknown job
    REPLACED = "replaced"  # an older link of an open job: replaced or revoked by staff
    EMPTY = "empty"  # the job is open but no file has been stored yet
    ERASED = "erased"  # the job's items are gone: the link died with them


def live_items(job: RecoveryJob) -> QuerySet[VaultItem]:
    """Items the customer can still download: stored (and not past their last day) or held."""
    today = timezone.localdate()
    return (
        VaultItem.objects.filter(job=job, state__in=LIVE_STATES)
        .exclude(state=VaultItem.State.STORED, expires_on__lt=today)
        .order_by("name", "created_at")
    )


def open_link(token: str) -> tuple[LinkState, RecoveryJob | None]:
    job, current = links.resolve(token)
    if job is None:
        return LinkState.INVALID, None
    if job.status == RecoveryJob.Status.ERASED:
        return LinkState.ERASED, job
    if not current:
        return LinkState.REPLACED, job
    if not live_items(job).exists():
        return (LinkState.ERASED if job.items.exists() else LinkState.EMPTY), job
    return LinkState.LIVE, job


# -- the PIN -----------------------------------------------------------------------------
class PinResult(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass(frozen=True)
class PinCheck:
    result: PinResult
    attempts_left: int = 0


def normalise_pin(text: str) -> str | None:
    """The PIN as typed, without spaces or dashes; None if it cannot be a PIN at all."""
    pin = re.sub(r"[\s-]", "", text or "")
    if not pin or len(pin) > 20 or not pin.isascii() or not pin.isdigit():
        return None
    return pin


def check_pin(job: RecoveryJob, pin: str) -> PinCheck:
    """Check ``pin`` against the job's PIN; count and audit failures; lock at the limit.

    The job row is locked for the check, so parallel guesses are counted one by one.
    """
    limit = settings.VAULT_PIN_ATTEMPTS
    with transaction.atomic():
        job = RecoveryJob.objects.select_for_update().get(pk=job.pk)
        if job.locked_at is not None:
            return PinCheck(PinResult.LOCKED)
        if check_password(pin, job.pin_hash):
            if job.failed_pin_attempts:
                RecoveryJob.objects.filter(pk=job.pk).update(failed_pin_attempts=0)
            record(actor=actor(job), action="vault.portal_pin_ok", obj=job, subject=job.subject())
            return PinCheck(PinResult.OK)
        RecoveryJob.objects.filter(pk=job.pk).update(
            failed_pin_attempts=F("failed_pin_attempts") + 1
        )
        job.refresh_from_db(fields=["failed_pin_attempts"])
        failed = job.failed_pin_attempts
        record(
            actor=actor(job),
            action="vault.portal_pin_failed",
            obj=job,
            subject=job.subject(),
            detail={"attempt": failed},
        )
        if failed < limit:
            return PinCheck(PinResult.WRONG, attempts_left=limit - failed)
        newly_locked = RecoveryJob.objects.filter(pk=job.pk, locked_at__isnull=True).update(
            locked_at=timezone.now()
        )
        if newly_locked:
            record(
                actor=actor(job),
                action="vault.portal_locked",
                obj=job,
                subject=job.subject(),
                detail={"failed_attempts": failed},
            )
        return PinCheck(PinResult.LOCKED)


@transaction.atomic
def unlock(job: RecoveryJob, *, actor: str) -> RecoveryJob:
    """Lift a lock (and reset the count of wrong PINs); for staff. Audited if it changed
    anything."""
    job = RecoveryJob.objects.select_for_update().get(pk=job.pk)
    if job.locked_at is None and job.failed_pin_attempts == 0:
        return job
    was_locked = job.locked_at is not None
    failed = job.failed_pin_attempts
    job.locked_at = None
    job.failed_pin_attempts = 0
    job.save(update_fields=["locked_at", "failed_pin_attempts"])
    record(
        actor=actor,
        action="vault.portal_unlocked",
        obj=job,
        subject=job.subject(),
        detail={"was_locked": was_locked, "failed_attempts": failed},
    )
    return job


def grant(session, job: RecoveryJob) -> None:
    """Remember in the session that the right PIN was given for this job (and link version).

    The session key is rotated first, so a session id planted before the PIN is worthless.
    """
    session.cycle_key()
    unlocked = dict(session.get(SESSION_KEY, {}))
    unlocked[str(job.pk)] = job.link_version
    session[SESSION_KEY] = unlocked


def forget(session, job: RecoveryJob) -> None:
    unlocked = dict(session.get(SESSION_KEY, {}))
    if unlocked.pop(str(job.pk), None) is not None:
        session[SESSION_KEY] = unlocked


def is_unlocked(session, job: RecoveryJob) -> bool:
    """True while this session gave the PIN for the job's current link and it is not locked."""
    if job.locked_at is not None:
        return False
    return session.get(SESSION_KEY, {}).get(str(job.pk)) == job.link_version


def erasure_date(items: Iterable[VaultItem]) -> date | None:
    """The first day on which something of the job is erased (items under a hold aside)."""
    days = [i.expires_on for i in items if i.state == VaultItem.State.STORED]
    return min(days) if days else None


def record_download(job: RecoveryJob, item: VaultItem | None, kind: str, **detail) -> None:
    record(
        actor=actor(job),
        action="vault.portal_download",
        obj=item if item is not None else job,
        subject=job.subject(),
        detail={"kind": kind, **detail},
    )


def item_available(item: VaultItem) -> bool:
    """The item's key and blob are still there (the sweep may be half-way)."""
    try:
        services.item_identity(item)
    except keyring.KeyDestroyed:
        return False
    return storage.exists(item.blob)


def key_available(item: VaultItem) -> bool:
    """The cheap check for many items (a ZIP): the day key is still in the keyring."""
    return item.wrapped_key is not None and keyring.has_key(item.key_name)


# -- names ---------------------------------------------------------------------------
def name_parts(item: VaultItem) -> list[str]:
    """The item's name as download path components (the rule of ``names.file_part``)."""
    return names.file_parts(item.name)


def download_name(item: VaultItem) -> str:
    """The file name offered for a single download: the last part of the item's name."""
    return name_parts(item)[-1]


def zip_names(items: Iterable[VaultItem]) -> list[str]:
    """Relative entry names (``a/b/c.txt``), made unique (case-insensitively) per archive."""
    used: set[str] = set()
    out = []
    for item in items:
        parts = name_parts(item)
        name = "/".join(parts)
        if name.casefold() in used:
            stem, dot, ext = parts[-1].rpartition(".")
            if not stem:
                stem, dot, ext = parts[-1], "", ""
            n = 2
            while True:
                parts[-1] = f"{stem} ({n}){dot}{ext}"
                name = "/".join(parts)
                if name.casefold() not in used:
                    break
                n += 1
        used.add(name.casefold())
        out.append(name)
    return out


# -- HTTP ranges -------------------------------------------------------------------------
class Unsatisfiable(Exception):
    """The Range header names no byte of the content (416)."""


_RANGE = re.compile(r"^[ \t]*bytes[ \t]*=[ \t]*([0-9]*)[ \t]*-[ \t]*([0-9]*)[ \t]*$", re.I)
#: Longer than any content size: a position with more digits is "beyond the end" without
#: ``int()`` (which refuses more than 4,300 digits and would otherwise raise: a 500).
_MAX_DIGITS = 18


def _position(digits: str) -> int:
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= _MAX_DIGITS else 10**_MAX_DIGITS


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one byte range a ``Range`` header asks for, as (first, last) inclusive.

    None means: send everything (no header, a syntax this server ignores, or several ranges).
    Raises :class:`Unsatisfiable` when the range lies outside the content. Any header text
    ends in one of these three (RFC 9110 section 14.2); none raises anything else.
    """
    if not header:
        return None
    match = _RANGE.match(header)
    if match is None:  # malformed, another unit, or several ranges: ignore (RFC 9110 14.2)
        return None
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:  # suffix: the last n bytes
        length = _position(last_text)
        if length == 0 or size == 0:
            raise Unsatisfiable
        return max(size - length, 0), size - 1
    first = _position(first_text)
    if last_text and _position(last_text) < first:
        return None  # invalid range-spec: ignore the header
    if first >= size:
        raise Unsatisfiable
    last = _position(last_text) if last_text else size - 1
    return first, min(last, size - 1)


# -- streaming ---------------------------------------------------------------------------
def decrypted(item: VaultItem, first: int = 0, last: int | None = None) -> Iterator[bytes]:
    """The plaintext of ``item`` (bytes ``first``..``last`` inclusive), verified.

    A plain generator: it decrypts as the client reads (constant memory, no thread), from
    the chunk that holds ``first``. Every chunk is authenticated before it is sent; a whole
    item's last piece waits for its SHA-256 check as well (see ``services.plaintext``).
    """
    try:
        yield from services.plaintext(item, first, last)
    except services.ContentMismatch as exc:
        log.error("download of vault item %s aborted: it failed verification", item.pk)
        raise StreamFailed(str(exc)) from exc


def encrypted(item: VaultItem, first: int, last: int) -> Iterator[bytes]:
    """Bytes ``first``..``last`` of the stored age file (its own MACs protect it)."""
    remaining = last - first + 1
    with storage.open_blob(item.blob) as fh:
        if fh.seekable():
            fh.seek(first)
        else:  # an S3 body streams from the start
            skip = first
            while skip > 0:
                skipped = len(fh.read(min(storage.BUFFER, skip)))
                if not skipped:
                    raise StreamFailed(f"item {item.pk}: the stored file is shorter than expected")
                skip -= skipped
        while remaining > 0:
            chunk = fh.read(min(CHUNK, remaining))
            if not chunk:
                raise StreamFailed(f"item {item.pk}: the stored file is shorter than expected")
            remaining -= len(chunk)
            yield chunk


def _zip_time(item: VaultItem) -> tuple[int, int, int, int, int, int]:
    t = timezone.localtime(item.created_at)
    return (max(t.year, 1980), t.month, t.day, t.hour, t.minute, t.second)


class _Collector:
    """A write-only file for ``zipfile``: keeps what was written until it is taken."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing to do: :meth:`take` hands everything on."""

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def zipped(items: list[VaultItem]) -> Iterator[bytes]:
    """A ZIP of ``items``, streamed (data descriptors, no seeking, no temporary file).

    A generator that decrypts as the client reads. If an item fails verification nothing
    more is sent: not the entry's trailer (its CRC and size would make the partial data look
    like a whole file), not the central directory; it raises so the connection is aborted.
    """
    out = _Collector()
    archive = zipfile.ZipFile(out, mode="w", compression=zipfile.ZIP_STORED)
    for item, name in zip(items, zip_names(items), strict=True):
        info = zipfile.ZipInfo(name, date_time=_zip_time(item))
        info.compress_type = zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        info.file_size = item.size  # known: ZIP64 only where the size needs it
        entry = archive.open(info, mode="w")
        try:
            for chunk in services.plaintext(item):
                entry.write(chunk)
                if data := out.take():
                    yield data
        except services.ContentMismatch as exc:
            out.take()  # nothing after the failure leaves, whatever closes the entry later
            log.error("ZIP download of job %s aborted: an item failed verification", item.job_id)
            raise StreamFailed(str(exc)) from exc
        entry.close()
        if data := out.take():
            yield data
    archive.close()
    yield out.take()


# -- offline decryption ------------------------------------------------------------------
def key_file(item: VaultItem, *, intro: list[str]) -> str:
    """The item's age identity as a key file (audited as ``vault.key_revealed``).

    ``intro`` are comment lines (already translated); age ignores lines starting with ``#``.
    """
    identity = services.reveal_key(item, actor=actor(item.job))
    lines = [f"# {line}".rstrip() for text in intro for line in text.splitlines() or [""]]
    return "\n".join([*lines, identity, ""])
