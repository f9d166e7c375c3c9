"""The worker's pace and connection, and unsubscribe links that are not this list's own
(issue 10 items 4, 5), measured on the real SMTP server."""

import itertools

import pytest
from django.test import Client

from privacydesk.audit.models import AuditEntry
from privacydesk.mailings import services
from privacydesk.mailings.models import MailingList, Subscription, Suppression
from privacydesk.mailings.tests.helpers import send

RECIPIENTS = [f"r{n}@example.nl" for n in range(1, 7)]


@pytest.fixture
def campaign(campaign_to):
    return campaign_to(RECIPIENTS)


def test_the_rate_limit_spaces_the_messages_out(smtp, campaign, settings):
    settings.MAILINGS_RATE = 10  # one message every 100 ms
    assert send(campaign)["sent"] == len(RECIPIENTS)
    times = [m.at for m in smtp.messages]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # One per 100 ms, paced by slots: a message held up (the machine busy) lets the next one
    # go at its own slot, so single gaps vary, but no message arrives before its slot. The
    # first message's own way to the server is slower (first statements, first SMTP
    # commands) and may use up its slot, so the second can follow at once: the slots are
    # counted from the second.
    for k, at in enumerate(times[1:]):
        assert at - times[1] >= 0.1 * k - 0.03, gaps
    assert times[-1] - times[1] >= 0.1 * (len(RECIPIENTS) - 2) * 0.95, gaps


def test_without_a_rate_limit_the_messages_are_not_spaced(smtp, campaign, settings):
    settings.MAILINGS_RATE = 0
    send(campaign)
    times = [m.at for m in smtp.messages]
    assert times[-1] - times[0] < 0.05 * (len(RECIPIENTS) - 1)


def test_one_connection_serves_the_whole_run(smtp, campaign):
    smtp.refuse("r2@example.nl", 550)  # a refusal and RSET keep the connection too
    smtp.refuse("r4@example.nl", 451, times=1)
    report = send(campaign)
    assert (report["sent"], report["bounced"]) == (5, 1)
    assert smtp.connections == 1


@pytest.fixture
def two_lists(newsletter, subscribe):
    offers = MailingList.objects.create(slug="acties", title_nl="Acties", title_en="Offers")
    ours = subscribe("lezer@example.nl")
    theirs = subscribe("lezer@example.nl", mailing_list=offers)
    return ours, theirs


def assert_refused(response) -> None:
    assert response.status_code == 400
    assert "This link does not work" in response.content.decode() or (
        "Deze link werkt niet" in response.content.decode()
    )


def assert_nothing_changed() -> None:
    assert set(Subscription.objects.values_list("state", flat=True)) == {"confirmed"}
    assert not Suppression.objects.exists()
    assert not AuditEntry.objects.filter(action="mailings.unsubscribed").exists()


def test_an_unsubscribe_link_of_another_list_is_refused(two_lists):
    ours, theirs = two_lists
    client = Client(enforce_csrf_checks=True)
    token = services.unsubscribe_token(theirs)
    path = f"/newsletter/{ours.mailing_list.slug}/unsubscribe/{token}/"
    assert_refused(client.get(path))
    assert_refused(client.post(path, {"List-Unsubscribe": "One-Click"}))
    assert_nothing_changed()
    # The link of the right list works.
    right = services.unsubscribe_url(theirs).removeprefix("https://www.example.nl")
    assert client.post(right, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert Subscription.objects.get(pk=theirs.pk).state == "unsubscribed"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # the signature
        lambda t: t.replace(t.split(".", 1)[0], str(int(t.split(".", 1)[0]) + 1), 1),  # the id
        lambda t: t.split(":", 1)[0],  # no signature
        lambda t: "x" * 2000,
        lambda t: "%FF%FE",
    ],
    ids=["signature", "subscription", "unsigned", "long", "bytes"],
)
def test_a_tampered_unsubscribe_link_is_refused(two_lists, tamper):
    ours, _theirs = two_lists
    client = Client(enforce_csrf_checks=True)
    path = f"/newsletter/nieuwsbrief/unsubscribe/{tamper(services.unsubscribe_token(ours))}/"
    assert_refused(client.get(path))
    assert_refused(client.post(path, {"List-Unsubscribe": "One-Click"}))
    assert_refused(client.get(path, HTTP_ACCEPT_LANGUAGE="en"))
    assert_nothing_changed()
