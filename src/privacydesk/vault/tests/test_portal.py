"""The customer download portal: link, PIN and lock, list, streamed and verified downloads.

Real files, real encryption, no mocks: every test stores items in its own vault directory
and downloads them through the Django test client.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from datetime import timedelta

import pyrage
import pytest
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone, translation
from pyrage import x25519

from privacydesk.audit.models import AuditEntry
from privacydesk.vault import erasure, portal, services, storage
from privacydesk.vault.models import RecoveryJob, VaultItem

ACTOR = "system:test"
BIG = 1024 * 1024 + 12345  # several chunks of the age stream and of the response


@pytest.fixture(autouse=True)
def _vault_dir(settings, tmp_path):
    settings.VAULT_DIR = tmp_path / "vault"


@pytest.fixture
def new_job(technician):
    return services.create_job(
        contact_email="klant@example.nl", device="Laptop", technician=technician, actor=ACTOR
    )


def store(job, data: bytes, name: bytes) -> VaultItem:
    return services.store(job, io.BytesIO(data), raw_name=name, actor=ACTOR)


@pytest.fixture
def files(new_job):
    """A job with a big random file, a small text and a name that needs escaping."""
    contents = {
        b"image.bin": os.urandom(BIG),
        b"notes.txt": b"hello, world\n" * 10,
        b"<b>x.txt": b"tricky name",
    }
    items = {name: store(new_job.job, data, name) for name, data in contents.items()}
    return new_job, items, contents


def token(new_job) -> str:
    """The token of the link given at intake (a new one is made every second)."""
    return new_job.link.rstrip("/").rsplit("/", 1)[1]


def path_of(new_job, lang: str = "nl") -> str:
    path = new_job.link.removeprefix(settings.SITE_URL)
    return path if lang == "nl" else f"/en{path}"


def url(name: str, new_job, item=None) -> str:
    kwargs = {"token": token(new_job)}
    if item is not None:
        kwargs["item_id"] = item.pk
    with translation.override("nl"):
        return reverse(f"vault:{name}", kwargs=kwargs)


def wrong(pin: str) -> str:
    return f"{(int(pin) + 1) % 10**6:06d}"


def signed_in(client: Client, new_job) -> Client:
    response = client.post(path_of(new_job), {"pin": new_job.pin})
    assert response.status_code == 302
    return client


def body(response) -> bytes:
    assert response.streaming
    return b"".join(response.streaming_content)


def received_until_failure(response) -> bytes:
    """Read a streamed response the way a server would; it must end in an exception."""
    received = bytearray()
    with pytest.raises(portal.StreamFailed):
        for chunk in response.streaming_content:
            received += chunk
    response.close()
    return bytes(received)


def corrupt_middle(item: VaultItem) -> None:
    path = storage.backend().path_of(item.blob)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def truncate(item: VaultItem) -> None:
    path = storage.backend().path_of(item.blob)
    with open(path, "r+b") as fh:
        fh.truncate(path.stat().st_size * 2 // 3)


def actions(job) -> list[str]:
    return list(
        AuditEntry.objects.filter(actor=f"customer:job-{job.pk}")
        .order_by("id")
        .values_list("action", flat=True)
    )


# -- the link ----------------------------------------------------------------------------
def test_a_wrong_link_is_not_found(client, new_job):
    store(new_job.job, b"data", b"a.txt")
    response = client.get("/en/vault/not-a-token/")
    assert response.status_code == 404
    assert "not valid" in response.content.decode()
    assert client.get("/vault/not-a-token/").status_code == 404
    good = token(new_job)
    assert client.get(f"/vault/{good[:-2]}xx/").status_code == 404
    assert client.get(f"/vault/{good}/").status_code == 200


def test_a_link_with_an_old_version_is_gone_and_says_it_was_replaced(client, new_job):
    store(new_job.job, b"data", b"a.txt")
    old = path_of(new_job, "en")
    RecoveryJob.objects.filter(pk=new_job.job.pk).update(link_version=2)
    response = client.get(old)
    assert response.status_code == 410
    assert "replaced or withdrawn" in response.content.decode()


def test_the_link_in_the_job_is_the_portal(client, new_job):
    store(new_job.job, b"data", b"a.txt")
    assert new_job.link.endswith(path_of(new_job))
    response = client.get(path_of(new_job))
    assert response.status_code == 200
    assert 'name="pin"' in response.content.decode()
    assert "no-store" in response["Cache-Control"]


# -- the PIN -----------------------------------------------------------------------------
def test_the_pin_is_needed_before_the_list_or_a_download(client, files):
    new_job, items, _contents = files
    html = client.get(path_of(new_job)).content.decode()
    assert "notes.txt" not in html
    assert items[b"notes.txt"].sha256 not in html
    for name in ("download", "download_encrypted", "key"):
        response = client.get(url(name, new_job, items[b"notes.txt"]))
        assert response.status_code == 302
        assert response["Location"] == path_of(new_job)
    assert client.get(url("zip", new_job)).status_code == 302
    assert not AuditEntry.objects.filter(action__startswith="vault.portal_download").exists()
    assert not AuditEntry.objects.filter(action="vault.key_revealed").exists()


def test_the_right_pin_opens_the_list_and_is_audited(client, files):
    new_job, _items, _contents = files
    session_before = client.get(path_of(new_job)).wsgi_request.session.session_key
    response = client.post(path_of(new_job), {"pin": new_job.pin})
    assert response.status_code == 302
    assert response["Location"] == path_of(new_job)
    assert client.session.session_key != session_before  # rotated at sign-in
    html = client.get(path_of(new_job)).content.decode()
    assert "notes.txt" in html
    entry = AuditEntry.objects.get(action="vault.portal_pin_ok")
    assert entry.actor == f"customer:job-{new_job.job.pk}"
    assert entry.object_id == str(new_job.job.pk)
    assert entry.subject_ref.startswith("email#")
    assert "klant" not in str(entry.detail)


def test_the_pin_may_be_typed_with_spaces(client, files):
    new_job, _items, _contents = files
    pin = f"{new_job.pin[:3]} {new_job.pin[3:]}"
    assert client.post(path_of(new_job), {"pin": pin}).status_code == 302


def test_a_pin_that_is_not_digits_does_not_count(client, files):
    new_job, _items, _contents = files
    response = client.post(path_of(new_job), {"pin": "abc"})
    assert response.status_code == 200
    new_job.job.refresh_from_db()
    assert new_job.job.failed_pin_attempts == 0


def test_the_pin_form_needs_the_csrf_token(files):
    new_job, _items, _contents = files
    client = Client(enforce_csrf_checks=True)
    response = client.post(path_of(new_job), {"pin": new_job.pin})
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action="vault.portal_pin_ok").exists()


def test_five_wrong_pins_lock_the_link_even_for_the_right_pin(client, files, settings):
    new_job, items, _contents = files
    job = new_job.job
    assert settings.VAULT_PIN_ATTEMPTS == 5
    for attempt in range(1, 5):
        response = client.post(path_of(new_job), {"pin": wrong(new_job.pin)})
        assert response.status_code == 200
        job.refresh_from_db()
        assert job.failed_pin_attempts == attempt
        assert job.locked_at is None
    response = client.post(path_of(new_job), {"pin": wrong(new_job.pin)})
    assert response.status_code == 403
    job.refresh_from_db()
    assert job.locked_at is not None
    assert actions(job) == ["vault.portal_pin_failed"] * 5 + ["vault.portal_locked"]

    # Locked: the right PIN is refused too, from any browser, and nothing is served.
    other = Client()
    response = other.post(path_of(new_job), {"pin": new_job.pin})
    assert response.status_code == 403
    assert "locked" in other.get(path_of(new_job, "en")).content.decode()
    assert other.get(url("download", new_job, items[b"notes.txt"])).status_code == 403
    assert "vault.portal_pin_ok" not in actions(job)


def test_a_wrong_pin_says_how_many_tries_are_left(client, files):
    new_job, _items, _contents = files
    response = client.post(path_of(new_job, "en"), {"pin": wrong(new_job.pin)})
    assert "You have 4 more tries" in response.content.decode()


def test_a_lock_also_closes_a_session_that_was_already_in(client, files):
    new_job, items, _contents = files
    signed_in(client, new_job)
    attacker = Client()
    for _ in range(5):
        attacker.post(path_of(new_job), {"pin": wrong(new_job.pin)})
    assert client.get(path_of(new_job)).status_code == 403
    assert client.get(url("download", new_job, items[b"notes.txt"])).status_code == 403


def test_unlock_lifts_the_lock_and_is_audited(client, files):
    new_job, _items, _contents = files
    job = new_job.job
    for _ in range(5):
        client.post(path_of(new_job), {"pin": wrong(new_job.pin)})
    job.refresh_from_db()
    job = portal.unlock(job, actor="user:1")
    assert job.locked_at is None
    assert job.failed_pin_attempts == 0
    entry = AuditEntry.objects.get(action="vault.portal_unlocked")
    assert entry.actor == "user:1"
    assert entry.detail == {"was_locked": True, "failed_attempts": 5}
    assert client.post(path_of(new_job), {"pin": new_job.pin}).status_code == 302
    assert client.get(path_of(new_job)).status_code == 200
    # Nothing to lift: no entry.
    portal.unlock(job, actor="user:1")
    assert AuditEntry.objects.filter(action="vault.portal_unlocked").count() == 1


def test_the_right_pin_resets_the_count(client, files):
    new_job, _items, _contents = files
    for _ in range(3):
        client.post(path_of(new_job), {"pin": wrong(new_job.pin)})
    signed_in(client, new_job)
    new_job.job.refresh_from_db()
    assert new_job.job.failed_pin_attempts == 0


def test_a_pin_opens_only_its_own_job(client, files, technician):
    new_job, _items, _contents = files
    other = services.create_job(
        contact_email="ander@example.nl", device="Phone", technician=technician, actor=ACTOR
    )
    other_item = store(other.job, b"other", b"other.txt")
    signed_in(client, new_job)
    assert client.get(url("download", other, other_item)).status_code == 302
    assert 'name="pin"' in client.get(path_of(other)).content.decode()


def test_close_forgets_the_pin(client, files):
    new_job, _items, _contents = files
    signed_in(client, new_job)
    assert client.post(path_of(new_job), {"action": "forget"}).status_code == 302
    assert 'name="pin"' in client.get(path_of(new_job)).content.decode()


# -- the list ----------------------------------------------------------------------------
def test_the_list_shows_name_size_hash_and_erasure_date(client, files):
    new_job, items, _contents = files
    signed_in(client, new_job)
    html = client.get(path_of(new_job, "en")).content.decode()
    assert '<html lang="en"' in html
    with translation.override("en"):
        for item in items.values():
            assert filesizeformat(item.size) in html
            assert formats.date_format(item.expires_on, "DATE_FORMAT") in html
            sha = item.sha256
            assert f"{sha[:16]}<wbr>{sha[16:32]}<wbr>{sha[32:48]}<wbr>{sha[48:]}" in html
    assert "image.bin" in html and "notes.txt" in html
    assert "&lt;b&gt;x.txt" in html
    assert "<b>x" not in html
    assert "Keep your own backup" in html
    assert "We erase your files after" in html
    assert "Download all as ZIP" in html
    body = html.split("</head>", 1)[1]  # the head holds the cookie banner's script tag
    assert "<script" not in body and "style=" not in html


def test_the_list_in_dutch_uses_the_dutch_date(client, files):
    new_job, items, _contents = files
    signed_in(client, new_job)
    html = client.get(path_of(new_job)).content.decode()
    assert '<html lang="nl"' in html
    with translation.override("nl"):
        day = formats.date_format(items[b"notes.txt"].expires_on, "DATE_FORMAT")
    assert day in html


def test_a_held_item_is_listed_and_an_expired_one_is_not(client, files):
    new_job, items, _contents = files
    services.set_hold(items[b"image.bin"], held=True, actor=ACTOR)
    past = timezone.localdate() - timedelta(days=1)
    VaultItem.objects.filter(pk=items[b"notes.txt"].pk).update(expires_on=past)
    signed_in(client, new_job)
    html = client.get(path_of(new_job, "en")).content.decode()
    assert "image.bin" in html
    assert "legal hold" in html
    assert "notes.txt" not in html
    assert client.get(url("download", new_job, items[b"notes.txt"])).status_code == 404


# -- decrypted downloads -----------------------------------------------------------------
def test_a_download_is_the_plaintext_and_is_audited(client, files):
    new_job, items, contents = files
    signed_in(client, new_job)
    item = items[b"image.bin"]
    response = client.get(url("download", new_job, item))
    assert response.status_code == 200
    assert response["Content-Length"] == str(BIG)
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="image.bin"'
    assert response["Accept-Ranges"] == "bytes"
    assert response["ETag"] == f'"{item.sha256}"'
    assert "no-store" in response["Cache-Control"]
    assert body(response) == contents[b"image.bin"]
    entry = AuditEntry.objects.get(action="vault.portal_download")
    assert entry.actor == f"customer:job-{new_job.job.pk}"
    assert entry.object_id == str(item.pk)
    assert entry.detail == {"kind": "decrypted", "partial": False}


def test_a_download_name_is_safe_in_the_header(client, new_job):
    item = services.store(
        new_job.job, io.BytesIO(b"x"), raw_name=b"f", display='a"b / café\\x5c.txt', actor=ACTOR
    )
    signed_in(client, new_job)
    response = client.get(url("download", new_job, item))
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''caf%C3%A9_x5c.txt"
    assert body(response) == b"x"


def test_an_empty_item_downloads_as_empty(client, new_job):
    item = store(new_job.job, b"", b"empty")
    signed_in(client, new_job)
    response = client.get(url("download", new_job, item))
    assert response["Content-Length"] == "0"
    assert body(response) == b""
    assert client.get(url("download", new_job, item), HTTP_RANGE="bytes=0-").status_code == 416


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=100-199", 100, 199),
        ("bytes=0-0", 0, 0),
        ("bytes=500000-", 500000, BIG - 1),
        ("bytes=-1000", BIG - 1000, BIG - 1),
        ("bytes=1000-99999999", 1000, BIG - 1),
        ("bytes=-99999999", 0, BIG - 1),
        (f"bytes={BIG - 1}-{BIG - 1}", BIG - 1, BIG - 1),
    ],
)
def test_a_range_is_the_slice(client, files, header, first, last):
    new_job, items, contents = files
    signed_in(client, new_job)
    response = client.get(url("download", new_job, items[b"image.bin"]), HTTP_RANGE=header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/{BIG}"
    assert response["Content-Length"] == str(last - first + 1)
    assert body(response) == contents[b"image.bin"][first : last + 1]
    detail = AuditEntry.objects.get(action="vault.portal_download").detail
    assert detail == {"kind": "decrypted", "partial": True}


@pytest.mark.parametrize("header", [f"bytes={BIG}-", f"bytes={BIG + 5}-{BIG + 10}", "bytes=-0"])
def test_an_unsatisfiable_range_is_416(client, files, header):
    new_job, items, _contents = files
    signed_in(client, new_job)
    response = client.get(url("download", new_job, items[b"image.bin"]), HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{BIG}"
    assert not AuditEntry.objects.filter(action="vault.portal_download").exists()


@pytest.mark.parametrize("header", ["bytes=0-10,20-30", "bytes=10-5", "lines=1-2", "bytes=x-"])
def test_other_ranges_are_ignored(client, files, header):
    new_job, items, contents = files
    signed_in(client, new_job)
    response = client.get(url("download", new_job, items[b"notes.txt"]), HTTP_RANGE=header)
    assert response.status_code == 200
    assert body(response) == contents[b"notes.txt"]


def test_if_range_for_another_version_sends_everything(client, files):
    new_job, items, contents = files
    signed_in(client, new_job)
    item = items[b"notes.txt"]
    link = url("download", new_job, item)
    response = client.get(link, HTTP_RANGE="bytes=5-", HTTP_IF_RANGE='"something-else"')
    assert response.status_code == 200
    assert body(response) == contents[b"notes.txt"]
    response = client.get(link, HTTP_RANGE="bytes=5-", HTTP_IF_RANGE=f'"{item.sha256}"')
    assert response.status_code == 206
    assert body(response) == contents[b"notes.txt"][5:]


def test_head_sends_headers_without_decrypting_or_auditing(client, files):
    new_job, items, _contents = files
    signed_in(client, new_job)
    response = client.head(url("download", new_job, items[b"image.bin"]))
    assert response.status_code == 200
    assert response["Content-Length"] == str(BIG)
    assert not AuditEntry.objects.filter(action="vault.portal_download").exists()


# -- failures never look complete --------------------------------------------------------
@pytest.mark.parametrize("damage", [corrupt_middle, truncate])
def test_a_damaged_item_does_not_complete(client, files, damage):
    new_job, items, contents = files
    signed_in(client, new_job)
    item = items[b"image.bin"]
    damage(item)
    response = client.get(url("download", new_job, item))
    assert response.status_code == 200
    received = received_until_failure(response)
    assert 0 < len(received) < int(response["Content-Length"])
    assert received == contents[b"image.bin"][: len(received)]  # authenticated part only


@pytest.mark.parametrize("damage", [corrupt_middle, truncate])
def test_a_range_over_the_damage_does_not_complete(client, files, damage):
    new_job, items, contents = files
    signed_in(client, new_job)
    item = items[b"image.bin"]
    damage(item)
    response = client.get(url("download", new_job, item), HTTP_RANGE="bytes=100000-")
    assert response.status_code == 206
    received = received_until_failure(response)
    assert len(received) < BIG - 100_000
    assert received == contents[b"image.bin"][100_000 : 100_000 + len(received)]


@pytest.mark.parametrize("damage", [corrupt_middle, truncate])
def test_a_range_before_the_damage_is_sent_authenticated(client, files, damage):
    """Each 64 KiB chunk is authenticated on its own (its number is in its nonce), so the
    bytes of a range are checked without the rest of the item: a resumed download of a
    large image starts at once instead of after decrypting everything before it."""
    new_job, items, contents = files
    signed_in(client, new_job)
    item = items[b"image.bin"]
    damage(item)
    response = client.get(url("download", new_job, item), HTTP_RANGE="bytes=0-99")
    assert response.status_code == 206
    assert body(response) == contents[b"image.bin"][:100]


def test_a_range_does_not_decrypt_what_lies_before_it(client, files):
    """Damage in the first chunk does not touch a range that starts in a later chunk."""
    new_job, items, contents = files
    signed_in(client, new_job)
    item = items[b"image.bin"]
    path = storage.backend().path_of(item.blob)
    data = bytearray(path.read_bytes())
    data[300] ^= 0x01  # inside chunk 0 (the header is about 200 bytes)
    path.write_bytes(bytes(data))
    first = 5 * 64 * 1024 + 7
    response = client.get(url("download", new_job, item), HTTP_RANGE=f"bytes={first}-")
    assert response.status_code == 206
    assert body(response) == contents[b"image.bin"][first:]
    assert received_until_failure(client.get(url("download", new_job, item))) == b""


def test_a_content_mismatch_does_not_complete(client, files):
    """The age file is intact but the content is not what was stored (SHA-256 differs)."""
    new_job, items, _contents = files
    signed_in(client, new_job)
    item = items[b"image.bin"]
    VaultItem.objects.filter(pk=item.pk).update(sha256="0" * 64)
    response = client.get(url("download", new_job, item))
    received = received_until_failure(response)
    assert len(received) < BIG


def test_a_damaged_small_item_sends_nothing(client, files):
    new_job, items, _contents = files
    signed_in(client, new_job)
    item = items[b"notes.txt"]
    corrupt_middle(item)
    response = client.get(url("download", new_job, item))
    assert received_until_failure(response) == b""


def test_a_download_stopped_by_the_client_ends_the_decryption(client, files):
    import threading

    new_job, items, _contents = files
    signed_in(client, new_job)
    response = client.get(url("download", new_job, items[b"image.bin"]))
    stream = iter(response.streaming_content)
    assert next(stream)
    response.close()  # what the server does when the client goes away
    if hasattr(stream, "close"):
        stream.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("vault-")]


# -- the ZIP -----------------------------------------------------------------------------
def test_the_zip_holds_every_item_byte_for_byte(client, files):
    new_job, items, contents = files
    signed_in(client, new_job)
    response = client.get(url("zip", new_job))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert (
        response["Content-Disposition"] == f'attachment; filename="compjoeter-{new_job.job.pk}.zip"'
    )
    assert not response.has_header("Content-Length")
    data = body(response)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == sorted(i.name for i in items.values())
        assert archive.read("<b>x.txt") == b"tricky name"
        for raw, item in items.items():
            assert archive.read(item.name) == contents[raw]
    entry = AuditEntry.objects.get(action="vault.portal_download")
    assert entry.object_id == str(new_job.job.pk)
    assert entry.detail == {
        "kind": "zip",
        "items": [str(i.pk) for i in portal.live_items(new_job.job)],
    }
    assert sorted(entry.detail["items"]) == sorted(str(i.pk) for i in items.values())


def test_zip_entries_keep_folders_and_never_escape(client, new_job, tmp_path):
    tree = tmp_path / "tree"
    (tree / "foto's" / "2020").mkdir(parents=True)
    (tree / "foto's" / "2020" / "a.jpg").write_bytes(b"A")
    (tree / "b.txt").write_bytes(b"B")
    for path, raw, display in services.walk([tree]):
        with open(path, "rb") as fh:
            services.store(new_job.job, fh, raw_name=raw, display=display, actor=ACTOR)
    services.store(
        new_job.job, io.BytesIO(b"C"), raw_name=b"c", display="../../etc/passwd", actor=ACTOR
    )
    services.store(new_job.job, io.BytesIO(b"D"), raw_name=b"d", display=".. / .. / x", actor=ACTOR)
    store(new_job.job, b"E1", b"same.txt")
    store(new_job.job, b"E2", b"SAME.txt")
    signed_in(client, new_job)
    with zipfile.ZipFile(io.BytesIO(body(client.get(url("zip", new_job))))) as archive:
        names = archive.namelist()
        assert "foto's/2020/a.jpg" in names
        assert archive.read("foto's/2020/a.jpg") == b"A"
        assert "b.txt" in names
        assert "__/__/x" in names  # ".." made harmless
        assert ".._.._etc_passwd" in names  # separators in a name are not separators
        assert {archive.read(n) for n in names if n.lower().startswith("same")} == {b"E1", b"E2"}
        assert len(set(n.casefold() for n in names)) == len(names)
        for name in names:
            assert not name.startswith("/")
            assert ".." not in name.split("/")
            assert "\\" not in name


def test_a_zip_with_a_damaged_item_does_not_complete(client, files):
    new_job, items, _contents = files
    signed_in(client, new_job)
    corrupt_middle(items[b"image.bin"])
    response = client.get(url("zip", new_job))
    received = received_until_failure(response)
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(received))
    # No entry trailer (data descriptor) for the damaged item: nothing claims it is whole.
    assert received.count(b"PK\x07\x08") < len(items)


def test_a_zip_whose_last_item_is_damaged_does_not_complete(client, files):
    new_job, items, _contents = files
    signed_in(client, new_job)
    last = max(items.values(), key=lambda i: i.name)
    truncate(last)
    response = client.get(url("zip", new_job))
    received = received_until_failure(response)
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(received))


# -- the encrypted file and its key ------------------------------------------------------
def test_the_encrypted_file_and_its_key_decrypt_to_the_plaintext(client, files):
    new_job, items, contents = files
    signed_in(client, new_job)
    item = items[b"image.bin"]
    response = client.get(url("download_encrypted", new_job, item))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="image.bin.age"'
    assert response["Content-Length"] == str(storage.size_of(item.blob))
    encrypted = body(response)
    assert encrypted == storage.backend().path_of(item.blob).read_bytes()

    response = client.get(url("key", new_job, item))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="image.bin.key"'
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode()
    assert "age -d -i image.bin.key -o image.bin image.bin.age" in text
    secret = [line for line in text.splitlines() if not line.startswith("#") and line]
    assert len(secret) == 1 and secret[0].startswith("AGE-SECRET-KEY-1")
    identity = x25519.Identity.from_str(secret[0])
    assert pyrage.decrypt(encrypted, [identity]) == contents[b"image.bin"]

    job_actor = f"customer:job-{new_job.job.pk}"
    revealed = AuditEntry.objects.get(action="vault.key_revealed")
    assert (revealed.actor, revealed.object_id) == (job_actor, str(item.pk))
    download = AuditEntry.objects.get(action="vault.portal_download")
    assert download.detail == {"kind": "encrypted", "partial": False}


def test_the_encrypted_file_can_be_resumed(client, files):
    new_job, items, _contents = files
    signed_in(client, new_job)
    item = items[b"image.bin"]
    whole = storage.backend().path_of(item.blob).read_bytes()
    response = client.get(url("download_encrypted", new_job, item), HTTP_RANGE="bytes=1000-")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 1000-{len(whole) - 1}/{len(whole)}"
    assert body(response) == whole[1000:]


def test_the_key_file_quotes_awkward_names(client, new_job):
    item = store(new_job.job, b"x", b"my photo.jpg")
    signed_in(client, new_job)
    text = client.get(url("key", new_job, item)).content.decode()
    assert "age -d -i 'my photo.jpg.key' -o 'my photo.jpg' 'my photo.jpg.age'" in text


# -- the link dies with the items --------------------------------------------------------
def test_a_shredded_item_is_gone_from_the_list_and_its_urls(client, files):
    new_job, items, _contents = files
    signed_in(client, new_job)
    item = items[b"notes.txt"]
    services.shred(item, actor=ACTOR, reason="customer asked")
    html = client.get(path_of(new_job)).content.decode()
    assert "notes.txt" not in html
    assert "image.bin" in html
    for name in ("download", "download_encrypted", "key"):
        assert client.get(url(name, new_job, item)).status_code == 404
    with zipfile.ZipFile(io.BytesIO(body(client.get(url("zip", new_job))))) as archive:
        assert "notes.txt" not in archive.namelist()


def test_when_every_item_is_shredded_the_link_is_dead(client, files):
    new_job, items, _contents = files
    signed_in(client, new_job)
    for item in items.values():
        services.shred(item, actor=ACTOR, reason="customer asked")
    response = client.get(path_of(new_job, "en"))
    assert response.status_code == 410
    assert "erased" in response.content.decode()
    assert client.get(url("zip", new_job)).status_code == 410
    assert client.get(url("download", new_job, items[b"notes.txt"])).status_code == 410


def test_after_the_sweep_the_link_is_dead(client, files, settings):
    new_job, items, _contents = files
    signed_in(client, new_job)
    later = timezone.now() + timedelta(days=400)
    erasure.sweep(now=later, leftover_age_seconds=0)
    job = RecoveryJob.objects.get(pk=new_job.job.pk)
    assert job.status == RecoveryJob.Status.ERASED
    response = client.get(path_of(new_job, "en"))
    assert response.status_code == 410
    assert "have been erased" in response.content.decode()
    assert client.get(url("download", new_job, items[b"notes.txt"])).status_code == 410


def test_a_missing_day_key_is_not_a_broken_download(client, files):
    """The sweep destroyed the key but has not marked the item yet: 410, not a failed stream."""
    from privacydesk.vault import keyring

    new_job, items, _contents = files
    signed_in(client, new_job)
    item = items[b"notes.txt"]
    keyring.destroy(item.key_name)
    assert client.get(url("download", new_job, item)).status_code == 410


# -- languages ---------------------------------------------------------------------------
def test_the_portal_in_english(client, files):
    new_job, _items, _contents = files
    response = client.get(path_of(new_job, "en"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en"' in html
    assert "Enter the PIN" in html
    response = client.post(path_of(new_job, "en"), {"pin": new_job.pin})
    assert response["Location"] == path_of(new_job, "en")
    assert "Your recovered files" in client.get(response["Location"]).content.decode()


def test_the_portal_in_dutch_by_default(client, files):
    new_job, _items, _contents = files
    response = client.get(path_of(new_job))
    assert '<html lang="nl"' in response.content.decode()


# -- pieces ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 10, None),
        ("bytes=0-4", 10, (0, 4)),
        ("bytes=5-", 10, (5, 9)),
        ("bytes=-3", 10, (7, 9)),
        ("bytes=-30", 10, (0, 9)),
        ("bytes=3-100", 10, (3, 9)),
        ("Bytes = 1 - 2", 10, (1, 2)),
        ("bytes=1-2, 4-5", 10, None),
        ("bytes=5-1", 10, None),
        ("bytes=-", 10, None),
        ("items=0-1", 10, None),
    ],
)
def test_parse_range(header, size, expected):
    assert portal.parse_range(header, size) == expected


@pytest.mark.parametrize(("header", "size"), [("bytes=10-", 10), ("bytes=-0", 10), ("bytes=-1", 0)])
def test_parse_range_unsatisfiable(header, size):
    with pytest.raises(portal.Unsatisfiable):
        portal.parse_range(header, size)


def test_the_stream_hash_is_the_stored_hash(files):
    _new_job, items, contents = files
    item = items[b"image.bin"]
    data = b"".join(portal.decrypted(item))
    assert (
        hashlib.sha256(data).hexdigest()
        == item.sha256
        == hashlib.sha256(contents[b"image.bin"]).hexdigest()
    )
