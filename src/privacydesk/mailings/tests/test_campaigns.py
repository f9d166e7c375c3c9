"""Campaigns over real SMTP (issue 10 items 4, 5): headers, both parts, unsubscribe, refusals."""

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from privacydesk.mailings import delivery, services, tasks
from privacydesk.mailings.models import Campaign, Delivery, Subscription, Suppression

MARKDOWN = """# December

Dear reader, **new**: data recovery from *SSDs*.

- item one
- [our site](https://www.compjoeter.nl)

<script>alert(1)</script> <img src="https://tracker.example/p.gif" onerror="x()">
"""
UNSUB = re.compile(
    r"https://www\.example\.nl/(?:en/)?newsletter/nieuwsbrief/unsubscribe/[^\s>\"]+/"
)


@pytest.fixture
def campaign(newsletter):
    return services.create_campaign(
        "nieuwsbrief", subject="Nieuws in december", markdown=MARKDOWN, actor="system:test"
    )


def send(campaign) -> dict:
    services.queue_campaign(campaign.pk, actor="system:test")
    return tasks.deliver.call(campaign.pk)


def test_every_confirmed_subscriber_gets_one_message_with_the_list_headers(
    smtp, campaign, subscribe, newsletter
):
    subscribe("anna@example.nl", name="Anna de Vries")
    subscribe("bob@example.nl", language="en")
    services.request_signup(
        "nieuwsbrief", "pending@example.nl", form_url="f", text_shown="t", text_version="1",
        ip=None, language="nl",
    )  # fmt: skip
    subscribe("gone@example.nl")
    services.suppress("gone@example.nl", reason="objected", actor="system:test")
    smtp.reset()

    report = send(campaign)
    assert report["sent"] == 2 and report["finished"] == [campaign.pk]
    assert sorted(smtp.recipients()) == ["anna@example.nl", "bob@example.nl"]
    [anna] = smtp.messages_to("anna@example.nl")
    msg = anna.email
    assert str(msg["To"]) == "Anna de Vries <anna@example.nl>"
    assert str(msg["From"]) == "coMPjoeter <verkoop@compjoeter.nl>"
    assert str(msg["Reply-To"]) == "verkoop@compjoeter.nl"
    assert msg["Message-ID"] and msg["Date"]
    assert msg["List-Id"] == '"Nieuwsbrief van coMPjoeter" <nieuwsbrief.compjoeter.nl>'
    link = UNSUB.fullmatch(msg["List-Unsubscribe"].strip().strip("<>"))
    assert link, msg["List-Unsubscribe"]
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html, text = anna.part("html"), anna.part("plain")
    assert "<strong>new</strong>" in html and "<h1>December</h1>" in html
    assert "<script" not in html and "<img" not in html and "onerror" not in html
    for part in (html, text):
        assert "Oude Molenweg 22c" in part and "5425VR De Mortel" in part
        assert link.group(0) in part
    assert "Afmelden met één klik" in text
    [bob] = smtp.messages_to("bob@example.nl")
    assert "Unsubscribe with one click" in bob.part("plain")
    assert "/en/newsletter/" in bob.email["List-Unsubscribe"]
    assert Campaign.objects.get().state == "sent"
    assert services.status_counts(campaign)["sent"] == 2

    # The personal link works: a one-click POST without cookies or CSRF token unsubscribes.
    client = Client(enforce_csrf_checks=True)
    path = link.group(0).removeprefix("https://www.example.nl")
    assert client.get(path).status_code == 200
    assert Subscription.objects.get(email="anna@example.nl").state == "confirmed"
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert Subscription.objects.get(email="anna@example.nl").state == "unsubscribed"
    assert services.is_suppressed("ANNA@example.nl")


def test_sending_twice_queues_nothing_more(smtp, campaign, subscribe):
    subscribe("a@example.nl")
    smtp.reset()
    send(campaign)
    assert services.queue_campaign(campaign.pk, actor="system:test") == 0
    assert tasks.deliver.call(campaign.pk)["sent"] == 0
    assert smtp.recipients() == ["a@example.nl"]


def test_temporary_refusals_are_retried_and_permanent_ones_bounce_and_suppress(
    smtp, campaign, subscribe, settings
):
    for address in ("ok@example.nl", "later@example.nl", "gone@example.nl", "never@example.nl"):
        subscribe(address)
    smtp.reset()
    smtp.refuse("later@example.nl", 451, times=2)
    smtp.refuse("gone@example.nl", 550)
    smtp.refuse("never@example.nl", 452)
    settings.MAILINGS_MAX_ATTEMPTS = 3
    # Back-off is zero in these tests, so one run retries until sent or out of attempts.
    report = send(campaign)
    assert (report["sent"], report["bounced"], report["retried"], report["failed"]) == (2, 1, 4, 1)
    assert services.is_suppressed("gone@example.nl")
    assert not services.is_suppressed("never@example.nl")
    assert Suppression.objects.get().reason == "bounced"
    states = dict(campaign.deliveries.values_list("subscription__email", "state"))
    assert states == {
        "ok@example.nl": "sent",
        "later@example.nl": "sent",
        "gone@example.nl": "bounced",
        "never@example.nl": "failed",
    }
    assert sorted(smtp.recipients()) == ["later@example.nl", "ok@example.nl"]
    assert Campaign.objects.get().state == "sent"


def test_a_retry_waits_for_its_back_off(smtp, campaign, subscribe, settings):
    subscribe("later@example.nl")
    smtp.reset()
    smtp.refuse("later@example.nl", 421, times=1)
    settings.MAILINGS_RETRY_SECONDS = 300
    send(campaign)
    assert tasks.deliver.call(campaign.pk)["sent"] == 0  # not due yet
    d = Delivery.objects.get()
    assert d.state == "queued" and d.attempts == 1 and d.smtp_code == 421


def test_an_address_suppressed_while_queued_is_skipped(smtp, campaign, subscribe):
    subscribe("a@example.nl")
    subscribe("b@example.nl")
    smtp.reset()
    services.queue_campaign(campaign.pk, actor="system:test")
    services.suppress("b@example.nl", reason="objected", actor="system:test")
    tasks.deliver.call(campaign.pk)
    assert smtp.recipients() == ["a@example.nl"]
    assert services.status_counts(campaign)["skipped"] == 1


def test_a_claim_taken_away_before_the_handover_sends_nothing(smtp, campaign, subscribe):
    subscribe("a@example.nl")
    smtp.reset()
    services.queue_campaign(campaign.pk, actor="system:test")
    run = delivery.Run(campaign_id=campaign.pk)
    [claimed] = delivery.claim(run.token, campaign_id=campaign.pk, size=10)
    Delivery.objects.filter(pk=claimed.pk).update(claim_token="someone-else")
    with services.mail.Transport() as transport:
        run.transport = transport
        run.send_one(claimed)
    assert smtp.messages == []


def test_soft_opt_in_for_customers(smtp, campaign, newsletter):
    services.suppress("objected@example.nl", reason="objected", actor="system:test")
    assert (
        services.add_soft_opt_in(
            "nieuwsbrief", "objected@example.nl", source="crm:contact 1", actor="system:test"
        )
        is None
    )
    sub = services.add_soft_opt_in(
        "nieuwsbrief", "Klant@Example.nl", name="Klant", source="crm:invoice 7", actor="user:1"
    )
    assert (sub.state, sub.basis, sub.email) == ("confirmed", "soft_opt_in", "klant@example.nl")
    assert sub.proofs.get().source == "crm:invoice 7"
    assert (
        services.add_soft_opt_in("nieuwsbrief", "klant@example.nl", source="again", actor="user:1")
        == sub
    )
    assert [s.pk for s in services.subscriptions_for("KLANT@example.nl")] == [sub.pk]
    send(campaign)
    [message] = smtp.messages
    assert "als klant van coMPjoeter" in message.part("plain")
    assert message.email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with pytest.raises(services.MailingError):
        services.add_soft_opt_in("nieuwsbrief", "x@example.nl", source=" ", actor="user:1")


def test_the_command_line_contract(smtp, subscribe, newsletter, tmp_path):
    subscribe("a@example.nl")
    services.add_soft_opt_in("nieuwsbrief", "k@example.nl", source="crm", actor="system:test")
    smtp.reset()
    md = tmp_path / "c.md"
    md.write_bytes("\ufeff# Hallo\n\nTekst met é.\n".encode())

    def run(*args) -> str:
        out = StringIO()
        call_command("mailings", *args, stdout=out)
        return out.getvalue()

    created = json.loads(run("campaign", "create", "--list", "nieuwsbrief", "--subject",
                             "Hallo", "--markdown", str(md), "--json"))  # fmt: skip
    campaign_id = created["id"]
    assert Campaign.objects.get(pk=campaign_id).markdown.startswith("# Hallo")
    run("campaign", "send", str(campaign_id), "--test", "test@example.nl")
    [test] = smtp.messages
    assert str(test.email["Subject"]) == "[TEST] Hallo" and test.rcpt_tos == ["test@example.nl"]
    assert "queued for 2 recipients" in run("campaign", "send", str(campaign_id))
    status = json.loads(run("campaign", "status", str(campaign_id), "--json"))
    assert status["counts"]["queued"] == 2
    tasks.deliver.call(campaign_id)
    status = json.loads(run("campaign", "status", str(campaign_id), "--json"))
    assert status["state"] == "sent" and status["counts"]["sent"] == 2
    listed = json.loads(run("subscribers", "--list", "nieuwsbrief", "--json"))
    assert [(r["address"], r["state"], r["basis"]) for r in listed] == [
        ("a@example.nl", "confirmed", "consent"), ("k@example.nl", "confirmed", "soft_opt_in"),
    ]  # fmt: skip
    assert all(r["confirmed_at"] for r in listed)
    with pytest.raises(CommandError, match="not a draft"):
        run("campaign", "send", str(campaign_id))
    with pytest.raises(CommandError, match="no mailing list"):
        run("subscribers", "--list", "nope")
    bad = tmp_path / "latin1.md"
    bad.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8"):
        run("campaign", "create", "--list", "nieuwsbrief", "--subject", "x", "--markdown", bad)
    with pytest.raises(CommandError, match="line break"):
        run("campaign", "create", "--list", "nieuwsbrief", "--subject", "a\nb", "--markdown", md)


def test_unsubscribe_link_works_after_the_subscription_was_erased(smtp, subscribe, newsletter):
    from privacydesk.policy import plans
    from privacydesk.spine.registry import Subject

    sub = subscribe("erase-me@example.nl")
    path = services.unsubscribe_url(sub).removeprefix("https://www.example.nl")
    plans.run("erase", [Subject("email", "erase-me@example.nl")], key="t-1", actor="system:test")
    assert not Subscription.objects.filter(email="erase-me@example.nl").exists()
    assert Client().post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert services.is_suppressed("erase-me@example.nl")


def test_suppression_survives_erasure_and_key_rotation(settings, smtp, subscribe, newsletter):
    import base64
    import os

    from privacydesk.policy import plans
    from privacydesk.spine.registry import Subject

    subscribe("objector@example.nl")
    services.suppress("objector@example.nl", reason="objected", actor="system:test")
    run = plans.run("erase", [Subject("email", "objector@example.nl")], key="t-2",
                    actor="system:test")  # fmt: skip
    assert not Subscription.objects.filter(email="objector@example.nl").exists()
    kept = [s for s in run.plan.steps.all() if s.source == "mailings.Suppression"]
    assert kept and kept[0].status == "kept"
    new_key = base64.b64encode(os.urandom(32))
    settings.PSEUDONYM_KEYS = (base64.b64decode(new_key), *settings.PSEUDONYM_KEYS)
    assert services.is_suppressed("objector@example.nl")
    smtp.reset()
    Client().post("/newsletter/", {"email": "objector@example.nl"})
    assert smtp.messages == []  # the signup answered as always, and mailed nothing
    assert not Subscription.objects.filter(email="objector@example.nl").exists()
    assert Suppression.objects.count() == 1
    assert "objector" not in Suppression.objects.get().ref


def test_without_email_url_a_campaign_goes_to_the_outbox(settings, subscribe, campaign):
    """Embedded mode: the demo's subscriber confirms from the outbox and gets the campaign."""
    import email
    import email.policy

    settings.EMAIL_BACKEND = "privacydesk.backoffice.outbox.OutboxBackend"
    subscribe("demo@example.nl")
    send(campaign)
    messages = {
        str(m["Subject"]): m
        for m in (
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in settings.OUTBOX_DIR.iterdir()
        )
    }
    assert set(messages) == {
        "Bevestig uw aanmelding voor Nieuwsbrief van coMPjoeter", "Nieuws in december",
    }  # fmt: skip
    campaign_message = messages["Nieuws in december"]
    assert UNSUB.fullmatch(campaign_message["List-Unsubscribe"].strip().strip("<>"))
    assert campaign_message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert services.status_counts(campaign)["sent"] == 1


def test_the_text_part_is_rendered_from_the_same_template_as_the_html(smtp, campaign, subscribe):
    """One template: the plain-text part is the rendered HTML body as text (identity, postal
    address and unsubscribe link in both parts), never the raw Markdown."""
    from privacydesk.mailings import render

    subscribe("anna@example.nl")
    subscribe("bob@example.nl", language="en")
    smtp.reset()
    send(campaign)
    for address, unsubscribe in (
        ("anna@example.nl", "Afmelden met één klik"),
        ("bob@example.nl", "Unsubscribe with one click"),
    ):
        [received] = smtp.messages_to(address)
        html, text = received.part("html"), received.part("plain").replace("\r\n", "\n")
        link = UNSUB.fullmatch(received.email["List-Unsubscribe"].strip().strip("<>")).group(0)
        for part in (html, text):
            assert "coMPjoeter" in part and "verkoop@compjoeter.nl" in part
            assert "Oude Molenweg 22c" in part and "5425VR De Mortel" in part
            assert link in part and unsubscribe in part
        assert f"{unsubscribe} <{link}>" in text
        # Rendered, not the Markdown source: no markup, and what nh3 removed is gone here too.
        assert "December\n========" in text and "new: data recovery from SSDs." in text
        assert "- our site <https://www.compjoeter.nl>" in text
        for source in ("# December", "**new**", "*SSDs*", "[our site]", "<script", "onerror"):
            assert source not in text
    # The text part is exactly the HTML body as text: a change to the template shows in both.
    text, html = render.preview(campaign, "nl")
    body = html.split("<body>", 1)[1].rsplit("</body>", 1)[0]
    assert text == render.html_to_text(body)
    # Prepared once per language and basis (each recipient only gets their marks replaced).
    assert render.Renderer(campaign).prepared("nl", "consent") is not None
