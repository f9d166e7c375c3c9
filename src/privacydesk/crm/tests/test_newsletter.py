"""The CRM meets the newsletter: subscriptions on the contact page, the soft opt-in of paying
customers from the page and from an import's newsletter column (issue 10)."""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from privacydesk.audit.models import AuditEntry
from privacydesk.crm import importer, newsletter
from privacydesk.crm.models import Contact
from privacydesk.crm.tests.support import contact, invoice
from privacydesk.mailings import services as mailings
from privacydesk.mailings.models import ConsentProof, MailingList, Subscription

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def public_list(db, settings):
    settings.SITE_URL = "https://www.example.nl"
    return MailingList.objects.create(
        slug=settings.MAILINGS_PUBLIC_LIST,
        title_nl="Nieuwsbrief van coMPjoeter",
        title_en="coMPjoeter newsletter",
    )


@pytest.fixture
def customer(public_list):
    jan = contact("Jan de Boer", "jan@acme.example")
    invoice(jan, "2026-042", paid=True)
    return jan


def page(client, person, **headers) -> str:
    response = client.get(f"/staff/crm/contacts/{person.pk}/", **headers)
    assert response.status_code == 200
    return response.content.decode()


def add(client, person, **headers):
    return client.post(f"/staff/crm/contacts/{person.pk}/newsletter/", follow=True, **headers)


# -- the contact page ------------------------------------------------------------------------
def test_a_customer_is_added_under_the_soft_opt_in_from_the_contact_page(customer, staff_client):
    client = staff_client("sales")
    shown = page(client, customer, **EN)
    assert 'id="crm-newsletter"' in shown and "No subscriptions." in shown
    assert "Add to newsletter (soft opt-in)" in shown and "invoice 2026-042" in shown
    after = add(client, customer, **EN).content.decode()
    assert "Added to the newsletter under the soft opt-in" in after
    subscription = Subscription.objects.get()
    assert (subscription.email, subscription.state, subscription.basis) == (
        "jan@acme.example", "confirmed", "soft_opt_in",
    )  # fmt: skip
    assert subscription.name == "Jan de Boer" and subscription.confirmed_at
    proof = ConsentProof.objects.get()
    assert proof.source == f"crm contact {customer.pk} invoice 2026-042"
    assert AuditEntry.objects.filter(
        action="mailings.soft_opt_in", actor=f"user:{client.user.pk}"
    ).exists()
    # The page lists it (list, state, basis, confirmed) and offers no second opt-in.
    assert "coMPjoeter newsletter" in after and "soft opt-in (existing customer)" in after
    assert "Add to newsletter (soft opt-in)" not in after
    viewed = AuditEntry.objects.filter(action="crm.contact.viewed").latest("id")
    assert viewed.detail["subscriptions"] == 1
    assert "jan@acme.example" not in json.dumps(viewed.detail)
    dutch = page(client, customer)
    assert "Nieuwsbrief van coMPjoeter" in dutch and "soft opt-in (bestaande klant)" in dutch
    # A second POST changes nothing.
    assert "already gets the newsletter" in add(client, customer, **EN).content.decode()
    assert (Subscription.objects.count(), ConsentProof.objects.count()) == (1, 1)


def test_a_lead_is_not_added_and_is_pointed_to_the_signup_form(public_list, staff_client):
    lead = contact("Lia Lead", "lia@elders.example")
    client = staff_client("admin")
    shown = page(client, lead, **EN)
    assert "Add to newsletter" not in shown
    assert "this contact has no paid invoice, so is not a paying customer" in shown
    assert "https://www.example.nl/en/newsletter/" in shown
    assert "https://www.example.nl/newsletter/" in page(client, lead)
    answer = add(client, lead, **EN).content.decode()
    assert "Not added: the contact has no paid invoice" in answer
    assert not Subscription.objects.exists()


def test_a_suppressed_address_shows_on_the_suppression_list_and_no_button(customer, staff_client):
    mailings.suppress("JAN@acme.example", reason="unsubscribed", actor="anonymous")
    client = staff_client("sales")
    dutch = page(client, customer)
    assert "Op de afmeldlijst" in dutch
    assert "Aanmelden voor de nieuwsbrief (soft opt-in)" not in dutch
    assert "On the suppression list" in page(client, customer, **EN)
    answer = add(client, customer, **EN).content.decode()
    assert "Not added: the address is on the suppression list" in answer
    assert not Subscription.objects.exists()


def test_an_unsubscribed_address_is_not_added_again(customer, staff_client):
    """Unsubscribed without suppression (a consent withdrawn some other way): still never
    re-added by the CRM."""
    client = staff_client("sales")
    add(client, customer)
    Subscription.objects.update(state="unsubscribed")
    answer = add(client, customer, **EN).content.decode()
    assert "Not added: this address unsubscribed" in answer
    assert Subscription.objects.get().state == "unsubscribed"


@pytest.mark.parametrize("role", ["technician", "privacy_officer"])
def test_readers_see_subscriptions_but_cannot_add(customer, staff_client, role):
    client = staff_client(role)
    shown = page(client, customer, **EN)
    assert 'id="crm-subscriptions"' in shown and "Add to newsletter" not in shown
    assert add(client, customer).status_code == 403
    assert not Subscription.objects.exists()


def test_without_the_public_list_the_page_says_so(db, staff_client):
    jan = contact("Jan de Boer", "jan@acme.example")
    invoice(jan, "2026-042", paid=True)
    client = staff_client("sales")
    assert "does not exist yet" in page(client, jan, **EN)
    assert "the newsletter list does not exist yet" in add(client, jan, **EN).content.decode()


def test_without_the_newsletter_app_the_page_has_no_section(customer, staff_client, monkeypatch):
    monkeypatch.setattr(newsletter, "available", lambda: False)
    client = staff_client("sales")
    assert 'id="crm-newsletter"' not in page(client, customer)
    assert add(client, customer).status_code == 404


# -- the import --------------------------------------------------------------------------------
def run(text: str) -> importer.Report:
    with translation.override("en"):
        return importer.run(text.encode(), actor="system:test", source="test")


FILE = (
    "naam;e-mail;nieuwsbrief\n"
    "Jan de Boer;jan@acme.example;ja\n"  # a customer: soft opt-in
    "Lia Lead;lia@elders.example;JA\n"  # no invoice: a note
    "Sam Stop;sam@acme.example;yes\n"  # a customer on the suppression list: a note
    "Nina Nee;nina@acme.example;nee\n"  # a customer who is not to be added
    "Leeg;leeg@acme.example;\n"
    "Stop Lead;stop@elders.example;1\n"  # a lead on the suppression list: that note
)


def test_the_newsletter_column_subscribes_customers_and_notes_the_others(customer):
    sam = contact("Sam Stop", "sam@acme.example")
    invoice(sam, "2026-043", paid=True)
    invoice(contact("Nina Nee", "nina@acme.example"), "2026-044", paid=True)
    mailings.suppress("sam@acme.example", reason="objected", actor="anonymous")
    mailings.suppress("stop@elders.example", reason="unsubscribed", actor="anonymous")
    report = run(FILE)
    assert report.as_json() == {
        "imported": 3,
        "unchanged": 3,
        "rejected": [],
        "notes": [
            {"row": 3, "note": "not a customer: needs their own consent"},
            {"row": 4, "note": "on the suppression list, not subscribed"},
            {"row": 7, "note": "on the suppression list, not subscribed"},
        ],
    }
    assert report.subscribed == 1 and report.exit_status == 0
    assert (
        Contact.objects.filter(email__in=["lia@elders.example", "leeg@acme.example"]).count() == 2
    )
    subscription = Subscription.objects.get()
    assert (subscription.email, subscription.basis) == ("jan@acme.example", "soft_opt_in")
    assert ConsentProof.objects.get().source == (
        f"crm import row 2 contact {customer.pk} invoice 2026-042"
    )
    entry = AuditEntry.objects.filter(action="crm.contacts.imported").latest("id")
    assert (entry.detail["subscribed"], entry.detail["not_subscribed"]) == (1, 3)

    # Importing the same file again changes nothing: no second subscription, proof or audit
    # entry of a soft opt-in; the suppressed address is still on no list.
    before = (
        ConsentProof.objects.count(),
        AuditEntry.objects.filter(action="mailings.soft_opt_in").count(),
    )
    again = run(FILE)
    assert again.as_json()["imported"] == 0 and again.subscribed == 0
    assert [n["row"] for n in again.as_json()["notes"]] == [3, 4, 7]
    assert list(Subscription.objects.values_list("email", flat=True)) == ["jan@acme.example"]
    assert before == (
        ConsentProof.objects.count(),
        AuditEntry.objects.filter(action="mailings.soft_opt_in").count(),
    )
    assert not Subscription.objects.filter(
        email__in=["sam@acme.example", "stop@elders.example"]
    ).exists()


def test_an_unsubscribed_customer_is_never_added_again_by_an_import(customer):
    run("name;email;newsletter\nJan de Boer;jan@acme.example;1\n")
    token = mailings.unsubscribe_token(Subscription.objects.get())
    mailings.unsubscribe(newsletter.public_list_slug(), token, how="one-click")
    report = run("name;email;newsletter\nJan de Boer;jan@acme.example;1\n")
    assert report.as_json()["notes"] == [
        {"row": 2, "note": "on the suppression list, not subscribed"}
    ]
    assert list(Subscription.objects.values_list("state", flat=True)) == ["unsubscribed"]


def test_a_new_contact_with_an_invoice_under_its_address_is_a_customer(public_list):
    """The invoice outlives an erased contact (fiscal record): the same address imported
    again is the same customer."""
    old = contact("Jan de Boer", "jan@acme.example")
    invoice(old, "2025-001", paid=True)
    old.delete()
    report = run("name;email;newsletter\nJan de Boer;JAN@acme.example;ja\n")
    assert (report.imported, report.subscribed, report.notes) == (1, 1, [])
    jan = Contact.objects.get()
    assert (
        ConsentProof.objects.get().source == f"crm import row 2 contact {jan.pk} invoice 2025-001"
    )


def test_bad_newsletter_values_reject_the_row_naming_it(customer):
    report = run(
        "name;email;newsletter\n"
        "Jan de Boer;jan@acme.example;misschien\n"
        "Eva;eva@acme.example;jaa\n"
        "Piet;piet@acme.example;no\n"
    )
    assert report.as_json()["rejected"] == [
        {
            "row": 2,
            "reason": "newsletter: “misschien” is not one of ja, nee, yes, no, 1, 0 (or empty).",
        },
        {"row": 3, "reason": "newsletter: “jaa” is not one of ja, nee, yes, no, 1, 0 (or empty)."},
    ]
    assert report.imported == 1 and report.exit_status == 1
    assert not Subscription.objects.exists()
    assert not Contact.objects.filter(email="eva@acme.example").exists()


def test_a_yes_without_the_public_list_makes_the_file_unusable(db):
    with translation.override("en"), pytest.raises(importer.Unusable, match="does not exist"):
        importer.run(b"name;email;newsletter\nJan;jan@acme.example;ja\n", actor="t", source="t")
    assert not Contact.objects.exists()
    # A column that asks nobody to be added needs no list.
    assert run("name;email;newsletter\nJan;jan@acme.example;nee\n").imported == 1


def test_without_the_newsletter_app_a_newsletter_column_is_refused(db, monkeypatch):
    monkeypatch.setattr(newsletter, "available", lambda: False)
    with (
        translation.override("en"),
        pytest.raises(importer.Unusable, match="newsletter app is not installed"),
    ):
        importer.run(b"name;email;newsletter\nJan;jan@acme.example;ja\n", actor="t", source="t")
    assert not Contact.objects.exists()


def test_the_command_and_the_page_report_the_notes(customer, tmp_path, staff_client, capsys):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    path = tmp_path / "contacten.csv"
    path.write_text(FILE, encoding="utf-8")
    call_command("crm", "import", str(path))
    out = capsys.readouterr().out
    assert "added to the newsletter (soft opt-in): 1" in out
    assert "row 3 (imported, note): not a customer: needs their own consent" in out
    call_command("crm", "import", str(path), "--json")
    assert json.loads(capsys.readouterr().out)["notes"][0] == {
        "row": 3,
        "note": "not a customer: needs their own consent",
    }
    client = staff_client("sales")
    Subscription.objects.all().delete()
    response = client.post(
        "/staff/crm/import/", {"file": SimpleUploadedFile("c.csv", FILE.encode())}
    )
    shown = response.content.decode()
    assert response.status_code == 200
    assert "Aangemeld voor de nieuwsbrief (soft opt-in): 1 klant." in shown
    assert "geen klant: heeft eigen toestemming nodig" in shown


def test_a_contact_whose_invoices_are_all_unpaid_is_not_a_paying_customer(
    public_list, staff_client
):
    """The soft opt-in rests on a sale: unpaid invoices only do not make a paying customer,
    neither on the contact page nor in an import."""
    unpaid = contact("Olga Open", "olga@acme.example")
    invoice(unpaid, "2026-060")
    invoice(unpaid, "2026-061", paid=False)
    assert newsletter.customer_invoices([unpaid]) == {}
    client = staff_client("sales")
    shown = page(client, unpaid, **EN)
    assert "Add to newsletter (soft opt-in)" not in shown
    assert "this contact has no paid invoice" in shown
    assert (
        "Not added: the contact has no paid invoice" in add(client, unpaid, **EN).content.decode()
    )
    report = run("name;email;newsletter\nOlga Open;olga@acme.example;ja\n")
    assert report.subscribed == 0
    assert report.as_json()["notes"] == [
        {"row": 2, "note": "not a customer: needs their own consent"}
    ]
    assert not Subscription.objects.exists()

    # Once an invoice is paid, the contact is a customer, and the proof names that invoice.
    paid = invoice(unpaid, "2026-062", paid=True)
    assert newsletter.customer_invoices([unpaid]) == {unpaid.pk: paid}
    assert "Added to the newsletter" in add(client, unpaid, **EN).content.decode()
    assert ConsentProof.objects.get().source == f"crm contact {unpaid.pk} invoice 2026-062"
