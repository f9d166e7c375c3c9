"""An access or portability request is carried out by the worker once the address is
confirmed; requests nobody confirmed expire; P14 and P2 on the promise board."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone, translation

from privacydesk.audit.models import AuditEntry
from privacydesk.jobs.worker import Worker
from privacydesk.policy.models import Plan, PlanStep
from privacydesk.rights import promises, services
from privacydesk.rights.models import Request
from privacydesk.spine.roles import PRIVACY_OFFICER, TECHNICIAN
from privacydesk.testing import make_staff
from privacydesk.vault import services as vault


@pytest.fixture(autouse=True)
def _evidence_in_english():
    """The evidence is compared in English (the CLI's language; the board shows Dutch too)."""
    with translation.override("en"):
        yield


CUSTOMER = "piet.puk@example.nl"


@pytest.fixture(autouse=True)
def _vault_dir(settings, tmp_path):
    settings.VAULT_DIR = tmp_path / "vault"


@pytest.fixture
def customer(db):
    job = vault.create_job(
        contact_email=CUSTOMER, device="Laptop", technician=make_staff(TECHNICIAN), actor="x:1"
    ).job
    vault.store(job, io.BytesIO(b"x" * 100), raw_name=b"brief.doc", actor="x:1")
    return job


def _form(client, kind: str, email: str = CUSTOMER) -> Request:
    client.post("/privacy/request/", {"kind": kind, "email": email, "name": "", "message": ""})
    return Request.objects.get(kind=kind)


def _confirm(client, django_capture_on_commit_callbacks) -> None:
    link = re.search(r"http://testserver(/privacy/request/verify/\S+/)", mail.outbox[-1].body)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(link.group(1))
    assert page.status_code == 200


@pytest.mark.parametrize("kind", ["access", "portability"])
def test_a_confirmed_access_request_is_packaged_by_the_worker(
    client, customer, kind, django_capture_on_commit_callbacks
):
    req = _form(client, kind)
    _confirm(client, django_capture_on_commit_callbacks)
    req.refresh_from_db()
    assert req.state == "processing"  # queued for the worker, nobody had to start it
    assert AuditEntry.objects.filter(action="rights.started", actor="system:rights").exists()
    assert Worker(batch=True).run() == 1
    req.refresh_from_db()
    assert req.state == "answered" and req.package
    answer = mail.outbox[-1]
    assert answer.to == [CUSTOMER]
    download = re.search(r"https?://\S+(/privacy/request/package/\S+/)", answer.body).group(1)
    response = client.get(download)
    assert response.status_code == 200


@pytest.mark.parametrize("kind", ["erasure", "rectification", "objection", "restriction"])
def test_other_confirmed_requests_wait_for_the_privacy_officer(
    client, customer, kind, django_capture_on_commit_callbacks
):
    req = _form(client, kind)
    _confirm(client, django_capture_on_commit_callbacks)
    req.refresh_from_db()
    assert req.state == "open"
    assert Worker(batch=True).run() == 0
    assert Plan.objects.count() == 0


def test_requests_nobody_confirmed_expire_after_the_link(client, db, settings, staff_client):
    settings.RIGHTS_VERIFY_SECONDS = 3600
    req = _form(client, "erasure")
    assert services.expire_unverified() == 0
    later = timezone.now() + timedelta(hours=1, minutes=1)
    queue = staff_client(PRIVACY_OFFICER).get("/staff/rights/").content.decode()
    assert "de link verloopt op" in queue  # the open row says until when it can be confirmed
    assert services.expire_unverified(now=later) == 1
    assert services.expire_unverified(now=later) == 0
    req.refresh_from_db()
    assert req.state == "expired" and req.closed_at == later
    assert len(mail.outbox) == 1  # only the link: nothing is mailed on expiry
    entry = AuditEntry.objects.get(action="rights.expired")
    assert entry.object_id == str(req.pk) and CUSTOMER not in str(entry.detail)
    client.logout()
    link = re.search(r"http://testserver(/privacy/request/verify/\S+/)", mail.outbox[0].body)
    assert client.post(link.group(1)).status_code == 404  # an expired request stays expired
    req.refresh_from_db()
    assert req.state == "expired"
    page = staff_client(PRIVACY_OFFICER).get("/staff/rights/").content.decode()
    assert "1 verzoek is de afgelopen 30 dagen onbevestigd verlopen" in page
    assert f"#{req.pk}<" not in page  # not among the open requests...
    assert (
        f"#{req.pk}<"
        in staff_client(PRIVACY_OFFICER).get("/staff/rights/?show=all").content.decode()
    )


def test_a_mailbox_request_recorded_late_keeps_its_link_lifetime(db, settings):
    """The link is sent when the request is recorded, which for a message polled late is
    after it arrived: the lifetime counts from then."""
    settings.RIGHTS_VERIFY_SECONDS = 3600
    arrived = timezone.now() - timedelta(hours=3)
    req = services.create(
        kind="access", channel="email", actor="system:mailbox", email=CUSTOMER, received_at=arrived
    )
    assert services.send_verification(req, outcome="acknowledgement")
    assert services.expire_unverified() == 0
    assert services.expire_unverified(now=timezone.now() + timedelta(minutes=61)) == 1
    req.refresh_from_db()
    assert req.state == "expired"


def test_a_request_whose_link_could_not_be_mailed_goes_to_staff(db, settings):
    """A mail server that refused the link all along: the requester never had a chance to
    confirm, so the request is not expired but handed to the privacy officer."""
    settings.RIGHTS_VERIFY_SECONDS = 3600
    req = services.create(kind="erasure", channel="web", actor="system:web", email=CUSTOMER)
    assert services.expire_unverified(now=timezone.now() + timedelta(minutes=61)) == 0
    req.refresh_from_db()
    assert req.state == "needs_staff"
    assert AuditEntry.objects.filter(action="rights.link_not_sent", object_id=str(req.pk)).exists()


def _open_request(**extra) -> Request:
    return services.create(
        kind="access", channel="post", actor="x:1", email=CUSTOMER, verified=True, **extra
    )


def test_a_healthy_queue_keeps_p14_and_p2(db):
    _open_request()
    finding = promises.every_request_is_answered_in_time_and_completely()
    assert finding.ok and "1 open requests, none past its deadline" in str(finding.evidence)
    assert promises.every_deadline_follows_article_12_3().ok


def test_an_open_request_past_its_deadline_turns_p14_red(db):
    late = _open_request(received_at=timezone.now() - timedelta(days=40))
    finding = promises.every_request_is_answered_in_time_and_completely()
    assert not finding.ok and f"past their deadline: #{late.pk}" in str(finding.evidence)
    # an extension moves the deadline; a refused (closed) request is no longer open
    Request.objects.filter(pk=late.pk).update(
        extended_to=late.due_on + timedelta(days=30), extension_reason="Complex"
    )
    assert promises.every_request_is_answered_in_time_and_completely().ok
    Request.objects.filter(pk=late.pk).update(extended_to=timezone.localdate() - timedelta(1))
    assert not promises.every_request_is_answered_in_time_and_completely().ok
    services.refuse(late, reason="Kennelijk ongegrond", actor="x:1")
    assert promises.every_request_is_answered_in_time_and_completely().ok


def test_an_answered_erasure_with_a_step_not_done_turns_p14_red(customer):
    make_staff(PRIVACY_OFFICER)
    req = services.create(
        kind="erasure", channel="post", actor="x:1", email=CUSTOMER, verified=True
    )
    services.carry_out(req, actor="x:1")
    req.refresh_from_db()
    assert req.state == "answered"
    assert promises.every_request_is_answered_in_time_and_completely().ok
    step = PlanStep.objects.filter(plan__key=services.plan_key(req, "erase")).first()
    PlanStep.objects.filter(pk=step.pk).update(status=PlanStep.Status.FAILED)
    finding = promises.every_request_is_answered_in_time_and_completely()
    assert not finding.ok and f"a step not done: #{req.pk}" in str(finding.evidence)
    Plan.objects.filter(key=services.plan_key(req, "erase")).delete()  # no plan at all
    assert not promises.every_request_is_answered_in_time_and_completely().ok


def test_an_unconfirmed_request_left_past_its_link_turns_p14_red(db, settings):
    settings.RIGHTS_VERIFY_SECONDS = 3600
    req = services.create(kind="access", channel="web", actor="x:1", email=CUSTOMER)
    services.send_verification(req)
    Request.objects.filter(pk=req.pk).update(received_at=timezone.now() - timedelta(hours=5))
    # the link was mailed now, so it is still valid: not late
    assert promises.every_request_is_answered_in_time_and_completely().ok
    later = timezone.now() + timedelta(hours=4)
    with mock.patch("django.utils.timezone.now", return_value=later):
        finding = promises.every_request_is_answered_in_time_and_completely()
    assert not finding.ok and f"not expired after their link: #{req.pk}" in str(finding.evidence)


def test_a_deadline_that_is_not_art_12_3s_turns_p2_red(db):
    req = _open_request()
    Request.objects.filter(pk=req.pk).update(due_on=req.due_on + timedelta(days=3))
    finding = promises.every_deadline_follows_article_12_3()
    assert not finding.ok and f"#{req.pk}" in str(finding.evidence)
    Request.objects.filter(pk=req.pk).update(due_on=req.due_on)
    assert promises.every_deadline_follows_article_12_3().ok
    Request.objects.filter(pk=req.pk).update(extended_to=req.due_on + timedelta(days=100))
    assert not promises.every_deadline_follows_article_12_3().ok  # beyond two months
    Request.objects.filter(pk=req.pk).update(extended_to=req.due_on + timedelta(days=30))
    assert not promises.every_deadline_follows_article_12_3().ok  # without a reason
