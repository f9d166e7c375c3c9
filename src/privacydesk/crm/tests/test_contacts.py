"""Contacts: search, pages per role, validation, audit of every view, merging (issue 10)."""

from __future__ import annotations

from datetime import date

import pytest

from privacydesk.audit.models import AuditEntry
from privacydesk.audit.services import subject_ref, subject_refs
from privacydesk.crm import services
from privacydesk.crm.models import Contact, Interaction, Invoice
from privacydesk.crm.tests.support import ACTOR, contact, invoice, organisation
from privacydesk.testing import make_staff


@pytest.fixture
def people(db):
    acme = organisation("Acme B.V.")
    gemeente = organisation("Gemeente Ölst", kind="government")
    return {
        "jan": contact("Jan de Boer", "jan@acme.example", phone="06-1234 5678", organisation=acme),
        "eva": contact("Éva Çelik", "eva@olst.example", organisation=gemeente),
        "piet": contact("Piet Puk", "piet@elders.example", phone="+31 20 555 0000"),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("jan", {"jan"}),
        ("JAN DE", {"jan"}),
        ("ACME", {"jan"}),
        ("acme.example", {"jan"}),
        ("éva", {"eva"}),
        ("ÉVA ÇELIK", {"eva"}),
        ("ölst", {"eva"}),
        ("ÖLST", {"eva"}),
        ("0612345678", {"jan"}),
        ("06-1234", {"jan"}),
        ("555 0000", {"piet"}),
        ("example", {"jan", "eva", "piet"}),
        ("nobody", set()),
        ("%", set()),
        ("_", set()),
        ("jan\x00", {"jan"}),
        ("\x00", {"jan", "eva", "piet"}),
    ],
)
def test_search_by_name_email_phone_and_organisation_in_any_case(people, query, expected):
    names = {k for k, c in people.items() if c in set(services.search(query))}
    assert names == expected


def test_renaming_an_organisation_updates_the_search(people):
    acme = people["jan"].organisation
    services.update_organisation(acme, {"name": "Nieuwnaam B.V."}, actor=ACTOR)
    assert list(services.search("nieuwnaam")) == [people["jan"]]


def test_contact_page_shows_everything_and_is_audited(people, staff_client, settings, tmp_path):
    from privacydesk.vault import services as vault

    settings.VAULT_DIR = tmp_path / "vault"
    settings.EMAIL_BACKEND = "privacydesk.backoffice.outbox.OutboxBackend"
    jan = people["jan"]
    services.add_interaction(
        jan, {"kind": "call", "date": date(2026, 2, 1), "text": "Belde over de NAS"},
        staff_member=None, actor=ACTOR,
    )  # fmt: skip
    invoice(jan, "2026-007")
    job = vault.create_job(
        contact_email="JAN@acme.example",
        device="NAS",
        technician=make_staff("technician"),
        actor=ACTOR,
    ).job
    client = staff_client("privacy_officer")
    page = client.get(f"/staff/crm/contacts/{jan.pk}/").content.decode()
    assert "Belde over de NAS" in page and "2026-007" in page
    assert f"/staff/vault/jobs/{job.pk}/" in page
    entry = AuditEntry.objects.filter(action="crm.contact.viewed").latest("id")
    assert entry.object_id == str(jan.pk)
    assert entry.subject_ref == subject_ref("email", jan.email)
    assert entry.actor == f"user:{client.user.pk}"
    # Sales read the CRM but not the vault (DESIGN.md section 7).
    sales = staff_client("sales").get(f"/staff/crm/contacts/{jan.pk}/").content.decode()
    assert "2026-007" in sales and "/staff/vault/jobs/" not in sales


def test_the_list_is_audited_without_the_query(people, staff_client):
    client = staff_client("technician")
    response = client.get("/staff/crm/contacts/", {"q": "jan@acme.example"})
    assert response.status_code == 200 and "Jan de Boer" in response.content.decode()
    entry = AuditEntry.objects.filter(action="crm.contacts.listed").latest("id")
    assert entry.detail == {"count": 1, "searched": True}


def test_sales_create_and_edit_and_bad_input_is_a_400_naming_the_field(people, staff_client):
    client = staff_client("sales")
    assert client.get("/staff/crm/contacts/new/").status_code == 200
    response = client.post(
        "/staff/crm/contacts/new/",
        {"name": "Nieuw Mens", "email": "Nieuw@ACME.example", "phone": "020 123 4567"},
    )
    assert response.status_code == 302
    created = Contact.objects.get(name="Nieuw Mens")
    assert created.email == "Nieuw@acme.example"  # the domain in lower case
    assert response["Location"] == f"/staff/crm/contacts/{created.pk}/"
    bad = {
        "name": "Jan\r\nBcc: x@example.org",
        "email": "a" * 300 + "@acme.example",
        "phone": "bel me",
        "function": "<script>alert(1)</script>",
    }
    response = client.post("/staff/crm/contacts/new/", bad)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Bevat een regeleinde of een ander stuurteken." in page
    assert "Mag geen &lt; of &gt; bevatten." in page
    assert "<script>alert(1)</script>" not in page
    duplicate = client.post(
        "/staff/crm/contacts/new/", {"name": "Ander", "email": "JAN@acme.example"}
    )
    assert duplicate.status_code == 400
    assert "Er is al een contactpersoon met dit e-mailadres." in duplicate.content.decode()
    jan = people["jan"]
    assert client.get(f"/staff/crm/contacts/{jan.pk}/edit/").status_code == 200
    response = client.post(
        f"/staff/crm/contacts/{jan.pk}/edit/",
        {"name": "Jan de Boer", "email": "jan.de.boer@acme.example", "function": "Inkoper"},
    )
    assert response.status_code == 302
    jan.refresh_from_db()
    assert (jan.email, jan.function, jan.organisation) == (
        "jan.de.boer@acme.example", "Inkoper", None,
    )  # fmt: skip
    changed = AuditEntry.objects.filter(action="crm.contact.changed").latest("id")
    assert changed.detail == {"fields": ["email", "function", "organisation", "phone"]}
    # The person's history is found under the new address too.
    assert subject_ref("email", "jan@acme.example") in subject_refs(
        "email", "jan.de.boer@acme.example"
    )


@pytest.mark.parametrize(
    "url",
    [
        "/staff/crm/contacts/999999/",
        "/staff/crm/contacts/99999999999999999999999/",
        "/staff/crm/contacts/999999/edit/",
        "/staff/crm/contacts/999999/merge/",
    ],
)
def test_unknown_contacts_are_404(db, staff_client, url):
    assert staff_client("admin").get(url).status_code == 404


def test_odd_query_strings_are_answered(people, staff_client):
    client = staff_client("admin")
    jan = people["jan"]
    odd = ({"q": "x" * 5000}, {"page": "-1"}, {"page": "abc"}, {"q": "\x00"}, {"q": "jan\x00"})
    for params in odd:
        assert client.get("/staff/crm/contacts/", params).status_code == 200
    for duplicate in ("abc", "-1", "9" * 40, str(jan.pk)):
        url = f"/staff/crm/contacts/{jan.pk}/merge/"
        assert client.get(url, {"duplicate": duplicate}).status_code == 200
        assert client.post(url, {"duplicate": duplicate, "keep": str(jan.pk)}).status_code == 302
    assert Contact.objects.filter(pk=jan.pk).exists()


def test_interactions_and_invoices_from_the_contact_page(people, staff_client):
    client = staff_client("sales")
    jan = people["jan"]
    url = f"/staff/crm/contacts/{jan.pk}/"
    response = client.post(
        url + "interactions/", {"kind": "visit", "date": "2026-01-15", "text": "Op bezoek"}
    )
    assert response.status_code == 302
    assert Interaction.objects.get(contact=jan).staff_member == client.user
    bad = client.post(url + "interactions/", {"kind": "telepathy", "date": "gisteren"})
    assert bad.status_code == 400
    form = {
        "number": "2026-100",
        "date": "2026-01-20",
        "amount_excl_vat": "100,00",
        "vat_amount": "21,00",
        "amount_incl_vat": "121,00",
    }
    assert client.post(url + "invoices/", form).status_code == 302
    made = Invoice.objects.get(number="2026-100")
    assert (made.customer_name, made.customer_email, made.organisation) == (
        "Jan de Boer", "jan@acme.example", jan.organisation,
    )  # fmt: skip
    jan.refresh_from_db()
    assert jan.last_contact_on == date(2026, 1, 20)  # the latest interaction or invoice
    again = client.post(url + "invoices/", form)
    assert again.status_code == 400
    assert "Er is al een factuur met dit nummer." in again.content.decode()
    wrong = client.post(url + "invoices/", {**form, "number": "2026-101", "amount_incl_vat": "120"})
    assert wrong.status_code == 400
    assert "moet het bedrag excl. btw plus de btw zijn" in wrong.content.decode()
    assert not Invoice.objects.filter(number="2026-101").exists()
    paid = client.post(f"/staff/crm/invoices/{made.pk}/paid/", {"paid": "1"})
    assert paid.status_code == 302
    made.refresh_from_db()
    assert made.paid


@pytest.mark.parametrize("role", ["technician", "privacy_officer"])
def test_readers_cannot_write(people, staff_client, role):
    client = staff_client(role)
    jan = people["jan"]
    assert client.get(f"/staff/crm/contacts/{jan.pk}/").status_code == 200
    for url, data in [
        ("/staff/crm/contacts/new/", {"name": "X", "email": "x@acme.example"}),
        (f"/staff/crm/contacts/{jan.pk}/edit/", {"name": "X", "email": "x@acme.example"}),
        (f"/staff/crm/contacts/{jan.pk}/merge/", {}),
        (f"/staff/crm/contacts/{jan.pk}/interactions/", {}),
        (f"/staff/crm/contacts/{jan.pk}/invoices/", {}),
        ("/staff/crm/organisations/", {"name": "X"}),
    ]:
        assert client.post(url, data).status_code == 403, url
    page = client.get(f"/staff/crm/contacts/{jan.pk}/").content.decode()
    assert "/edit/" not in page and 'id="crm-invoice-add"' not in page


def test_kvk_number_is_optional_and_eight_digits(db, staff_client):
    client = staff_client("admin")
    url = "/staff/crm/organisations/"
    assert client.post(url, {"name": "Zonder", "kind": "company"}).status_code == 302
    short = client.post(url, {"name": "Met", "kind": "company", "kvk_number": "1234567"})
    assert short.status_code == 400
    assert "Een KvK-nummer heeft precies 8 cijfers." in short.content.decode()
    good = client.post(url, {"name": "Met", "kind": "government", "kvk_number": "12345678"})
    assert good.status_code == 302
    again = client.post(url, {"name": "met", "kind": "company"})
    assert "Er is al een organisatie met deze naam." in again.content.decode()


# -- merging ------------------------------------------------------------------------------------
def test_merge_moves_everything_keeps_a_trail_by_reference_and_deletes_the_duplicate(
    people, staff_client
):
    jan = people["jan"]
    dup = contact("J. de Boer", "j.deboer@old.example", function="Inkoop")
    services.add_interaction(
        dup, {"kind": "note", "date": date(2025, 5, 1), "text": "Oude notitie"},
        staff_member=None, actor=ACTOR,
    )  # fmt: skip
    old_invoice = invoice(dup, "2025-050", date(2025, 5, 2))
    client = staff_client("sales")
    url = f"/staff/crm/contacts/{jan.pk}/merge/"
    assert "J. de Boer" in client.get(url, {"q": "boer"}).content.decode()
    assert services.likely_duplicates(jan) == [dup]  # "boer" in both names
    compare = client.get(url, {"duplicate": dup.pk}).content.decode()
    assert "j.deboer@old.example" in compare and "jan@acme.example" in compare
    response = client.post(url, {"duplicate": dup.pk, "keep": jan.pk})
    assert response.status_code == 302 and response["Location"] == f"/staff/crm/contacts/{jan.pk}/"
    assert not Contact.objects.filter(pk=dup.pk).exists()
    jan.refresh_from_db()
    assert jan.function == "Inkoop"  # taken over: the survivor had none
    assert list(jan.interactions.values_list("text", flat=True)) == ["Oude notitie"]
    old_invoice.refresh_from_db()
    assert old_invoice.contact == jan
    assert old_invoice.customer_email == "j.deboer@old.example"  # the invoice as issued
    entry = AuditEntry.objects.get(action="crm.contact.merged")
    assert entry.object_id == str(jan.pk)
    assert entry.detail == {
        "duplicate": f"crm.Contact:{dup.pk}",
        "duplicate_subject": subject_ref("email", "j.deboer@old.example"),
        "interactions": 1,
        "invoices": 1,
        "fields_taken": ["function"],
    }
    assert "@" not in str(entry.detail)
    assert subject_ref("email", "j.deboer@old.example") in subject_refs("email", jan.email)


def test_the_other_one_may_stay(people, staff_client):
    jan, piet = people["jan"], people["piet"]
    client = staff_client("admin")
    client.post(f"/staff/crm/contacts/{jan.pk}/merge/", {"duplicate": piet.pk, "keep": piet.pk})
    assert list(Contact.objects.filter(pk__in=[jan.pk, piet.pk])) == [piet]
    with pytest.raises(services.MergeError):
        services.merge(piet, piet, actor=ACTOR)


def test_an_organisation_is_edited_and_its_contacts_found_by_the_new_name(people, staff_client):
    acme = people["jan"].organisation
    url = f"/staff/crm/organisations/{acme.pk}/edit/"
    assert staff_client("technician").post(url, {"name": "X"}).status_code == 403
    client = staff_client("sales")
    assert client.get(url).status_code == 200
    bad = client.post(url, {"name": "Acme", "kind": "company", "kvk_number": "abc"})
    assert bad.status_code == 400
    response = client.post(url, {"name": "Acme Nederland B.V.", "kind": "company"})
    assert response.status_code == 302
    assert list(services.search("nederland")) == [people["jan"]]
    entry = AuditEntry.objects.filter(action="crm.organisation.changed").latest("id")
    assert entry.detail == {"fields": ["name"]}
