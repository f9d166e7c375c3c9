"""Issue 10's "done when", end to end over real SMTP: ``privacydesk demo`` creates the public
list; a visitor subscribes on the public page, confirms through the link in the message the
server received, gets a campaign sent by the worker, and unsubscribes with the RFC 8058
one-click POST to the ``List-Unsubscribe`` address of the message received."""

import json
import re
from io import StringIO

from django.core.management import call_command
from django.test import Client

from privacydesk.jobs.worker import Worker
from privacydesk.mailings import services
from privacydesk.mailings.models import Campaign, MailingList, Subscription

CONFIRM = re.compile(r"https://www\.example\.nl/(?:en/)?newsletter/[\w-]+/confirm/[^\s]+/")


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_demo_creates_the_configured_public_list(db, settings):
    settings.MAILINGS_PUBLIC_LIST = "nieuws-demo"
    output = run("demo")
    assert MailingList.objects.get().slug == "nieuws-demo"
    assert "mailing list nieuws-demo (created)" in output
    assert "mailing list nieuws-demo (exists)" in run("demo")
    assert MailingList.objects.count() == 1


def test_subscribe_confirm_receive_and_unsubscribe_in_one_click(db, smtp, settings, tmp_path):
    run("demo")
    slug = settings.MAILINGS_PUBLIC_LIST
    assert MailingList.objects.filter(slug=slug).exists()

    # Subscribe on the public page (in English).
    visitor = Client(enforce_csrf_checks=False)
    form = visitor.get("/en/newsletter/")
    assert form.status_code == 200 and 'name="email"' in form.content.decode()
    response = visitor.post("/en/newsletter/", {"email": "Demo@Example.nl", "name": "Dee Mo"})
    assert response.status_code == 302
    assert Subscription.objects.get().state == "pending"

    # Confirm through the link in the message the SMTP server received.
    [confirmation] = smtp.messages_to("demo@example.nl")
    link = CONFIRM.search(confirmation.part("plain")).group(0)
    path = link.removeprefix("https://www.example.nl")
    assert visitor.get(path).status_code == 200
    assert Subscription.objects.get().state == "pending"  # a GET (a mail scanner) confirms nothing
    assert visitor.post(path).status_code == 200
    assert Subscription.objects.get().state == "confirmed"

    # A campaign, created and sent with the command line, goes out through the worker.
    smtp.reset()
    markdown = tmp_path / "campaign.md"
    markdown.write_text("# December\n\nNews.\n", encoding="utf-8")
    created = run("mailings", "campaign", "create", "--list", slug, "--subject", "December",
                  "--markdown", str(markdown), "--json")  # fmt: skip
    campaign_id = json.loads(created)["id"]
    assert "queued for 1 recipients" in run("mailings", "campaign", "send", str(campaign_id))
    assert smtp.messages == []  # queued, not sent by the command itself
    Worker(batch=True).run()
    assert Campaign.objects.get(pk=campaign_id).state == "sent"
    [received] = smtp.messages_to("demo@example.nl")
    assert str(received.email["Subject"]) == "December"
    assert received.email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = received.email["List-Unsubscribe"].strip()
    assert unsubscribe.startswith("<https://www.example.nl/en/newsletter/")
    unsubscribe = unsubscribe.strip("<>")

    # The mail client's one-click POST (RFC 8058): no cookie, no CSRF token, no sign-in.
    mail_client = Client(enforce_csrf_checks=True)
    response = mail_client.post(
        unsubscribe.removeprefix("https://www.example.nl"),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert Subscription.objects.get().state == "unsubscribed"
    assert services.is_suppressed("demo@example.nl")

    # The next campaign does not reach the address.
    smtp.reset()
    second = services.create_campaign(slug, subject="January", markdown="# January",
                                      actor="system:test")  # fmt: skip
    assert services.queue_campaign(second.pk, actor="system:test") == 0
    Worker(batch=True).run()
    assert smtp.messages == []
