"""The customer's link: where it points, how it reaches the customer, and how it ends (P4).

Issue 8: links on the wrong port, no e-mail at intake, a link that outlived the shredding
of every item, no way for staff to revoke a link. E-mail goes through the project's own
outbox backend, or a real SMTP server (aiosmtpd).
"""

from __future__ import annotations

import io
import re

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from django.test import Client
from django.urls import reverse

from privacydesk import conf
from privacydesk.accounts.roles import ADMIN, PRIVACY_OFFICER, TECHNICIAN
from privacydesk.audit.models import AuditEntry
from privacydesk.backoffice import outbox
from privacydesk.testing import free_port
from privacydesk.vault import erasure, links, reminders, services
from privacydesk.vault.models import RecoveryJob, VaultItem

OUTBOX = "privacydesk.backoffice.outbox.OutboxBackend"
JOBS = "/staff/vault/jobs/"


@pytest.fixture(autouse=True)
def _english_outbox(settings, client):
    settings.EMAIL_BACKEND = OUTBOX
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def english_client() -> Client:
    from django.conf import settings

    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def mails_to(address: str) -> list[outbox.OutboxMessage]:
    return [outbox.read_message(m.name) for m in outbox.messages_to(address)]


def portal_path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def store(job, data: bytes, name: bytes = b"file.bin") -> VaultItem:
    return services.store(job, io.BytesIO(data), raw_name=name, actor="system:test")


def pin_of(page: str) -> str:
    return re.search(r'id="vault-pin">(\d+)<', page).group(1)


# -- where the link points -----------------------------------------------------------------
def test_site_url_defaults_to_the_address_run_serves_on(tmp_path, monkeypatch):
    monkeypatch.delenv("SITE_URL", raising=False)
    assert conf.site_url(tmp_path) == conf.DEFAULT_SITE_URL
    conf.record_served_url(tmp_path, "http://127.0.0.1:8765")
    assert conf.site_url(tmp_path) == "http://127.0.0.1:8765"
    monkeypatch.setenv("SITE_URL", "https://herstel.compjoeter.nl/")
    assert conf.site_url(tmp_path) == "https://herstel.compjoeter.nl"
    monkeypatch.setenv("SITE_URL", "herstel.compjoeter.nl")
    with pytest.raises(conf.ImproperlyConfigured, match="SITE_URL"):
        conf.site_url(tmp_path)


def test_run_records_the_address_it_serves_on():
    from privacydesk.backoffice.management.commands.run import served_url

    assert served_url("127.0.0.1", 8765) == "http://127.0.0.1:8765"
    assert served_url("::1", 8765) == "http://[::1]:8765"
    assert not served_url("0.0.0.0", 8765).startswith("http://0.0.0.0")  # noqa: S104


def test_links_outside_a_request_start_with_site_url(job, settings):
    settings.SITE_URL = "http://127.0.0.1:8765"
    assert links.portal_url(job).startswith("http://127.0.0.1:8765/vault/")


# -- the e-mail at intake --------------------------------------------------------------------
def test_a_new_job_emails_the_link_and_not_the_pin(technician, settings):
    settings.SITE_URL = "http://127.0.0.1:8765"
    new = services.create_job(
        contact_email="klant@example.nl", device="HP", technician=technician, actor="system:test"
    )
    assert new.mailed
    [mail] = mails_to("klant@example.nl")
    assert new.link in mail.body and new.link.startswith("http://127.0.0.1:8765/")
    assert new.pin not in mail.body and new.pin not in mail.subject
    assert f"opdracht {new.job.pk}" in mail.subject and f"job {new.job.pk}" in mail.subject


def test_the_link_email_goes_over_real_smtp(technician, settings):
    class Collect(Message):
        def __init__(self):
            super().__init__()
            self.messages = []

        def handle_message(self, message):
            self.messages.append(message)

    handler = Collect()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        new = services.create_job(
            contact_email="klant@example.nl", device="HP", technician=technician, actor="t:t"
        )
    finally:
        controller.stop()
    [message] = handler.messages
    assert message["To"] == "klant@example.nl"
    text = message.get_payload(decode=True).decode()
    assert new.link in text and new.pin not in text


def test_when_the_mail_server_is_down_the_job_stands_and_staff_are_told(staff_client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 5
    client = staff_client(TECHNICIAN, client=english_client())
    response = client.post(JOBS, {"contact_email": "klant@example.nl", "device": "USB"})
    job = RecoveryJob.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert 'id="vault-not-mailed"' in page and 'id="vault-pin"' in page
    assert not AuditEntry.objects.filter(action="vault.link_sent", object_id=str(job.pk)).exists()


def test_the_portal_pages_speak_of_what_the_customer_received(client, job):
    """The e-mail carries the link, the intake the PIN: the pages say so, not otherwise."""
    link = links.portal_url(job)
    page = client.get(f"/en{portal_path(link)}")
    assert page.status_code == 200  # a new job: not "erased", but not ready yet
    assert "not ready yet" in page.content.decode()
    store(job, b"data")
    pin_page = client.get(f"/en{portal_path(link)}").content.decode()
    assert "in person or on your intake receipt" in pin_page
    assert "not in our e-mails" in pin_page
    invalid = client.get("/en/vault/not-a-token/").content.decode()
    assert "from the e-mail we sent you when you brought in your device" in invalid
    dutch = Client().get(portal_path(link)).content.decode()  # Dutch by default
    assert "innamebewijs" in dutch


# -- reload after creating a job ---------------------------------------------------------------
def test_the_pin_is_shown_once_after_the_redirect(staff_client):
    client = staff_client(TECHNICIAN, client=english_client())
    response = client.post(JOBS, {"contact_email": "klant@example.nl", "device": "USB"})
    assert response.status_code == 302
    first = client.get(response["Location"]).content.decode()
    pin = pin_of(first)
    for _ in range(2):  # reloads
        again = client.get(response["Location"]).content.decode()
        assert 'id="vault-pin"' not in again and pin not in again
    assert RecoveryJob.objects.count() == 1
    assert AuditEntry.objects.filter(action="vault.job_created").count() == 1


# -- how the link ends ----------------------------------------------------------------------
def _customer_has_access(link: str, pin: str) -> Client:
    customer = english_client()
    response = customer.post(portal_path(link), {"pin": pin})
    assert response.status_code == 302
    assert 'id="items"' in customer.get(portal_path(link)).content.decode()
    return customer


def test_shredding_every_item_ends_the_link(job, technician):
    new = services.issue_new_link(job, actor="system:test")
    items = [store(job, b"one", b"1.txt"), store(job, b"two", b"2.txt")]
    customer = _customer_has_access(new.link, new.pin)
    for item in items:  # an erasure request shreds item by item (privacy.py's eraser)
        services.shred(item, actor="system:erasure", reason="erasure request")
    job.refresh_from_db()
    assert job.status == RecoveryJob.Status.ERASED
    assert customer.get(portal_path(new.link)).status_code == 410
    assert english_client().post(portal_path(new.link), {"pin": new.pin}).status_code == 410
    with pytest.raises(services.VaultError):
        store(job, b"late")  # nothing new appears under the old link and PIN
    assert AuditEntry.objects.filter(action="vault.job_closed", object_id=str(job.pk)).exists()


def test_the_erasure_registry_ends_the_link(job):
    from privacydesk.policy import plans
    from privacydesk.spine import registry

    new = services.issue_new_link(job, actor="system:test")
    store(job, b"one")
    subject = registry.Subject(kind="email", value="klant@example.nl")
    plans.run("erase", [subject], key="test:erasure-ends-link", actor="system:test")
    job.refresh_from_db()
    assert job.status == RecoveryJob.Status.ERASED
    assert english_client().post(portal_path(new.link), {"pin": new.pin}).status_code == 410


def test_the_sweep_ends_the_link(job):
    from datetime import datetime, timedelta

    from django.utils import timezone

    new = services.issue_new_link(job, actor="system:test")
    item = store(job, b"one")
    day = item.expires_on + timedelta(days=1)
    erasure.sweep(now=timezone.make_aware(datetime.combine(day, datetime.min.time())))
    assert english_client().post(portal_path(new.link), {"pin": new.pin}).status_code == 410
    with pytest.raises(services.VaultError):
        store(job, b"late")


def test_staff_revoke_a_link_and_issue_a_new_one(staff_client, settings):
    tech = staff_client(TECHNICIAN, client=english_client())
    tech.post(JOBS, {"contact_email": "klant@example.nl", "device": "USB"})
    job = RecoveryJob.objects.get()
    job_url = reverse("admin:vault_job", args=[job.pk])
    page = tech.get(job_url).content.decode()
    old_pin, old_link = pin_of(page), re.search(r'id="vault-link">([^<]+)<', page).group(1)
    store(job, b"recovered")
    customer = _customer_has_access(old_link, old_pin)
    page = tech.get(job_url).content.decode()
    assert 'id="vault-revoke"' in page

    response = tech.post(f"{job_url}revoke/", follow=True)
    assert "The download link is revoked" in response.content.decode()
    assert AuditEntry.objects.filter(action="vault.link_revoked", object_id=str(job.pk)).exists()
    assert customer.get(portal_path(old_link)).status_code == 410
    assert english_client().post(portal_path(old_link), {"pin": old_pin}).status_code == 410
    store(job, b"uploaded after the revocation")
    assert english_client().post(portal_path(old_link), {"pin": old_pin}).status_code == 410
    # A revoked link is not sent out again by the reminders.
    job.refresh_from_db()
    assert job not in reminders.due_jobs(job.created_at.replace(year=job.created_at.year + 1))

    response = tech.post(f"{job_url}new-link/")
    assert response.status_code == 302
    page = tech.get(job_url).content.decode()
    new_pin, new_link = pin_of(page), re.search(r'id="vault-link">([^<]+)<', page).group(1)
    assert new_link != old_link
    _customer_has_access(new_link, new_pin)
    assert english_client().post(portal_path(old_link), {"pin": old_pin}).status_code == 410
    [reissued] = [m for m in mails_to("klant@example.nl") if "New download link" in m.subject]
    assert new_link in reissued.body and new_pin not in reissued.body


@pytest.mark.parametrize("role", [PRIVACY_OFFICER, ADMIN])
def test_who_may_revoke(staff_client, staff, role):
    job = services.create_job(
        contact_email="klant@example.nl", device="USB", technician=staff(TECHNICIAN), actor="t:t"
    ).job
    response = staff_client(role).post(f"{JOBS}{job.pk}/revoke/")
    job.refresh_from_db()
    assert response.status_code == (302 if role == ADMIN else 403)
    assert (job.link_revoked_at is not None) == (role == ADMIN)


def test_another_technicians_job_revoke_is_404(staff_client, staff):
    job = services.create_job(
        contact_email="klant@example.nl", device="USB", technician=staff(TECHNICIAN), actor="t:t"
    ).job
    client = staff_client(TECHNICIAN)
    assert client.post(f"{JOBS}{job.pk}/revoke/").status_code == 404
    assert client.post(f"{JOBS}99999/revoke/").status_code == 404
    job.refresh_from_db()
    assert job.link_revoked_at is None


# -- jobs always have a technician ------------------------------------------------------------
def test_a_job_without_a_technician_is_refused(db, staff):
    with pytest.raises(services.VaultError, match="technician"):
        services.create_job(
            contact_email="klant@example.nl", device="HP", technician=None, actor="t:t"
        )
    with pytest.raises(services.VaultError, match="technician role"):
        services.create_job(
            contact_email="klant@example.nl", device="HP", technician=staff(ADMIN), actor="t:t"
        )
    assert RecoveryJob.objects.count() == 0


def test_an_admin_issuing_a_new_link_sees_no_contact_address(staff_client, staff):
    """The admin sees a job's metadata only (DESIGN.md section 7), also in the PIN notice."""
    job = services.create_job(
        contact_email="jan.jansen@example.nl", device="USB", technician=staff(TECHNICIAN), actor="t"
    ).job
    admin = staff_client(ADMIN, client=english_client())
    assert admin.post(f"{JOBS}{job.pk}/new-link/").status_code == 302
    page = admin.get(f"{JOBS}{job.pk}/").content.decode()
    assert 'id="vault-pin"' in page and "e-mailed to the customer" in page
    assert "jan.jansen@example.nl" not in page
