"""The public request pages and the privacy officer's pages in Chromium (nl, en; 1280 and
390 px; axe-core): the form, its answer, the verification page; the queue and a request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from privacydesk.rights import services
from privacydesk.rights.models import MailboxMessage, Request
from privacydesk.spine.roles import PRIVACY_OFFICER
from privacydesk.testing import make_staff
from privacydesk.testing.browser import LANGUAGES, staff_session

pytestmark = pytest.mark.browser


def _prefix(lang: str) -> str:
    return "" if lang == "nl" else "/en"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_public_request_pages(pages, transactional_db, lang, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    tab = pages.open(lang)
    tab.goto(f"{_prefix(lang)}/privacy/request/")
    tab.refuse_cookies()
    tab.page.click("main form [type=submit]")  # empty: the form again, with its errors
    tab.page.wait_for_load_state("load")
    assert tab.document_status == 400
    tab.check_here("rights-form-errors")
    tab.axe(f"rights-form-errors ({lang})")
    tab.check_with_axe(f"{_prefix(lang)}/privacy/request/", "rights-form")
    tab.page.check("#id_kind_2")  # erasure
    tab.page.fill("#id_email", "jan.jansen@example.nl")
    tab.page.fill("#id_message", "Graag alles wissen.")
    tab.page.click("main form [type=submit]")
    tab.page.wait_for_load_state("load")
    assert tab.page.url.endswith("/privacy/request/sent/")
    tab.check_here("rights-sent")
    req = Request.objects.get()
    assert req.language == lang and req.kind == "erasure"
    path = services.verification_path(req)
    tab.check_with_axe(path, "rights-verify")
    tab.page.click("main form [type=submit]")
    tab.page.wait_for_load_state("load")
    tab.check_here("rights-verified")
    req.refresh_from_db()
    assert req.state == "open"
    access = services.create(
        kind="access", channel="web", actor="system:test", email="jan@example.nl", language=lang
    )
    tab.goto(services.verification_path(access))
    tab.page.click("main form [type=submit]")
    tab.page.wait_for_load_state("load")
    tab.check_here("rights-verified-access")  # the package is on its way
    access.refresh_from_db()
    assert access.state == "processing"
    tab.check(f"{_prefix(lang)}/privacy/request/verify/nonsense/", "rights-bad-link", status=404)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_privacy_officer_pages(pages, transactional_db, lang):
    officer = make_staff(PRIVACY_OFFICER)
    today = timezone.localdate()
    reqs = []
    for kind, channel, days in [
        ("access", "web", 20),
        ("erasure", "email", 5),
        ("rectification", "post", 1),
        ("objection", "phone", -3),
    ]:
        req = services.create(
            kind=kind,
            channel=channel,
            actor="system:test",
            email=f"{kind}.persoon@example.nl",
            verified=channel != "web",
            name="Maria van den Berg-Hoogstraten",
            identity_check="Brief met handtekening",
        )
        Request.objects.filter(pk=req.pk).update(due_on=today + timedelta(days=days))
        reqs.append(req)
    MailboxMessage.objects.create(
        mailbox="INBOX",
        uidvalidity=1,
        uid=4,
        outcome="unparseable",
        raw=b"x",
        arrived_at=timezone.now(),
    )
    services.verify(reqs[0], actor="system:test")  # an access request: queued for the worker
    services.carry_out(reqs[0], actor="system:test")  # answered: steps and history to show
    unconfirmed = services.create(
        kind="erasure", channel="web", actor="system:test", email="niemand@example.nl"
    )
    services.send_verification(unconfirmed)
    services.expire_unverified(now=timezone.now() + timedelta(days=4))  # the queue says so
    assert Request.objects.get(pk=unconfirmed.pk).state == "expired"
    waiting = services.create(
        kind="restriction", channel="web", actor="system:test", email="b@example.nl"
    )
    services.send_verification(waiting)  # its row says until when the link works
    assert Request.objects.get(pk=reqs[0].pk).state == "answered"
    tab = pages.open(lang, session_cookie=staff_session(officer))
    tab.check_with_axe("/staff/rights/?show=all", "rights-queue")
    tab.check_with_axe(f"/staff/rights/{reqs[0].pk}/", "rights-request-answered")
    tab.check_with_axe(f"/staff/rights/{reqs[2].pk}/", "rights-request-open")
    tab.check_with_axe("/staff/rights/new/", "rights-new")
