"""Retention and requests through the registry declarations (P12, P14): contacts two years after
the last contact unless an invoice holds them; invoices seven years after the end of their
year, never erased by a request."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.utils import timezone

from privacydesk.crm.models import Contact, Interaction, Invoice
from privacydesk.crm.tests.support import ACTOR, contact, invoice
from privacydesk.policy import holds, plans, services
from privacydesk.policy.models import PlanStep
from privacydesk.spine import registry
from privacydesk.spine.registry import Subject


def at(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


def last_contact(person: Contact, day: date) -> None:
    Contact.objects.filter(pk=person.pk).update(last_contact_on=day)


@pytest.fixture
def crm(db):
    quiet = contact("Stil", "stil@example.nl")
    recent = contact("Recent", "recent@example.nl")
    customer = contact("Klant", "klant@example.nl")
    Interaction.objects.create(contact=quiet, kind="note", date=date(2024, 11, 1), text="oud")
    old = invoice(customer, "2018-001", date(2018, 12, 31))
    newer = invoice(customer, "2019-001", date(2019, 1, 1))
    last_contact(quiet, date(2024, 11, 30))
    last_contact(recent, date(2024, 12, 2))
    last_contact(customer, date(2019, 1, 1))
    return {"quiet": quiet, "recent": recent, "customer": customer, "old": old, "newer": newer}


def exists(obj) -> bool:
    return type(obj).objects.filter(pk=obj.pk).exists()


def test_the_sweep_follows_the_declarations_with_dates(crm):
    counts = services.sweep_retention(now=at(2026, 12, 1, 12))
    # Two years after the last contact: 30 November 2024 has passed, 2 December not yet.
    assert not exists(crm["quiet"]) and not Interaction.objects.exists()
    assert exists(crm["recent"])
    # An invoice of 2018 is kept to the end of 2025; one of 2019 to the end of 2026.
    assert not exists(crm["old"]) and exists(crm["newer"])
    # The customer's last contact is long past, but an invoice still holds them.
    assert exists(crm["customer"])
    assert counts == {
        "crm.Contact": 1,
        "crm.Interaction": 1,
        "crm.Invoice": 1,
    }
    # On 1 January 2027 the last invoice's term is over; the next sweep then frees the contact.
    services.sweep_retention(now=at(2027, 1, 1, 0, 30))
    assert not exists(crm["newer"]) and exists(crm["customer"])
    services.sweep_retention(now=at(2027, 1, 2))
    assert not exists(crm["customer"]) and not Invoice.objects.exists()


def test_an_erasure_request_keeps_invoices_with_their_legal_ground(crm):
    customer = crm["customer"]
    done = plans.run("erase", [Subject("email", "KLANT@example.nl")], key="request:1", actor=ACTOR)
    steps = {s.source: s for s in done.steps}
    assert steps["crm.Invoice"].status == PlanStep.Status.KEPT
    assert steps["crm.Contact"].status == PlanStep.Status.DONE
    assert not exists(customer)
    kept = Invoice.objects.filter(number__in=["2018-001", "2019-001"])
    assert {(i.customer_name, i.customer_email, i.contact) for i in kept} == {
        ("Klant", "klant@example.nl", None)
    }
    assert "fiscal record" in registry.source("crm.Invoice").keep_reason
    # The invoices are still found and exported for the person (Art. 15).
    exported = plans.run("export", [Subject("email", "klant@example.nl")], key="r:2", actor=ACTOR)
    assert {row["number"] for row in exported.results["crm.Invoice"]} == {"2018-001", "2019-001"}


def test_a_legal_hold_keeps_an_invoice_past_its_term(crm):
    hold = holds.place(
        reason="tax audit 2026", actor=ACTOR, records=[("crm.Invoice", str(crm["old"].pk))]
    )
    services.sweep_retention(now=at(2026, 12, 1, 12))
    assert exists(crm["old"])
    holds.release(hold, actor=ACTOR)
    services.sweep_retention(now=at(2026, 12, 2, 12))
    assert not exists(crm["old"])


def test_a_hold_on_the_subject_keeps_contact_and_invoices(crm):
    holds.place(reason="claim", actor=ACTOR, subject=Subject("email", "stil@example.nl"))
    holds.place(reason="claim", actor=ACTOR, subject=Subject("email", "klant@example.nl"))
    services.sweep_retention(now=at(2030, 1, 1))
    assert exists(crm["quiet"]) and exists(crm["old"]) and exists(crm["newer"])


def test_find_by_phone_and_rectify_the_address(crm):
    person = crm["recent"]
    Contact.objects.filter(pk=person.pk).update(phone="0201234567")
    assert registry.source("crm.Contact").find(Subject("phone", "0201234567"), {}) == [
        str(person.pk)
    ]
    plans.run(
        "rectify",
        [Subject("email", "recent@example.nl")],
        key="rectify:1",
        actor=ACTOR,
        rectified=Subject("email", "nieuw@example.nl"),
    )
    person.refresh_from_db()
    assert person.email == "nieuw@example.nl"
