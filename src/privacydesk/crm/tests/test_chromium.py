"""The CRM's staff pages in Chromium (privacydesk.testing.browser): contact search, contact
page with its newsletter section (customer, lead, suppressed address), edit form, merge pages,
organisations, import page and import report; Dutch and English, 1280 and 390 px."""

from __future__ import annotations

from datetime import date

import pytest

from privacydesk.crm import services
from privacydesk.crm.tests.support import ACTOR, contact, invoice, organisation
from privacydesk.mailings import services as mailings
from privacydesk.mailings.models import MailingList, Subscription
from privacydesk.testing import make_staff
from privacydesk.testing.browser import LANGUAGES, staff_session

pytestmark = pytest.mark.browser

CSV = (
    "naam;e-mail;telefoon;functie;organisatie;nieuwsbrief\n"
    "Karin Smit;karin@gemeente-zandvoort.example;023 555 0199;Beleidsmedewerker ICT;"
    "Gemeente Zandvoort;ja\n"
    "Zonder adres;;;;;\n"
    "<script>alert(1)</script>;script@example.nl;;;;\n"
    "Onbekend;onbekend@example.nl;;;Nergens B.V.;nee\n"
    "Dubbel;KARIN@gemeente-zandvoort.example;;;;\n"
    "Anouk van Dijk;anouk@bakkerij-vandijk.example;;;;ja\n"
).encode("cp1252")


@pytest.fixture
def crm(transactional_db, settings):
    """A salesperson and a few CRM records; ``(sales, jan, duplicate)``."""
    MailingList.objects.create(
        slug=settings.MAILINGS_PUBLIC_LIST,
        title_nl="Nieuwsbrief van coMPjoeter",
        title_en="coMPjoeter newsletter",
    )
    sales = make_staff("sales")
    acme = organisation("Bakkerij Van Dijk B.V.", kvk_number="12345678")
    organisation("Gemeente Zandvoort", kind="government")
    jan = contact(
        "Anouk van Dijk",
        "anouk@bakkerij-vandijk.example",
        phone="023 555 0101",
        function="Eigenaar en bedrijfsleider",
        organisation=acme,
    )
    services.add_interaction(
        jan,
        {
            "kind": "call",
            "date": date(2026, 11, 20),
            "text": "Server maakt lawaai; offerte gevraagd voor een nieuwe NAS met back-up "
            "naar een tweede locatie en een onderhoudscontract.",
        },
        staff_member=sales,
        actor=ACTOR,
    )
    invoice(jan, "2026-0042", date(2026, 11, 25), excl="1250.00", vat="262.50", paid=True)
    duplicate = contact("A. van Dijk", "a.vandijk@bakkerij-vandijk.example", organisation=acme)
    return sales, jan, duplicate


@pytest.mark.parametrize("lang", LANGUAGES)
def test_contact_pages(pages, crm, lang):
    sales, jan, duplicate = crm
    tab = pages.open(lang, session_cookie=staff_session(sales))
    tab.check("/staff/crm/contacts/", "crm-contacts")
    tab.check("/staff/crm/contacts/?q=van+dijk", "crm-contacts-search")
    assert tab.page.locator("#crm-contacts tbody tr").count() == 2
    tab.check(f"/staff/crm/contacts/{jan.pk}/", "crm-contact")
    tab.page.click("#crm-invoice-add summary")
    tab.check_here("crm-contact-invoice-form")
    tab.page.click("#crm-newsletter-add [type=submit]")
    tab.page.wait_for_load_state("load")
    assert tab.document_status == 200
    assert tab.page.locator("#crm-subscriptions tbody tr").count() == 1
    assert tab.page.locator("#crm-newsletter-add").count() == 0
    tab.check_here("crm-contact-newsletter-added")
    assert Subscription.objects.get().basis == "soft_opt_in"
    tab.check(f"/staff/crm/contacts/{duplicate.pk}/", "crm-contact-lead")
    assert tab.page.locator("#crm-newsletter-lead a").count() == 1
    stopped = contact("Sam Stop", "sam@elders.example")
    invoice(stopped, "2026-0050", date(2026, 12, 1), paid=True)
    mailings.suppress(stopped.email, reason="unsubscribed", actor=ACTOR)
    tab.check(f"/staff/crm/contacts/{stopped.pk}/", "crm-contact-suppressed")
    assert tab.page.locator("#crm-newsletter-suppressed").count() == 1
    assert tab.page.locator("#crm-newsletter-add").count() == 0
    tab.check(f"/staff/crm/contacts/{jan.pk}/edit/", "crm-contact-edit")
    tab.page.fill("#id_email", "a" * 300 + "@example.nl")
    tab.page.fill("#id_name", "Anouk <b>")
    tab.page.click("#crm-contact-form [type=submit]")
    tab.page.wait_for_load_state("load")
    assert tab.document_status == 400
    assert tab.page.locator(".errorlist").count() == 2
    tab.problems.responses.clear()  # the 400 is the answer being checked
    tab.check_here("crm-contact-edit-errors")
    tab.check(f"/staff/crm/contacts/{jan.pk}/merge/", "crm-merge")
    assert tab.page.locator("#crm-merge-candidates tbody tr").count() == 1  # the duplicate
    tab.check(f"/staff/crm/contacts/{jan.pk}/merge/?duplicate={duplicate.pk}", "crm-merge-compare")
    tab.check("/staff/crm/organisations/", "crm-organisations")
    tab.check(f"/staff/crm/organisations/{jan.organisation_id}/edit/", "crm-organisation-edit")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_import_page_and_report(pages, crm, lang, tmp_path):
    sales, _jan, _duplicate = crm
    tab = pages.open(lang, session_cookie=staff_session(sales))
    tab.check("/staff/crm/import/", "crm-import")
    upload = tmp_path / "contacten.csv"
    upload.write_bytes(CSV)
    tab.page.set_input_files("#id_file", str(upload))
    tab.page.click("#crm-import-upload [type=submit]")
    tab.page.wait_for_load_state("load")
    assert tab.document_status == 200
    assert tab.page.locator("#crm-import-rows tbody tr").count() == 6
    assert tab.page.locator("#crm-import-rows .crm-rejected").count() == 4
    assert tab.page.locator("#crm-import-rows .crm-note").count() == 1  # Karin: not a customer
    assert tab.page.locator("#crm-import-subscribed").count() == 1  # Anouk: a customer
    tab.check_here("crm-import-report")
    upload.write_bytes(b"")
    tab.page.set_input_files("#id_file", str(upload))
    tab.page.click("#crm-import-upload [type=submit]")
    tab.page.wait_for_load_state("load")
    assert tab.document_status == 400
    tab.problems.responses.clear()
    assert tab.page.locator("#crm-import-error").count() == 1
    tab.check_here("crm-import-error")
