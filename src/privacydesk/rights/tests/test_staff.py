"""The privacy officer's queue and request pages: days left, warnings, overdue, steps with
their outcome, a retry of a failed step, history; the admin reads, others get 403."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from privacydesk.audit.models import AuditEntry
from privacydesk.rights import services
from privacydesk.rights.models import MailboxMessage, Request
from privacydesk.spine.roles import ADMIN, PRIVACY_OFFICER, SALES, TECHNICIAN


def _req(**extra) -> Request:
    return services.create(
        kind="access", channel="post", actor="x:1", email="jan@example.nl", verified=True, **extra
    )


def test_queue_shows_days_left_warnings_and_overdue(staff_client):
    today = timezone.localdate()
    _ok, warn, late = _req(), _req(), _req()
    Request.objects.filter(pk=warn.pk).update(due_on=today + timedelta(days=2))
    Request.objects.filter(pk=late.pk).update(due_on=today - timedelta(days=3))
    MailboxMessage.objects.create(
        mailbox="INBOX", uidvalidity=1, uid=9, outcome="unparseable", raw=b"broken"
    )
    client = staff_client(PRIVACY_OFFICER)
    page = client.get("/staff/rights/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "3 dagen te laat" in page
    assert "nog 2 dagen" in page and "waarschuwing 2 dagen" in page
    assert "pd-row-overdue" in page and "pd-row-warn" in page
    assert "Berichten uit het postvak, bewaard voor medewerkers" in page
    assert AuditEntry.objects.filter(action="rights.queue_viewed").exists()
    client.post("/i18n/setlang/", {"language": "en", "next": "/staff/rights/"})
    english = client.get("/staff/rights/").content.decode()
    assert "overdue by 3 days" in english and "2-day warning" in english


def test_request_page_shows_steps_and_retries_a_failed_one(
    staff_client, monkeypatch, django_capture_on_commit_callbacks
):
    from privacydesk.policy import plans
    from privacydesk.spine import registry

    req = _req()
    src = registry.source("rights.Request")
    monkeypatch.setattr(src, "export", lambda keys: (_ for _ in ()).throw(OSError("x")))
    with pytest.raises(plans.StepFailed):
        services.carry_out(req, actor="x:1")
    monkeypatch.undo()
    client = staff_client(PRIVACY_OFFICER)
    page = client.get(f"/staff/rights/{req.pk}/").content.decode()
    assert "Verzoeken van betrokkenen" in page and "OSError" in page
    assert "Mislukte stap opnieuw proberen" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/staff/rights/{req.pk}/start/")
    assert response.status_code == 302
    # the worker's job ran the plan again (django-tasks' database backend, run here by hand)
    from privacydesk.jobs.worker import Worker

    Worker(batch=True).run()
    req.refresh_from_db()
    assert req.state == Request.State.ANSWERED
    page = client.get(f"/staff/rights/{req.pk}/").content.decode()
    assert "inzage: stap uitgevoerd" in page and "Beantwoord" in page  # the history


def test_extend_and_refuse_from_the_page(staff_client, django_capture_on_commit_callbacks):
    req = _req()
    client = staff_client(PRIVACY_OFFICER)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/staff/rights/{req.pk}/extend/", {"months": "1", "reason": "Veel werk"})
    req.refresh_from_db()
    assert req.extended_to is not None
    client.post(f"/staff/rights/{req.pk}/extend/", {"months": "5", "reason": ""})  # no 500
    client.post(f"/staff/rights/{req.pk}/refuse/", {"reason": "Kennelijk ongegrond"})
    req.refresh_from_db()
    assert req.state == Request.State.REFUSED
    assert client.post(f"/staff/rights/{req.pk}/refuse/", {"reason": "again"}).status_code == 302
    assert client.post(f"/staff/rights/{req.pk}/nonsense/").status_code == 404


def test_admin_reads_and_others_are_refused(staff_client):
    req = _req()
    admin = staff_client(ADMIN)
    assert admin.get(f"/staff/rights/{req.pk}/").status_code == 200
    assert admin.post(f"/staff/rights/{req.pk}/start/").status_code == 403
    assert "Verzoek uitvoeren" not in admin.get(f"/staff/rights/{req.pk}/").content.decode()
    for role in (TECHNICIAN, SALES):
        from django.test import Client

        other = staff_client(role, client=Client())
        assert other.get(f"/staff/rights/{req.pk}/").status_code == 403
        assert other.get("/staff/rights/").status_code == 403
    assert admin.get("/staff/rights/99999/").status_code == 404
