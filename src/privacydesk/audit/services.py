"""Writing and verifying the audit log. ``record`` is the one function that writes it."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from privacydesk.audit.models import AuditEntry, AuditHead
from privacydesk.redaction import contains_personal_data

GENESIS = "0" * 64


class PersonalDataInAudit(ValueError):
    """The caller tried to put personal data itself into the audit log."""


#: The audit action that links a data subject's old reference to the new one (rectification).
SUBJECT_LINKED = "audit.subject_linked"
_LINK_TYPE = "audit.subject"


def _normalised(kind: str, value: str) -> bytes:
    return f"privacydesk.audit.subject:{kind}:{value.strip().lower()}".encode()


def _ref(kind: str, key: bytes, value: str) -> str:
    return f"{kind}#{hmac.new(key, _normalised(kind, value), hashlib.sha256).hexdigest()[:24]}"


def subject_ref(kind: str, value: str) -> str:
    """A stable pseudonymous reference to a data subject, e.g. for an e-mail address (P3).

    The audit log must be able to answer "what happened to this person" without holding their
    e-mail address; a keyed hash gives the same reference for the same identifier. The key is
    the newest of ``PSEUDONYM_KEYS`` (not ``SECRET_KEY``, so rotating the site secret changes
    nothing here); :func:`subject_refs` finds references made under older keys too.
    """
    return _ref(kind, settings.PSEUDONYM_KEYS[0], value)


def _legacy_ref(kind: str, value: str) -> str:
    """The reference as entries written before ``PSEUDONYM_KEYS`` existed hold it."""
    digest = salted_hmac("privacydesk.audit.subject", f"{kind}:{value.strip().lower()}")
    return f"{kind}#{digest.hexdigest()[:24]}"


def subject_refs(kind: str, value: str) -> set[str]:
    """Every reference this person's history may be filed under (Art. 15: the whole history).

    That is the reference under each pseudonym key, current and retired (the chain is never
    rewritten), the one from before dedicated keys, and every reference linked to one of these
    by a rectification (:func:`link_subject`), followed in both directions.
    """
    refs = {_ref(kind, key, value) for key in settings.PSEUDONYM_KEYS}
    refs.add(_legacy_ref(kind, value))
    return linked_refs(refs)


def linked_refs(refs: set[str]) -> set[str]:
    """``refs`` and every reference connected to them by recorded links."""
    found = set(refs)
    frontier = set(refs)
    while frontier:
        links = AuditEntry.objects.filter(action=SUBJECT_LINKED, object_type=_LINK_TYPE).filter(
            models.Q(object_id__in=frontier) | models.Q(subject_ref__in=frontier)
        )
        connected = set()
        for old, new in links.values_list("object_id", "subject_ref"):
            connected.update((old, new))
        frontier = connected - found
        found |= connected
    return found


def link_subject(old: tuple[str, str], new: tuple[str, str], *, actor: str) -> AuditEntry | None:
    """Record that the identifier ``old`` (kind, value) was rectified to ``new`` (Art. 16).

    The link is itself an audit entry (old reference as object id, new one as subject), so it is
    hash-chained like everything else and the person's history is found under either identifier.
    """
    old_ref, new_ref = subject_ref(*old), subject_ref(*new)
    if old_ref == new_ref:
        return None
    return record(
        actor=actor,
        action=SUBJECT_LINKED,
        object_type=_LINK_TYPE,
        object_id=old_ref,
        subject=new_ref,
    )


def actor_for(user) -> str:
    """The actor string for a staff user (``user:<id>``) or ``anonymous``."""
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    return "anonymous"


def _canonical(entry: AuditEntry) -> bytes:
    payload = {
        "id": entry.id,
        "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": entry.actor,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "subject_ref": entry.subject_ref,
        "detail": entry.detail,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


def _as_stored_number(text: str) -> float | int:
    """A JSON number as the database will give it back.

    PostgreSQL's jsonb writes a large float such as ``1e+20`` out in full digits, which reads
    back as an integer; without this the entry would hash differently once stored and the
    chain would look tampered with.
    """
    value = float(text)
    if math.isfinite(value) and abs(value) >= 1e16:
        return int(Decimal(text))
    return value


def _check_no_personal_data(**fields: object) -> None:
    for name, value in fields.items():
        text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
        if contains_personal_data(text):
            raise PersonalDataInAudit(f"audit field {name!r} looks like it holds personal data")


def record(
    *,
    actor: str,
    action: str,
    obj: object | None = None,
    object_type: str = "",
    object_id: str = "",
    subject: str = "",
    detail: dict | None = None,
) -> AuditEntry:
    """Append one entry to the audit log and return it.

    ``obj`` (a model instance) fills ``object_type``/``object_id``; ``subject`` is a reference
    from :func:`subject_ref` or ``"app.Model:pk"``, never an e-mail address or a name.
    """
    if obj is not None:
        object_type = object_type or obj._meta.label  # type: ignore[attr-defined]
        object_id = object_id or str(obj.pk)  # type: ignore[attr-defined]
    detail = detail or {}
    _check_no_personal_data(actor=actor, object_id=object_id, subject_ref=subject, detail=detail)
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        entry = AuditEntry(
            id=head.last_id + 1,
            at=timezone.now(),
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            subject_ref=subject,
            detail=detail,
            prev_hash=head.last_hash,
        )
        # Round-trip the detail through JSON so the hash covers exactly what is stored.
        entry.detail = json.loads(json.dumps(entry.detail), parse_float=_as_stored_number)
        entry.hash = compute_hash(entry)
        entry.save(force_insert=True)
        head.last_id = entry.id
        head.last_hash = entry.hash
        head.save(update_fields=["last_id", "last_hash"])
    return entry


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str = ""


def verify_chain(*, progress: Callable[[int], None] | None = None) -> VerifyResult:
    """Walk the chain from the first entry; report the first entry that does not fit."""
    prev_hash = GENESIS
    expected_id = 1
    checked = 0
    for entry in _entries_in_order():
        if entry.id != expected_id:
            return VerifyResult(False, checked, expected_id, "entry missing from the chain")
        if entry.prev_hash != prev_hash:
            return VerifyResult(False, checked, entry.id, "previous hash does not match")
        if compute_hash(entry) != entry.hash:
            return VerifyResult(False, checked, entry.id, "content does not match its hash")
        prev_hash = entry.hash
        expected_id += 1
        checked += 1
        if progress is not None:
            progress(1)
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.last_id != checked or head.last_hash != prev_hash):
        return VerifyResult(False, checked, checked + 1, "entries after this point were removed")
    return VerifyResult(True, checked)


def _entries_in_order() -> Iterator[AuditEntry]:
    last = 0
    while True:
        batch = list(AuditEntry.objects.filter(id__gt=last).order_by("id")[:2000])
        if not batch:
            return
        yield from batch
        last = batch[-1].id
