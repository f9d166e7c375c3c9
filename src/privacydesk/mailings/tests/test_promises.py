"""P6 on the promise board: checked against the deliveries handed to a real SMTP server, red on
bad data (issue 10)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation

from privacydesk.mailings import promises, render, services, tasks
from privacydesk.mailings.models import Delivery, Subscription, Suppression
from privacydesk.spine.promises import evaluate


@pytest.fixture
def sent(smtp, newsletter, subscribe):
    """A campaign sent over SMTP to two confirmed subscribers; their deliveries."""
    subscribe("anna@example.nl")
    subscribe("bob@example.nl")
    campaign = services.create_campaign(
        "nieuwsbrief", subject="Nieuws", markdown="Hallo", actor="system:test"
    )
    services.queue_campaign(campaign.pk, actor="system:test")
    assert tasks.deliver.call(campaign.pk)["sent"] == 2
    return {d.subscription.email: d for d in Delivery.objects.select_related("subscription")}


def findings() -> dict[str, promises.Finding]:
    with translation.override("en"):
        checks = (
            promises.every_message_carried_its_unsubscribe_link,
            promises.nothing_mailed_to_a_suppressed_address,
            promises.only_confirmed_subscriptions_were_mailed,
        )
        return {fn.__name__: (fn().ok, str(fn().evidence)) for fn in checks}


def p6():
    return next(o for o in evaluate() if o.promise == "P6")


def test_a_sent_campaign_keeps_p6(sent):
    assert all(d.unsubscribe_headers for d in sent.values())
    got = findings()
    assert got["every_message_carried_its_unsubscribe_link"] == (
        True,
        "2 campaign messages handed over, each with its own unsubscribe link and one-click headers",
    )
    assert got["only_confirmed_subscriptions_were_mailed"][0]
    # Unsubscribing after the campaign changes nothing: the message went before.
    anna = Subscription.objects.get(email="anna@example.nl")
    services.unsubscribe("nieuwsbrief", services.unsubscribe_token(anna), how="one-click")
    got = findings()
    assert got["nothing_mailed_to_a_suppressed_address"] == (
        True,
        "1 addresses on the suppression list; no campaign message went to one after it was "
        "put there",
    )
    assert got["only_confirmed_subscriptions_were_mailed"][0]
    outcome = p6()
    assert outcome.status == "ok" and "Telecommunicatiewet" not in outcome.evidence
    assert "adressen op de blokkeerlijst" in outcome.evidence_nl


def test_a_message_without_its_unsubscribe_headers_turns_p6_red(sent):
    delivery = sent["bob@example.nl"]
    Delivery.objects.filter(pk=delivery.pk).update(unsubscribe_headers=False)
    ok, evidence = findings()["every_message_carried_its_unsubscribe_link"]
    assert not ok
    assert evidence == (
        "1 campaign messages were handed over without their unsubscribe link and one-click "
        f"headers (campaigns #{delivery.campaign_id})"
    )
    assert p6().status == "failed"


def test_a_message_after_the_suppression_turns_p6_red(sent):
    services.suppress("BOB@example.nl", reason="objected", actor="system:test")
    bob = sent["bob@example.nl"]
    suppressed_at = Suppression.objects.get().created_at
    # Within the grace of the suppression's own transaction: still kept.
    Delivery.objects.filter(pk=bob.pk).update(claimed_at=suppressed_at + timedelta(seconds=30))
    assert findings()["nothing_mailed_to_a_suppressed_address"][0]
    Delivery.objects.filter(pk=bob.pk).update(claimed_at=suppressed_at + timedelta(hours=1))
    ok, evidence = findings()["nothing_mailed_to_a_suppressed_address"]
    assert not ok and evidence.endswith(f"(deliveries #{bob.pk})")
    assert p6().status == "failed"


def test_a_message_to_an_unconfirmed_subscription_turns_p6_red(sent):
    anna = sent["anna@example.nl"]
    handed = Delivery.objects.get(pk=anna.pk).claimed_at
    # Confirmed after the message went, and no earlier consent: red.
    Subscription.objects.filter(pk=anna.subscription_id).update(
        confirmed_at=handed + timedelta(minutes=5)
    )
    anna.subscription.proofs.update(confirmed_at=handed + timedelta(minutes=5))
    ok, evidence = findings()["only_confirmed_subscriptions_were_mailed"]
    assert not ok and evidence.endswith(f"(deliveries #{anna.pk})")
    # A later, new consent with the earlier proof kept: the message went under the first one.
    anna.subscription.proofs.update(confirmed_at=handed - timedelta(days=1))
    assert findings()["only_confirmed_subscriptions_were_mailed"][0]
    # Never confirmed at all.
    Subscription.objects.filter(pk=anna.subscription_id).update(state="pending", confirmed_at=None)
    anna.subscription.proofs.update(confirmed_at=None)
    assert not findings()["only_confirmed_subscriptions_were_mailed"][0]
    assert p6().status == "failed"


def test_a_message_after_the_subscription_ended_turns_p6_red(sent):
    bob = sent["bob@example.nl"]
    handed = Delivery.objects.get(pk=bob.pk).claimed_at
    Subscription.objects.filter(pk=bob.subscription_id).update(
        state="unsubscribed", unsubscribed_at=handed - timedelta(hours=2)
    )
    ok, evidence = findings()["only_confirmed_subscriptions_were_mailed"]
    assert not ok and f"#{bob.pk}" in evidence


def test_the_worker_sends_no_message_without_its_unsubscribe_headers(
    smtp, newsletter, subscribe, monkeypatch
):
    """A change that drops the headers from the template fails the delivery: nothing sent."""
    subscribe("anna@example.nl")
    smtp.reset()
    build = render.Renderer._build

    def without_headers(self, **kwargs):
        return build(self, **{**kwargs, "unsubscribe": ""})

    monkeypatch.setattr(render.Renderer, "_build", without_headers)
    campaign = services.create_campaign(
        "nieuwsbrief", subject="Nieuws", markdown="Hallo", actor="system:test"
    )
    services.queue_campaign(campaign.pk, actor="system:test")
    report = tasks.deliver.call(campaign.pk)
    assert (report["sent"], report["failed"]) == (0, 1)
    assert smtp.recipients() == []
    assert Delivery.objects.get().state == "failed"
    assert findings()["every_message_carried_its_unsubscribe_link"][0]  # nothing went out


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"List-Unsubscribe: <LINK>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click", True),
        (
            b"list-unsubscribe:\r\n <LINK>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click",
            True,
        ),
        (b"List-Unsubscribe: <LINK>", False),
        (b"List-Unsubscribe-Post: List-Unsubscribe=One-Click", False),
        (
            b"List-Unsubscribe: <https://other/>\r\n"
            b"List-Unsubscribe-Post: List-Unsubscribe=One-Click",
            False,
        ),
        (
            b"List-Unsubscribe: <LINK>\r\nList-Unsubscribe: <LINK>\r\n"
            b"List-Unsubscribe-Post: List-Unsubscribe=One-Click",
            False,
        ),
    ],
)
def test_the_headers_are_read_from_the_bytes_sent(head, expected):
    link = "https://www.example.nl/newsletter/nieuwsbrief/unsubscribe/t/"
    data = (
        b"Subject: x\r\n"
        + head.replace(b"LINK", link.encode())
        + b"\r\n\r\nList-Unsubscribe: <x>\r\n"
    )
    assert render.unsubscribe_headers_in(data, link) is expected
    # In the body only: not a header.
    body = b"Subject: x\r\n\r\n" + head.replace(b"LINK", link.encode())
    assert render.unsubscribe_headers_in(body, link) is False
