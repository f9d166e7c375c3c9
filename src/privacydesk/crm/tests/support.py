"""Records for the CRM's tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from privacydesk.crm import services
from privacydesk.crm.models import Contact, Invoice, Organisation

ACTOR = "system:test"


def organisation(name: str = "Acme B.V.", **values) -> Organisation:
    return services.create_organisation({"name": name, **values}, actor=ACTOR)


def contact(name: str = "Jan de Boer", email: str = "jan@acme.example", **values) -> Contact:
    return services.create_contact({"name": name, "email": email, **values}, actor=ACTOR)


def invoice(to: Contact, number: str = "2026-001", day: date | None = None, **values) -> Invoice:
    excl = Decimal(values.pop("excl", "100.00"))
    vat = Decimal(values.pop("vat", "21.00"))
    return services.add_invoice(
        to,
        {
            "number": number,
            "date": day or date(2026, 3, 1),
            "amount_excl_vat": excl,
            "vat_amount": vat,
            "amount_incl_vat": excl + vat,
            **values,
        },
        actor=ACTOR,
    )
