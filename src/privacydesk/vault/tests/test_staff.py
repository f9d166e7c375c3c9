"""The vault's staff pages: intake, upload, holds, unlock, certificates, panels, and who may
do what (DESIGN.md sections 4 and 7). Real files, real encryption, no mocks."""

from __future__ import annotations

import io
import os
import re
import tracemalloc
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils import timezone
from django.utils.html import escape

from privacydesk.accounts.roles import ADMIN, PRIVACY_OFFICER, SALES, TECHNICIAN
from privacydesk.audit.models import AuditEntry
from privacydesk.audit.services import subject_ref
from privacydesk.vault import erasure, links, names, services, storage
from privacydesk.vault.models import DeletionCertificate, RecoveryJob, VaultItem

ROLES = [TECHNICIAN, SALES, PRIVACY_OFFICER, ADMIN]
JOBS = "/staff/vault/jobs/"


@pytest.fixture(autouse=True)
def _vault_dir(settings, tmp_path):
    settings.VAULT_DIR = tmp_path / "vault"


@pytest.fixture(autouse=True)
def _english(client, settings):
    """The pages in English, the source language (Dutch is the default for staff too)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def job_url(job) -> str:
    return f"{JOBS}{job.pk}/"


def new_job(technician, email="klant@example.nl", device="Laptop, 500 GB") -> RecoveryJob:
    return services.create_job(
        contact_email=email, device=device, technician=technician, actor="system:test"
    ).job


def put(job, data: bytes, raw_name: bytes = b"file.bin") -> VaultItem:
    return services.store(job, io.BytesIO(data), raw_name=raw_name, actor="system:test")


def decrypted(item: VaultItem) -> bytes:
    out = io.BytesIO()
    out.write(b"".join(services.plaintext(item)))
    return out.getvalue()


def after(day, days=1):
    return timezone.make_aware(datetime.combine(day + timedelta(days=days), datetime.min.time()))


def signed_in(staff_client, role):
    """A separate client per user (the fixture's default client is shared)."""
    return staff_client(role, client=english_client())


def english_client(**kwargs) -> Client:
    client = Client(**kwargs)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def audited(action, user, obj=None) -> bool:
    entries = AuditEntry.objects.filter(action=action, actor=f"user:{user.pk}")
    if obj is not None:
        entries = entries.filter(object_id=str(obj.pk))
    return entries.exists()


# -- who may do what -------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_jobs_list_per_role(staff_client, role):
    client = staff_client(role)
    response = client.get(JOBS)
    assert response.status_code == (403 if role == SALES else 200), role
    if role != SALES:
        assert audited("vault.jobs_listed", client.user)


@pytest.mark.parametrize("role", ROLES)
def test_job_detail_per_role(staff_client, staff, role):
    job = new_job(staff(TECHNICIAN))
    client = staff_client(role)
    response = client.get(job_url(job))
    # Another technician's job is 404, as a missing one (no existence oracle).
    expected = {TECHNICIAN: 404, SALES: 403, PRIVACY_OFFICER: 200, ADMIN: 200}[role]
    assert response.status_code == expected, role
    assert audited("vault.job_viewed", client.user, job) == (expected == 200)


@pytest.mark.parametrize("role", ROLES)
def test_hold_is_for_the_privacy_officer_only(staff_client, staff, role):
    item = put(new_job(staff(TECHNICIAN)), b"evidence")
    response = staff_client(role).post(f"/staff/vault/items/{item.pk}/hold/", {"held": "1"})
    item.refresh_from_db()
    if role == PRIVACY_OFFICER:
        assert response.status_code in (200, 302)
        assert item.state == VaultItem.State.HELD
    else:
        assert response.status_code == 403, role
        assert item.state == VaultItem.State.STORED


@pytest.mark.parametrize("role", ROLES)
def test_upload_is_for_technicians_only(staff_client, staff, role):
    client = staff_client(role)
    # A technician's own job: only the role decides.
    job = new_job(client.user if role == TECHNICIAN else staff(TECHNICIAN))
    response = client.post(
        f"{job_url(job)}upload/", {"files": SimpleUploadedFile("a.txt", b"hello")}
    )
    assert response.status_code == (302 if role == TECHNICIAN else 403), role
    assert job.items.count() == (1 if role == TECHNICIAN else 0)


@pytest.mark.parametrize("role", ROLES)
def test_unlock_per_role(staff_client, staff, role):
    job = new_job(staff(TECHNICIAN))
    RecoveryJob.objects.filter(pk=job.pk).update(locked_at=timezone.now(), failed_pin_attempts=5)
    response = staff_client(role).post(f"{job_url(job)}unlock/")
    job.refresh_from_db()
    if role == ADMIN:
        assert response.status_code == 302
        assert job.locked_at is None
    else:  # a technician only on their own jobs (see test_technician_unlocks_own_job)
        assert response.status_code == (404 if role == TECHNICIAN else 403), role
        assert job.locked_at is not None


@pytest.mark.parametrize("role", ROLES)
def test_create_job_is_for_technicians_only(staff_client, role):
    response = staff_client(role).post(
        JOBS, {"contact_email": "klant@example.nl", "device": "USB stick"}
    )
    assert response.status_code == (302 if role == TECHNICIAN else 403), role
    assert RecoveryJob.objects.count() == (1 if role == TECHNICIAN else 0)


def test_technician_sees_only_own_jobs_others_see_all(staff_client, staff):
    tech = signed_in(staff_client, TECHNICIAN)
    mine = new_job(tech.user, device="Mine-Laptop")
    theirs = new_job(staff(TECHNICIAN), device="Their-Desktop")
    page = tech.get(JOBS).content.decode()
    assert "Mine-Laptop" in page and "Their-Desktop" not in page
    assert tech.get(job_url(mine)).status_code == 200
    assert tech.get(job_url(theirs)).status_code == 404
    for role in (PRIVACY_OFFICER, ADMIN):
        page = signed_in(staff_client, role).get(JOBS).content.decode()
        assert "Mine-Laptop" in page and "Their-Desktop" in page
        assert "klant@example.nl" not in page  # metadata only


def test_contact_address_is_shown_to_the_jobs_technician_only(staff_client):
    tech = signed_in(staff_client, TECHNICIAN)
    job = new_job(tech.user, email="jan.jansen@example.nl")
    assert "jan.jansen@example.nl" in tech.get(job_url(job)).content.decode()
    officer = signed_in(staff_client, PRIVACY_OFFICER)
    assert "jan.jansen@example.nl" not in officer.get(job_url(job)).content.decode()


def test_anonymous_and_password_only_sessions_reach_nothing(client, staff):
    job = new_job(staff(TECHNICIAN))
    for url in (JOBS, job_url(job)):
        response = client.get(url)
        assert response.status_code == 302 and "/staff/login/" in response["Location"]
    user = staff(TECHNICIAN)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(JOBS)
    assert response.status_code == 302 and "/staff/login/" in response["Location"]


# -- intake ----------------------------------------------------------------------------------
def test_creating_a_job_shows_pin_and_link_once(staff_client):
    client = staff_client(TECHNICIAN)
    response = client.post(
        JOBS,
        {"contact_email": " klant@example.nl ", "device": "Seagate 2 TB, SN 123"},
        HTTP_HOST="127.0.0.1:8765",
    )
    job = RecoveryJob.objects.get()
    # POST-redirect-GET: the answer to the POST is a redirect to the job's page.
    assert response.status_code == 302 and response["Location"] == job_url(job)
    response = client.get(job_url(job), HTTP_HOST="127.0.0.1:8765")
    page = response.content.decode()
    assert "Give the PIN to the customer now" in page
    pin = re.search(r'id="vault-pin">(\d+)<', page).group(1)
    assert re.fullmatch(r"\d{6}", pin)
    assert job.technician == client.user and job.contact_email == "klant@example.nl"
    assert check_password(pin, job.pin_hash) and pin not in job.pin_hash
    link = re.search(r'id="vault-link">([^<]+)<', page).group(1)
    token = link.rstrip("/").rsplit("/", 1)[1]
    # Built from the request: the address the technician uses, whatever SITE_URL says.
    assert link == f"http://127.0.0.1:8765/vault/{token}/"
    assert links.resolve(token) == (job, True)
    assert "no-store" in response["Cache-Control"]
    assert audited("vault.job_created", client.user, job)
    assert 'id="vault-mailed"' in page
    # Shown once: neither a reload nor the list shows the PIN again.
    for url in (job_url(job), JOBS):
        assert f">{pin}<" not in client.get(url).content.decode()
    assert pin not in str(dict(client.session))


def test_reloading_after_creating_a_job_creates_no_second_job(staff_client):
    """The browser's reload after the redirect repeats the GET, never the POST."""
    client = staff_client(TECHNICIAN)
    response = client.post(
        JOBS, {"contact_email": "klant@example.nl", "device": "USB"}, follow=True
    )
    assert response.status_code == 200 and 'id="vault-pin"' in response.content.decode()
    [(reloaded, _status)] = response.redirect_chain
    again = client.get(reloaded)
    assert again.status_code == 200 and 'id="vault-pin"' not in again.content.decode()
    assert RecoveryJob.objects.count() == 1
    assert AuditEntry.objects.filter(action="vault.job_created").count() == 1


def test_creating_a_job_emails_the_link_but_never_the_pin(staff_client, mailoutbox):
    client = staff_client(TECHNICIAN)
    client.post(JOBS, {"contact_email": "klant@example.nl", "device": "Synology NAS"})
    job = RecoveryJob.objects.get()
    page = client.get(job_url(job)).content.decode()
    pin = re.search(r'id="vault-pin">(\d+)<', page).group(1)
    link = re.search(r'id="vault-link">([^<]+)<', page).group(1)
    [mail] = mailoutbox
    assert mail.to == ["klant@example.nl"]
    assert link in mail.body and pin not in mail.body and pin not in mail.subject
    assert "pincode" in mail.body and "PIN" in mail.body  # Dutch and English
    assert "nooit per e-mail" in mail.body and "never send the PIN by e-mail" in mail.body
    assert AuditEntry.objects.filter(action="vault.link_sent", object_id=str(job.pk)).exists()


def test_bad_intake_shows_errors_and_creates_nothing(staff_client):
    response = staff_client(TECHNICIAN).post(JOBS, {"contact_email": "not-an-email", "device": ""})
    assert response.status_code == 400
    assert RecoveryJob.objects.count() == 0
    assert 'id="vault-intake"' in response.content.decode()


# -- upload ----------------------------------------------------------------------------------
def test_upload_two_files_in_one_post_and_read_them_back(staff_client):
    client = staff_client(TECHNICIAN)
    job = new_job(client.user)
    small = os.urandom(10_000)
    large = os.urandom(3 * 1024 * 1024 + 12_345)  # above FILE_UPLOAD_MAX_MEMORY_SIZE
    response = client.post(
        f"{job_url(job)}upload/",
        {
            "files": [
                SimpleUploadedFile("notes.txt", small),
                SimpleUploadedFile("disk-part.img", large),
            ]
        },
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "2 files stored in the vault" in page
    assert "notes.txt" in page and "disk-part.img" in page
    items = {i.name: i for i in job.items.all()}
    assert set(items) == {"notes.txt", "disk-part.img"}
    assert decrypted(items["notes.txt"]) == small
    assert decrypted(items["disk-part.img"]) == large
    assert items["disk-part.img"].size == len(large)
    for item in items.values():
        assert item.sha256 in page and item.blob == f"{item.pk.hex}.age"
        blob = storage.backend().path_of(item.blob).read_bytes()
        assert blob.startswith(b"age-encryption.org/v1\n") and small[:64] not in blob
        assert audited("vault.item_stored", client.user, item)
    assert audited("vault.job_viewed", client.user, job)


def test_upload_streams_instead_of_holding_the_file(staff_client):
    """Peak Python memory while a 24 MB upload is handled stays far below the file's size
    (the request body itself sits in the test client's buffer, counted once)."""
    client = staff_client(TECHNICIAN)
    job = new_job(client.user)
    data = os.urandom(24 * 1024 * 1024)
    body = encode_multipart(BOUNDARY, {"files": SimpleUploadedFile("image.dd", data)})
    url = f"{job_url(job)}upload/"
    tracemalloc.start()
    try:
        response = client.generic("POST", url, body, content_type=MULTIPART_CONTENT)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 302
    # The client copies the body into its fake input stream: that copy is the one expected.
    assert peak < len(body) + 8 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"
    [item] = job.items.all()
    assert item.size == len(data) and decrypted(item) == data


def test_upload_without_file_is_a_clear_error(staff_client):
    client = staff_client(TECHNICIAN)
    job = new_job(client.user)
    response = client.post(f"{job_url(job)}upload/", {})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert job.items.count() == 0


def test_upload_to_an_erased_job_is_refused_and_keeps_what_is_there(staff_client):
    client = staff_client(TECHNICIAN)
    job = new_job(client.user)
    item = put(job, b"kept")
    RecoveryJob.objects.filter(pk=job.pk).update(status=RecoveryJob.Status.ERASED)
    response = client.post(
        f"{job_url(job)}upload/", {"files": SimpleUploadedFile("late.txt", b"late")}
    )
    assert response.status_code == 400
    assert "no new files" in response.content.decode()
    assert list(job.items.all()) == [item] and decrypted(item) == b"kept"
    assert sorted(storage.names()) == [item.blob]


def test_upload_to_another_technicians_job_is_404(staff_client, staff):
    job = new_job(staff(TECHNICIAN))
    response = staff_client(TECHNICIAN).post(
        f"{job_url(job)}upload/", {"files": SimpleUploadedFile("x.txt", b"x")}
    )
    assert response.status_code == 404
    assert job.items.count() == 0


def test_upload_needs_the_csrf_token(staff):
    from privacydesk.testing import sign_in_verified

    user = staff(TECHNICIAN)
    job = new_job(user)
    client = english_client(enforce_csrf_checks=True)
    sign_in_verified(client, user)
    url = f"{job_url(job)}upload/"
    response = client.post(url, {"files": SimpleUploadedFile("x.txt", b"x")})
    assert response.status_code == 403
    assert job.items.count() == 0
    # With the token from the page it works.
    page = client.get(job_url(job)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(
        url, {"files": SimpleUploadedFile("x.txt", b"x"), "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert job.items.count() == 1


def test_hostile_file_names_are_data_not_paths(staff_client, tmp_path):
    client = staff_client(TECHNICIAN)
    job = new_job(client.user)
    response = client.post(
        f"{job_url(job)}upload/",
        {
            "files": [
                SimpleUploadedFile("../../etc/passwd", b"root:x:0:0"),
                SimpleUploadedFile("nul\x00byte.txt", b"nul"),
                SimpleUploadedFile("<img src=x onerror=alert(1)>.txt", b"xss"),
            ]
        },
    )
    assert response.status_code == 302
    # Names as a disk or the CLI hands them over, unsanitised by any HTTP parser.
    put(job, b"traversal", b"../../etc/shadow")
    put(job, b"control", b"a\x00b\x1b[31m.txt")
    put(job, b"latin-1", b"caf\xe9.txt")
    items = list(job.items.all())
    assert len(items) == 6
    vault = settings.VAULT_DIR
    for item in items:
        assert item.blob == f"{item.pk.hex}.age"
        assert "/" not in item.name and "\x00" not in item.name
        assert (vault / item.blob).is_file()
    assert sorted(p.name for p in vault.iterdir()) == sorted(i.blob for i in items)
    assert not (tmp_path / "etc").exists()
    page = client.get(job_url(job)).content.decode()
    for raw in (b"../../etc/shadow", b"a\x00b\x1b[31m.txt", b"caf\xe9.txt"):
        shown = names.display_name(raw)
        assert "/" not in shown and "\x00" not in shown and "\x1b" not in shown
        assert escape(shown) in page
    assert "\x00" not in page and "\x1b" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;.txt" in page
    assert "<img src=x" not in page
    by_data = {decrypted(i): i for i in items}
    assert bytes(by_data[b"traversal"].raw_name) == b"../../etc/shadow"
    assert "passwd" in by_data[b"root:x:0:0"].name and "/" not in by_data[b"root:x:0:0"].name


# -- hold, unlock, certificates ----------------------------------------------------------------
def test_privacy_officer_toggles_the_legal_hold(staff_client, staff):
    item = put(new_job(staff(TECHNICIAN)), b"evidence")
    officer = staff_client(PRIVACY_OFFICER)
    page = officer.get(job_url(item.job)).content.decode()
    assert "Put under legal hold" in page
    url = f"/staff/vault/items/{item.pk}/hold/"
    response = officer.post(url, {"held": "1"}, follow=True)
    assert response.status_code == 200 and "Release the hold" in response.content.decode()
    item.refresh_from_db()
    assert item.state == VaultItem.State.HELD and item.key_name == "hold"
    assert audited("vault.hold_set", officer.user, item)
    # Held items survive the sweep.
    erasure.sweep(now=after(item.expires_on))
    item.refresh_from_db()
    assert item.state == VaultItem.State.HELD and decrypted(item) == b"evidence"
    officer.post(url, {"held": "0"})
    item.refresh_from_db()
    assert item.state == VaultItem.State.STORED
    assert audited("vault.hold_released", officer.user, item)
    assert officer.post(url, {"held": "maybe"}).status_code == 400


def test_hold_on_an_erased_item_is_a_message_not_an_error(staff_client, staff):
    item = put(new_job(staff(TECHNICIAN)), b"gone")
    erasure.sweep(now=after(item.expires_on))
    response = staff_client(PRIVACY_OFFICER).post(
        f"/staff/vault/items/{item.pk}/hold/", {"held": "1"}, follow=True
    )
    assert response.status_code == 200
    assert "already erased" in response.content.decode()


def test_technician_unlocks_own_job(staff_client, staff):
    client = staff_client(TECHNICIAN)
    job = new_job(client.user)
    RecoveryJob.objects.filter(pk=job.pk).update(locked_at=timezone.now(), failed_pin_attempts=5)
    page = client.get(job_url(job)).content.decode()
    assert "Locked since" in page and f'action="{job_url(job)}unlock/"' in page
    response = client.post(f"{job_url(job)}unlock/", follow=True)
    assert response.status_code == 200
    job.refresh_from_db()
    assert job.locked_at is None and job.failed_pin_attempts == 0
    entry = AuditEntry.objects.get(action="vault.portal_unlocked", object_id=str(job.pk))
    assert entry.actor == f"user:{client.user.pk}"
    assert entry.subject_ref == subject_ref("email", job.contact_email)
    # Another technician's job stays locked.
    other = new_job(staff(TECHNICIAN))
    RecoveryJob.objects.filter(pk=other.pk).update(locked_at=timezone.now())
    assert client.post(f"{job_url(other)}unlock/").status_code == 404


def test_the_officer_sees_the_lock_but_no_unlock_button(staff_client, staff):
    job = new_job(staff(TECHNICIAN))
    RecoveryJob.objects.filter(pk=job.pk).update(locked_at=timezone.now())
    page = staff_client(PRIVACY_OFFICER).get(job_url(job)).content.decode()
    assert "Locked since" in page and "/unlock/" not in page


def test_certificate_download_after_the_sweep(staff_client, staff):
    tech = signed_in(staff_client, TECHNICIAN)
    job = new_job(tech.user)
    item = put(job, os.urandom(2000), b"photo.jpg")
    erasure.sweep(now=after(item.expires_on))
    [cert] = DeletionCertificate.objects.filter(job=job)
    page = tech.get(job_url(job)).content.decode()
    url = f"/staff/vault/certificates/{cert.pk}/"
    assert url in page
    for role in (TECHNICIAN, PRIVACY_OFFICER, ADMIN):
        client = tech if role == TECHNICIAN else signed_in(staff_client, role)
        response = client.get(url)
        assert response.status_code == 200, role
        assert response["Content-Type"].startswith("application/json")
        assert response["Content-Disposition"].startswith("attachment;")
        document = erasure.verify_certificate(response.content.decode())
        assert document["job"] == job.pk
        assert [i["sha256"] for i in document["items"]] == [item.sha256]
        assert audited("vault.certificate_downloaded", client.user, cert)
    assert signed_in(staff_client, SALES).get(url).status_code == 403
    assert signed_in(staff_client, TECHNICIAN).get(url).status_code == 404  # not their job


def test_detail_shows_item_metadata(staff_client):
    client = staff_client(TECHNICIAN)
    job = new_job(client.user)
    item = put(job, b"x" * 2048, b"report.pdf")
    page = client.get(job_url(job)).content.decode()
    assert "report.pdf" in page and item.sha256 in page and "2.0\xa0kB" in page
    assert job.device in page and client.user.get_username() in page
    entry = AuditEntry.objects.filter(action="vault.job_viewed", object_id=str(job.pk)).last()
    assert entry.subject_ref == subject_ref("email", job.contact_email)
    assert 'enctype="multipart/form-data"' in page and "multiple" in page


# -- panels ----------------------------------------------------------------------------------
def test_panels(staff_client, staff):
    tech = signed_in(staff_client, TECHNICIAN)
    job = new_job(tech.user)
    new_job(tech.user)
    put(job, b"soon")
    other = new_job(staff(TECHNICIAN))
    put(other, b"theirs")
    page = tech.get("/staff/").content.decode()
    assert "Your recovery jobs" in page
    assert "2 open jobs" in page  # the other technician's job is not counted
    assert "0 items erased within 7 days" in page
    VaultItem.objects.filter(job=job).update(expires_on=timezone.localdate() + timedelta(days=3))
    assert "1 items erased within 7 days" in tech.get("/staff/").content.decode()

    page = signed_in(staff_client, ADMIN).get("/staff/").content.decode()
    assert "Recovery vault" in page and "3 open jobs" in page and "2 items stored" in page
    assert "/staff/vault/jobs/" in page
    assert "Recovery vault" not in signed_in(staff_client, SALES).get("/staff/").content.decode()


def test_index_link_goes_to_the_scoped_pages(staff_client, staff):
    """The admin's own model page would bypass the own-jobs limit; it only redirects."""
    new_job(staff(TECHNICIAN), device="Their-Desktop")
    tech = signed_in(staff_client, TECHNICIAN)
    response = tech.get("/staff/vault/recoveryjob/")
    assert response.status_code == 302 and response["Location"] == JOBS
    assert "Their-Desktop" not in tech.get(JOBS).content.decode()
    assert signed_in(staff_client, SALES).get("/staff/vault/recoveryjob/").status_code == 403
