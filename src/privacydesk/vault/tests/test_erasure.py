"""The erasure sweep: keys first, then blobs, then a signed certificate; backups can't undo it."""

import io
import json
import os
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from privacydesk.audit.models import AuditEntry
from privacydesk.vault import erasure, keyring, services, storage
from privacydesk.vault.models import DeletionCertificate, RecoveryJob, VaultItem


def _after(day, days=1):
    """A moment on the ``days``-th day after ``day`` (local time, midday)."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=days), datetime.min.time()))


def test_nothing_happens_before_the_day_has_passed(put):
    item = put(b"still here")
    report = erasure.sweep(now=_after(item.expires_on, days=0))
    assert report.keys_destroyed == [] and report.items_erased == 0
    item.refresh_from_db()
    assert item.state == VaultItem.State.STORED


def test_sweep_destroys_key_then_blobs_and_certifies(put, job):
    items = [put(os.urandom(1000), f"holiday-photo-{i}.jpg".encode()) for i in range(3)]
    day = items[0].expires_on
    report = erasure.sweep(now=_after(day))
    assert report.keys_destroyed == [day.isoformat()]
    assert report.items_erased == 3 and report.blobs_deleted == 3
    assert not keyring.has_key(day.isoformat())
    for item in items:
        item.refresh_from_db()
        assert item.state == VaultItem.State.ERASED and item.wrapped_key is None
        assert item.name == "(erased)" and bytes(item.raw_name) == b""
        assert not storage.exists(item.blob)
    job.refresh_from_db()
    assert job.status == RecoveryJob.Status.ERASED
    [certificate] = DeletionCertificate.objects.filter(job=job)
    document = erasure.verify_certificate(erasure.certificate_file(certificate))
    assert document["rule"].startswith("privacy model activity recovery_vault: P1M")
    assert {i["id"] for i in document["items"]} == {str(i.pk) for i in items}
    assert {i["sha256"] for i in document["items"]} == {i.sha256 for i in items}
    entry = document["items"][0]
    assert entry["day_key_destroyed_at"] <= document["blobs_deleted_at"]
    assert "holiday-photo" not in json.dumps(document)  # no file names in the certificate
    # A second run finds nothing more to do.
    again = erasure.sweep(now=_after(day))
    assert again.items_erased == 0 and again.certificates == []


def test_a_restored_database_backup_cannot_read_erased_items(put):
    """The database row of an item (its wrapped key) is copied as a backup would keep it."""
    data = os.urandom(5000)
    item = put(data)
    backup = VaultItem.objects.values().get(pk=item.pk)
    blob_copy = storage.backend().path_of(item.blob).read_bytes()  # even the blob survived
    erasure.sweep(now=_after(item.expires_on))

    restored = VaultItem(**backup)
    storage.backend().path_of(restored.blob).write_bytes(blob_copy)
    assert restored.wrapped_key is not None
    with pytest.raises(keyring.KeyDestroyed):
        b"".join(services.plaintext(restored))


def test_held_items_are_skipped_until_released(put):
    item = put(b"evidence")
    services.set_hold(item, held=True, actor="system:test")
    erasure.sweep(now=_after(item.expires_on))
    item.refresh_from_db()
    assert item.state == VaultItem.State.HELD
    out = io.BytesIO()
    out.write(b"".join(services.plaintext(item)))
    assert out.getvalue() == b"evidence"
    services.set_hold(item, held=False, actor="system:test")
    erasure.sweep(now=_after(item.expires_on))
    item.refresh_from_db()
    assert item.state == VaultItem.State.ERASED


def test_a_changed_certificate_fails_verification(put):
    item = put(b"x")
    erasure.sweep(now=_after(item.expires_on))
    certificate = DeletionCertificate.objects.get()
    data = json.loads(erasure.certificate_file(certificate))
    data["document"]["items"][0]["size"] += 1
    with pytest.raises(ValueError, match="altered"):
        erasure.verify_certificate(json.dumps(data))
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    other = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    with pytest.raises(ValueError, match="different key"):
        erasure.verify_certificate(
            erasure.certificate_file(certificate), trusted_public_key_pem=other
        )


def test_leftovers_of_killed_uploads_are_removed(put):
    item = put(b"complete")
    partial = settings.VAULT_DIR / f"{storage.TMP_PREFIX}dead.age.1234"
    partial.write_bytes(b"half an upload")
    orphan = settings.VAULT_DIR / "0123456789abcdef0123456789abcdef.age"
    orphan.write_bytes(b"blob without a row")
    report = erasure.sweep(leftover_age_seconds=0)
    assert report.leftovers_removed == 2
    assert not partial.exists() and not orphan.exists()
    assert storage.exists(item.blob)


def test_sweep_is_audited(put):
    item = put(b"x")
    erasure.sweep(now=_after(item.expires_on))
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"vault.day_key_destroyed", "vault.items_erased"} <= actions


def test_stale_upload_spool_files_are_removed(db, settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path / "uploads"
    settings.FILE_UPLOAD_TEMP_DIR.mkdir()
    old = settings.FILE_UPLOAD_TEMP_DIR / "tmpabc.upload.bin"
    old.write_bytes(b"plaintext of a dead upload")
    fresh = settings.FILE_UPLOAD_TEMP_DIR / "tmpdef.upload.bin"
    fresh.write_bytes(b"upload in progress")
    two_days_ago = datetime.now().timestamp() - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    report = erasure.sweep()
    assert report.leftovers_removed == 1
    assert not old.exists() and fresh.exists()
