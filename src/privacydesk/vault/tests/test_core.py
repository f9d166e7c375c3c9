"""Storing and reading vault items: age format, per-item keys, day keys, safe names."""

import hashlib
import io
import os
from datetime import date, datetime, timedelta

import pyrage
import pytest
from cryptography.exceptions import InvalidTag
from django.conf import settings
from django.utils import timezone
from pyrage import x25519

from privacydesk.audit.models import AuditEntry
from privacydesk.vault import age, keyring, names, services, storage
from privacydesk.vault.models import VaultItem


def test_round_trip_and_metadata(put):
    data = os.urandom(300_000)
    item = put(data, b"photo.jpg")
    assert item.size == len(data)
    assert item.name == "photo.jpg" and bytes(item.raw_name) == b"photo.jpg"
    out = io.BytesIO()
    out.write(b"".join(services.plaintext(item)))
    assert out.getvalue() == data
    assert AuditEntry.objects.filter(action="vault.item_stored", object_id=str(item.pk)).exists()


def test_blob_is_an_age_file_for_its_own_identity(put):
    a = put(b"first")
    b = put(b"second")
    blob = storage.backend().path_of(a.blob).read_bytes()
    assert blob.startswith(b"age-encryption.org/v1\n")
    assert b"first" not in blob
    identity_a = x25519.Identity.from_str(str(services.item_identity(a)))  # pyrage reads it
    assert pyrage.decrypt(blob, [identity_a]) == b"first"
    with pytest.raises(pyrage.DecryptError):
        pyrage.decrypt(storage.backend().path_of(b.blob).read_bytes(), [identity_a])


def test_database_never_holds_an_unwrapped_key(put):
    item = put(b"secret content")
    identity = str(services.item_identity(item)).encode()
    row = VaultItem.objects.filter(pk=item.pk).values().get()
    for value in row.values():
        if isinstance(value, bytes | memoryview | str):
            assert identity not in bytes(value if not isinstance(value, str) else value.encode())
    assert item.key_name == item.expires_on.isoformat()
    assert keyring.has_key(item.key_name)


def test_day_key_files_are_encrypted_under_the_master_key(put, settings):
    item = put(b"x")
    path = keyring.keyring_dir() / f"{item.key_name}.key"
    sealed = path.read_bytes()
    day_key = keyring.get_key(item.key_name, create=False)
    assert day_key not in sealed and len(day_key) == 32
    settings.VAULT_MASTER_KEY = os.urandom(32)
    with pytest.raises(InvalidTag):  # AES-GCM refuses a file sealed under another master key
        keyring.get_key(item.key_name, create=False)


def test_expiry_is_one_calendar_month_from_storage(put, settings):
    assert services.expiry_for(timezone.make_aware(datetime(2026, 1, 31, 12))) == date(2026, 2, 28)
    item = put(b"x")
    today = timezone.localdate()
    assert item.expires_on == services.expiry_for(timezone.now())
    assert today + timedelta(days=27) <= item.expires_on <= today + timedelta(days=31)
    settings.VAULT_RETENTION = "P7D"
    assert services.expiry_for(timezone.now()) == today + timedelta(days=7)


@pytest.mark.parametrize(
    "raw,shown",
    [
        (b"../../etc/passwd", "..\\x2f..\\x2fetc\\x2fpasswd"),
        (b"/absolute", "\\x2fabsolute"),
        (b"back\\slash", "back\\x5cslash"),
        (b"nul\x00byte", "nul\\x00byte"),
        (b"not-utf8-\xff\xfe", "not-utf8-\\xff\\xfe"),
        (b"..", "\\x2e\\x2e"),
        ("Café €.txt".encode(), "Café €.txt"),
    ],
)
def test_names_are_data_not_paths(put, raw, shown):
    item = put(b"content", raw)
    assert item.name == shown
    assert bytes(item.raw_name) == raw
    assert item.blob == f"{item.pk.hex}.age"
    assert storage.backend().path_of(item.blob).parent == settings.VAULT_DIR


def test_very_long_names_are_bounded(put):
    item = put(b"x", b"a" * 5000)
    assert len(item.name) <= names.MAX_NAME
    assert bytes(item.raw_name) == b"a" * 5000


def test_walk_takes_names_relative_and_skips_links(tmp_path):
    root = tmp_path / "recovered"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"a")
    (root / "sub" / "b.txt").write_bytes(b"b")
    os.symlink("/etc/passwd", root / "link")
    weird = os.fsencode(root / "sub") + b"/odd-\xff"
    with open(weird, "wb") as fh:
        fh.write(b"odd")
    found = {raw: shown for _path, raw, shown in services.walk([root])}
    assert found == {
        b"a.txt": "a.txt",
        b"sub/b.txt": "sub / b.txt",
        b"sub/odd-\xff": "sub / odd-\\xff",
    }


def test_flipped_byte_and_truncation_are_detected(put, tmp_path):
    item = put(os.urandom(200_000))
    path = storage.backend().path_of(item.blob)
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0x01
    path.write_bytes(bytes(blob))
    with pytest.raises(services.ContentMismatch, match="fails authentication"):
        b"".join(services.plaintext(item))
    path.write_bytes(bytes(blob[: len(blob) // 2]))
    with pytest.raises(services.ContentMismatch, match="fails authentication"):
        b"".join(services.plaintext(item))


def test_export_to_file_never_leaves_partial_plaintext(put, tmp_path):
    data = os.urandom(3_000_000)
    item = put(data)
    path = storage.backend().path_of(item.blob)
    path.write_bytes(path.read_bytes()[:-100_000])  # truncated blob
    out = tmp_path / "restored.bin"
    with pytest.raises(services.ContentMismatch):
        services.export_to_file(item, out, encrypted=False, actor="system:test")
    assert not out.exists()
    assert list(tmp_path.glob("*.partial")) == []


def test_shred_one_item_at_once(put, django_capture_on_commit_callbacks):
    keep, gone = put(b"keep"), put(b"gone")
    with django_capture_on_commit_callbacks(execute=True):
        services.shred(gone, actor="system:test", reason="erasure request")
    gone.refresh_from_db()
    assert gone.state == VaultItem.State.ERASED and gone.wrapped_key is None
    assert gone.name == "(erased)"
    assert not storage.exists(gone.blob)
    with pytest.raises(keyring.KeyDestroyed):
        services.item_identity(gone)
    out = io.BytesIO()
    out.write(b"".join(services.plaintext(keep)))
    assert out.getvalue() == b"keep"


def test_legal_hold_rewraps_under_the_hold_key(put):
    item = put(b"evidence")
    held = services.set_hold(item, held=True, actor="system:test")
    assert held.state == VaultItem.State.HELD and held.key_name == keyring.HOLD
    keyring.destroy(item.expires_on.isoformat())
    out = io.BytesIO()
    out.write(b"".join(services.plaintext(held)))
    assert out.getvalue() == b"evidence"
    released = services.set_hold(held, held=False, actor="system:test")
    assert released.key_name == item.expires_on.isoformat()
    assert {"vault.hold_set", "vault.hold_released"} <= set(
        AuditEntry.objects.values_list("action", flat=True)
    )


def test_crypto_streams_in_batches():
    reads = []

    class Source(io.BytesIO):
        def read(self, n=-1):
            reads.append(n)
            return super().read(n)

    data = os.urandom(5_000_000)
    out = io.BytesIO()
    sealed = age.encrypt(Source(data), out, age.Identity.generate().to_public())
    assert sealed.size == len(data)
    assert sealed.sha256 == hashlib.sha256(data).hexdigest()
    assert reads and all(0 < n <= 1024 * 1024 for n in reads)  # never the whole file at once


def test_write_all_finishes_a_short_write(tmp_path, monkeypatch):
    """writev may write less than asked (a signal, a full disk's last blocks); the rest
    follows piece by piece, in order."""
    pieces = [b"a" * 100, b"b" * 50, b"c" * 7]
    monkeypatch.setattr(storage.os, "writev", lambda fd, parts: os.write(fd, parts[0][:30]))
    with open(tmp_path / "out", "wb", buffering=0) as fh:
        storage.write_all(fh.fileno(), pieces)
    assert (tmp_path / "out").read_bytes() == b"".join(pieces)
