import pytest

from privacydesk.mailings import services
from privacydesk.mailings.models import MailingList


@pytest.fixture(autouse=True)
def _mailing_settings(settings):
    settings.SITE_URL = "https://www.example.nl"
    settings.MAILINGS_RATE = 0
    settings.MAILINGS_RETRY_SECONDS = 0


@pytest.fixture
def newsletter(db):
    return MailingList.objects.create(
        slug="nieuwsbrief",
        title_nl="Nieuwsbrief van coMPjoeter",
        title_en="coMPjoeter newsletter",
        reply_to="verkoop@compjoeter.nl",
    )


@pytest.fixture
def subscribe(newsletter):
    """``subscribe("a@example.nl")``: a subscriber confirmed by double opt-in."""

    def make(address: str, *, name: str = "", mailing_list=None, language="nl"):
        slug = (mailing_list or newsletter).slug
        subscription = services.request_signup(
            slug, address, name=name, form_url="https://www.example.nl/newsletter/",
            text_shown="Ja, stuur mij de nieuwsbrief.", text_version="t1",
            ip="192.0.2.77", language=language,
        )  # fmt: skip
        services.confirm(slug, services.confirm_token(subscription), ip="198.51.100.9")
        subscription.refresh_from_db()
        return subscription

    return make


@pytest.fixture(autouse=True)
def _on_commit_at_once(request, monkeypatch):
    """A plain ``db`` test runs in one transaction that is rolled back, never committed: run
    what waits for the commit (confirmation mails, queueing the worker) at once instead."""
    if "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        return
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda fn, using=None, robust=False: fn())


@pytest.fixture
def campaign_to(subscribe, smtp):
    """``campaign_to(addresses)``: a draft newsletter campaign to these addresses, each a
    confirmed subscriber, with the SMTP sink emptied of the confirmation mails."""

    def make(addresses):
        for address in addresses:
            subscribe(address)
        smtp.reset()
        return services.create_campaign(
            "nieuwsbrief", subject="Nieuws", markdown="# Nieuws\n\nTekst.", actor="system:test"
        )

    return make
