"""Permanent refusals (issue 10 item 4): a 5xx for one recipient at MAIL FROM, RCPT or after
DATA bounces and suppresses that address; a 5xx that concerns the whole session (the sender
refused for every message, the sign-in refused) suppresses nobody and stops the run."""

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from privacydesk.audit.models import AuditEntry
from privacydesk.mailings import services, tasks
from privacydesk.mailings.models import Delivery, Suppression
from privacydesk.mailings.tests.helpers import send, status
from privacydesk.testing import free_port
from privacydesk.testing.smtp import Handler

RECIPIENTS = ["a@example.nl", "b@example.nl", "c@example.nl", "d@example.nl"]


@pytest.fixture
def campaign(campaign_to, settings):
    settings.MAILINGS_MAX_ATTEMPTS = 3
    return campaign_to(RECIPIENTS)


def states(campaign) -> dict:
    return dict(campaign.deliveries.values_list("subscription__email", "state"))


def test_a_5xx_after_data_for_one_recipient_bounces_and_suppresses(smtp, campaign):
    smtp.refuse("b@example.nl", 554, stage="data")
    report = send(campaign)
    assert (report["sent"], report["bounced"], report["stopped"]) == (3, 1, None)
    assert states(campaign)["b@example.nl"] == "bounced"
    assert Delivery.objects.get(state="bounced").smtp_code == 554
    assert services.is_suppressed("b@example.nl")
    assert Suppression.objects.get().reason == "bounced"
    assert sorted(smtp.recipients()) == ["a@example.nl", "c@example.nl", "d@example.nl"]


def test_a_5xx_to_mail_from_for_one_recipient_bounces_and_suppresses(smtp, campaign):
    smtp.refuse_mail(550, times=1)  # the first message's MAIL FROM only
    report = send(campaign)
    assert (report["sent"], report["bounced"]) == (3, 1)
    assert states(campaign)["a@example.nl"] == "bounced"
    assert services.is_suppressed("a@example.nl")
    assert [s for s in RECIPIENTS if services.is_suppressed(s)] == ["a@example.nl"]


def test_a_5xx_to_mail_from_for_every_message_suppresses_nobody_and_stops(
    smtp, campaign, staff_client
):
    smtp.refuse_mail(550)
    report = send(campaign)
    assert report["stopped"] == {"stage": "mail", "code": 550}
    assert (report["sent"], report["bounced"], report["failed"]) == (0, 0, 0)
    assert Suppression.objects.count() == 0
    assert set(states(campaign).values()) == {"queued"}
    assert set(campaign.deliveries.values_list("attempts", flat=True)) == {0}
    assert smtp.messages == []
    assert status(campaign)["stopped"] == {"stage": "mail", "code": 550}
    assert AuditEntry.objects.filter(action="mailings.run_stopped").count() == 1
    page = staff_client("sales").get(f"/staff/mailings/campaigns/{campaign.pk}/")
    assert 'id="mailings-stopped"' in page.content.decode()

    # Another round against the same refusal reports nothing new; once the server accepts
    # the sender again, everybody gets the campaign and the notice is gone.
    assert tasks.deliver.call(campaign.pk)["stopped"]
    assert AuditEntry.objects.filter(action="mailings.run_stopped").count() == 1
    smtp.reset()
    assert tasks.deliver.call(campaign.pk)["sent"] == 4
    assert sorted(smtp.recipients()) == RECIPIENTS
    assert status(campaign)["stopped"] is None


def test_the_content_refused_for_every_message_suppresses_nobody(smtp, campaign):
    for address in RECIPIENTS:
        smtp.refuse(address, 554, stage="data")
    report = send(campaign)
    assert report["stopped"] == {"stage": "data", "code": 554}
    assert Suppression.objects.count() == 0 and report["bounced"] == 0


@pytest.fixture
def refusing_sign_in():
    """An aiosmtpd server that refuses every AUTH (535)."""

    def refuse(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=False, handled=False)

    controller = Controller(
        Handler(), hostname="127.0.0.1", port=free_port(), auth_require_tls=False,
        auth_exclude_mechanism=["LOGIN"], authenticator=refuse,
    )  # fmt: skip
    controller.start()
    yield controller
    controller.stop()


def test_a_refused_sign_in_suppresses_nobody_and_stops(campaign, refusing_sign_in, settings):
    settings.EMAIL_PORT = refusing_sign_in.port
    settings.EMAIL_HOST_USER = "mailer"
    settings.EMAIL_HOST_PASSWORD = "wrong"
    settings.EMAIL_TIMEOUT = 5
    report = send(campaign)
    assert report["stopped"] == {"stage": "auth", "code": 535}
    assert Suppression.objects.count() == 0
    assert set(states(campaign).values()) == {"queued"}
    assert set(campaign.deliveries.values_list("attempts", flat=True)) == {0}
    assert refusing_sign_in.handler.received == []


def test_relaying_denied_for_every_address_suppresses_nobody(smtp, campaign):
    """A 5xx at RCPT for every recipient (a misconfigured relay) is about the session, not
    the addresses: nobody bounces or is suppressed; the rows are retried, then fail."""
    for address in RECIPIENTS:
        smtp.refuse(address, 550, stage="rcpt")
    report = send(campaign)
    assert (report["sent"], report["bounced"]) == (0, 0)
    assert Suppression.objects.count() == 0
    assert set(states(campaign).values()) == {"queued"}
    assert set(campaign.deliveries.values_list("attempts", flat=True)) == {1}


def test_a_5xx_at_rcpt_bounces_once_the_server_takes_another_message(smtp, campaign):
    smtp.refuse("a@example.nl", 550, stage="rcpt")
    smtp.refuse("d@example.nl", 550, stage="rcpt")  # the last: nothing accepted after it
    report = send(campaign)
    assert (report["sent"], report["bounced"]) == (2, 1)
    assert states(campaign)["a@example.nl"] == "bounced"
    assert services.is_suppressed("a@example.nl")
    assert states(campaign)["d@example.nl"] == "queued"  # retried, not suppressed
    assert not services.is_suppressed("d@example.nl")
