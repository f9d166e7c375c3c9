"""The erasure sweep and deletion certificates (P4, P12).

Order matters: first the day keys whose day has passed are destroyed (from that moment no
copy of the database can read those items), then the blobs are deleted, then one signed
certificate per job records what was erased, when, and by which rule.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from privacydesk.audit.services import record
from privacydesk.vault import intake, keyring, services, storage
from privacydesk.vault.models import DeletionCertificate, RecoveryJob, VaultItem

LEFTOVER_AGE_SECONDS = 3600
#: A web upload in progress keeps its spool file; one untouched for a day is from a dead process.
UPLOAD_AGE_SECONDS = 24 * 3600
#: File names can say who a file is about; after erasure only id, size and hash remain.
ERASED_NAME = "(erased)"
RULE = "privacy model activity recovery_vault: {duration} from storage (P4)"


@dataclass
class SweepReport:
    keys_destroyed: list[str] = field(default_factory=list)
    items_erased: int = 0
    blobs_deleted: int = 0
    certificates: list[int] = field(default_factory=list)
    leftovers_removed: int = 0


def signing_key() -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(settings.VAULT_SIGNING_KEY.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise TypeError("PRIVACYDESK_SIGNING_KEY must be an Ed25519 private key")
    return key


def public_key_pem() -> str:
    return (
        signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def canonical(document: dict) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sweep(
    *,
    now: datetime | None = None,
    actor: str = "system:vault-sweep",
    leftover_age_seconds: float = LEFTOVER_AGE_SECONDS,
) -> SweepReport:
    """Destroy passed day keys, delete their blobs, certify per job. Idempotent."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    report = SweepReport()
    _wrap_held_items(actor)
    destroyed_at: dict[str, datetime] = {}
    for day in keyring.days_before(today):
        name = keyring.day_name(day)
        if keyring.destroy(name):
            destroyed_at[name] = timezone.now()
            report.keys_destroyed.append(name)
            record(actor=actor, action="vault.day_key_destroyed", detail={"day": name})
    # Items whose key is gone (destroyed now or by an earlier run that was interrupted).
    due = VaultItem.objects.filter(state=VaultItem.State.STORED, expires_on__lt=today)
    jobs: dict[int, list[VaultItem]] = {}
    key_present: dict[str, bool] = {}
    for item in due.iterator(chunk_size=2000):
        if item.key_name not in key_present:
            key_present[item.key_name] = keyring.has_key(item.key_name)
        if key_present[item.key_name]:
            continue  # its day key was kept (e.g. rewrapped after a hold); next run
        jobs.setdefault(item.job_id, []).append(item)
    for job_id, items in jobs.items():
        report.certificates.append(_erase_job_items(job_id, items, destroyed_at, report, actor))
    report.leftovers_removed += storage.remove_leftovers(leftover_age_seconds)
    report.leftovers_removed += _remove_stale_uploads(UPLOAD_AGE_SECONDS)
    # Blobs no live item points to: a crash between writing a blob and committing its row,
    # or between shredding an item and deleting its blob.
    live = set(
        VaultItem.objects.exclude(state=VaultItem.State.ERASED).values_list("blob", flat=True)
    )
    for name in storage.names(older_than_seconds=leftover_age_seconds):
        if name not in live:
            storage.delete(name)
            report.leftovers_removed += 1
    return report


def _wrap_held_items(actor: str) -> None:
    """Items a legal hold covers go under the hold key before any day key is destroyed.

    Placing a hold rewraps the items it covers then; an item stored later for a data subject
    under a hold is caught here, the last moment before its day key could go.
    """
    from privacydesk.policy import holds

    if not holds.active().exists():
        return
    held = holds.held_keys().get("vault.VaultItem", set())
    for item in VaultItem.objects.filter(pk__in=held, state=VaultItem.State.STORED):
        services.rewrap_for_hold(item, held=True, actor=actor)


def _remove_stale_uploads(older_than_seconds: float) -> int:
    """Plaintext spooled by web uploads whose process died before it was encrypted."""
    import time
    from pathlib import Path

    folder = Path(settings.FILE_UPLOAD_TEMP_DIR)
    if not folder.is_dir():
        return 0
    cutoff = time.time() - older_than_seconds
    removed = 0
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _erase_job_items(job_id, items, destroyed_at, report: SweepReport, actor: str) -> int:
    deleted_at = timezone.now()
    for item in items:
        if storage.delete(item.blob):
            report.blobs_deleted += 1
    with transaction.atomic():
        VaultItem.objects.filter(pk__in=[i.pk for i in items]).update(
            state=VaultItem.State.ERASED,
            wrapped_key=None,
            erased_at=deleted_at,
            name=ERASED_NAME,
            raw_name=b"",
        )
        report.items_erased += len(items)
        intake.close_if_erased(job_id, actor=actor)  # the link dies with the items
        job = RecoveryJob.objects.get(pk=job_id)
        certificate = issue_certificate(job, items, destroyed_at, deleted_at)
        record(
            actor=actor,
            action="vault.items_erased",
            obj=job,
            detail={"items": len(items), "certificate": certificate.pk},
        )
    return certificate.pk


def issue_certificate(
    job, items, destroyed_at: dict[str, datetime], deleted_at
) -> DeletionCertificate:
    issued = timezone.now()
    document = {
        "type": "privacydesk.deletion-certificate.v1",
        "controller": "coMPjoeter",
        "job": job.pk,
        "rule": RULE.format(duration=settings.VAULT_RETENTION),
        "issued_at": issued.isoformat(),
        "blobs_deleted_at": deleted_at.isoformat(),
        "items": [
            {
                "id": str(item.pk),
                "size": item.size,
                "sha256": item.sha256,
                "stored_at": item.created_at.isoformat(),
                "expired_after": item.expires_on.isoformat(),
                "day_key": item.key_name,
                "day_key_destroyed_at": (
                    destroyed_at[item.key_name].isoformat()
                    if item.key_name in destroyed_at
                    else "before this sweep"
                ),
            }
            for item in items
        ],
        "public_key": public_key_pem(),
    }
    signature = base64.b64encode(signing_key().sign(canonical(document))).decode()
    return DeletionCertificate.objects.create(
        job=job, issued_at=issued, document=document, signature=signature
    )


def certificate_file(certificate: DeletionCertificate) -> str:
    """The certificate as a self-contained JSON file (document + signature)."""
    return json.dumps(
        {"document": certificate.document, "signature": certificate.signature},
        ensure_ascii=False,
        indent=2,
    )


def verify_certificate(text: str, *, trusted_public_key_pem: str | None = None) -> dict:
    """Check a certificate file's Ed25519 signature; returns its document or raises ValueError.

    Offline: needs only the file and the company's public key (by default the one configured
    here; a certificate's own embedded key is only trusted when it equals the trusted one).
    """
    try:
        data = json.loads(text)
        document, signature = data["document"], base64.b64decode(data["signature"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a deletion certificate: {exc}") from None
    trusted = trusted_public_key_pem or public_key_pem()
    if document.get("public_key", "").strip() != trusted.strip():
        raise ValueError("certificate was signed with a different key")
    key = serialization.load_pem_public_key(trusted.encode())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the trusted key is not an Ed25519 public key")
    try:
        key.verify(signature, canonical(document))
    except InvalidSignature:
        raise ValueError("signature does not match: the certificate was altered") from None
    return document
