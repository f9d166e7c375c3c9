"""Exactly once (issue 10 item 4): a message whose reply was lost after the final dot is never
sent again; it ends ``unknown``, shown to staff with what to do and counted in the status."""

from collections import Counter

import pytest

from privacydesk.mailings import tasks
from privacydesk.mailings.models import Campaign, Delivery
from privacydesk.mailings.tests.helpers import send, status

RECIPIENTS = ["a@example.nl", "b@example.nl", "c@example.nl"]


@pytest.fixture
def campaign(campaign_to, settings):
    settings.MAILINGS_MAX_ATTEMPTS = 3
    return campaign_to(RECIPIENTS)


def assert_b_unknown_and_never_resent(smtp, campaign, report, *, stored=1):
    assert (report["sent"], report["unknown"], report["retried"]) == (2, 1, 0), report
    assert tasks.deliver.call(campaign.pk)["sent"] == 0  # a later run sends nothing again
    received = Counter(smtp.recipients())
    assert [received[address] for address in RECIPIENTS] == [1, stored, 1]
    b = Delivery.objects.get(subscription__email="b@example.nl")
    assert b.state == "unknown" and b.message_id and b.sent_at is None
    assert Campaign.objects.get().state == "sent"
    assert status(campaign)["counts"]["unknown"] == 1


def test_a_connection_dropped_after_the_final_dot_is_unknown_not_sent_again(smtp, campaign):
    smtp.drop_after_data("b@example.nl")  # the server took the message, the reply is lost
    assert_b_unknown_and_never_resent(smtp, campaign, send(campaign))


def test_a_lost_message_after_the_final_dot_is_unknown_too(smtp, campaign):
    smtp.drop_after_data("b@example.nl", store=False)  # the server lost it: nobody can tell
    assert_b_unknown_and_never_resent(smtp, campaign, send(campaign), stored=0)


def test_a_reply_that_times_out_after_the_final_dot_is_unknown(smtp, campaign, settings):
    settings.EMAIL_TIMEOUT = 0.5
    smtp.hold("b@example.nl", stage="data")  # stored, the reply comes too late
    report = send(campaign)
    smtp.release()
    assert_b_unknown_and_never_resent(smtp, campaign, report)


def test_staff_see_unknown_deliveries_with_what_to_do(staff_client, smtp, campaign):
    smtp.drop_after_data("b@example.nl")
    send(campaign)
    message_id = Delivery.objects.get(state="unknown").message_id
    client = staff_client("technician")
    page = client.get(f"/staff/mailings/campaigns/{campaign.pk}/").content.decode()
    assert 'id="mailings-unknown"' in page and "Message-ID" in page
    assert message_id.strip("<>") in page.replace("&lt;", "<").replace("&gt;", ">")
    only = client.get(f"/staff/mailings/campaigns/{campaign.pk}/?state=unknown")
    assert only.status_code == 200
    assert [d.state for d in only.context["page"].object_list] == ["unknown"]
    assert client.get(f"/staff/mailings/campaigns/{campaign.pk}/?state=nonsense").status_code == 200
