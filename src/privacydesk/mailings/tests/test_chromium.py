"""The newsletter's pages in Chromium (privacydesk.testing.browser), nl and en, 1280 and 390 px:
signup, check-your-inbox, confirmation, unsubscribe, an invalid link; the staff pages."""

import pytest

from privacydesk.mailings import services
from privacydesk.mailings.models import MailingList, Subscription
from privacydesk.testing import make_staff
from privacydesk.testing.browser import LANGUAGES, staff_session

pytestmark = pytest.mark.browser


@pytest.fixture
def public_list(transactional_db):
    return MailingList.objects.create(
        slug="nieuwsbrief",
        title_nl="Nieuwsbrief van coMPjoeter",
        title_en="coMPjoeter newsletter",
        reply_to="verkoop@compjoeter.nl",
    )


def prefix(lang: str) -> str:
    return "" if lang == "nl" else "/en"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_public_signup_confirm_and_unsubscribe(pages, public_list, lang):
    tab = pages.open(lang)
    tab.check_with_axe(f"{prefix(lang)}/newsletter/", "newsletter-signup")
    tab.refuse_cookies()
    tab.page.fill("#id_email", "x" * 300)
    tab.page.click("main form [type=submit]")
    tab.page.wait_for_load_state("load")
    assert tab.document_status == 400
    tab.check_here("newsletter-signup-error")
    tab.page.fill("#id_email", f"lezer-{lang}@example.nl")
    tab.page.fill("#id_name", "Lezer")
    tab.page.click("main form [type=submit]")
    tab.page.wait_for_load_state("load")
    assert tab.document_status == 200
    tab.check_here("newsletter-sent")

    subscription = Subscription.objects.get(email=f"lezer-{lang}@example.nl")
    confirm = services.confirm_url(subscription).removeprefix("https://www.example.nl")
    tab.check_with_axe(confirm, "newsletter-confirm")
    tab.page.click("main form [type=submit]")
    tab.page.wait_for_load_state("load")
    tab.check_here("newsletter-confirmed")
    subscription.refresh_from_db()
    assert subscription.state == "confirmed"

    unsubscribe = services.unsubscribe_url(subscription).removeprefix("https://www.example.nl")
    tab.check_with_axe(unsubscribe, "newsletter-unsubscribe")
    tab.page.click("main form [type=submit]")
    tab.page.wait_for_load_state("load")
    tab.check_here("newsletter-unsubscribed")
    assert services.is_suppressed(f"lezer-{lang}@example.nl")
    tab.check(f"{prefix(lang)}/newsletter/nieuwsbrief/confirm/nonsense/", "newsletter-invalid",
              status=400)  # fmt: skip


@pytest.mark.parametrize("lang", LANGUAGES)
def test_staff_newsletter_pages(pages, public_list, lang):
    sales = make_staff("sales")
    for n in range(3):
        services.add_soft_opt_in("nieuwsbrief", f"klant{n}@example.nl", name=f"Klant {n}",
                                 source="crm:invoice", actor="system:test")  # fmt: skip
    services.suppress("weg@example.nl", reason="objected", actor="system:test")
    campaign = services.create_campaign(
        "nieuwsbrief", subject="Nieuws in december",
        markdown="# December\n\nNieuw: **dataherstel** van SSD's.\n\n- een\n- twee\n",
        actor="system:test",
    )  # fmt: skip
    tab = pages.open(lang, session_cookie=staff_session(sales))
    tab.check("/staff/mailings/", "mailings-overview")
    tab.check("/staff/mailings/lists/nieuwsbrief/", "mailings-subscribers")
    tab.check("/staff/mailings/campaigns/new/", "mailings-campaign-new")
    tab.check(f"/staff/mailings/campaigns/{campaign.pk}/", "mailings-campaign")
    tab.check("/staff/mailings/suppression/", "mailings-suppression")
