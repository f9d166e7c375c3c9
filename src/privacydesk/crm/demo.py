"""Demo records of the CRM for ``privacydesk demo``: a few organisations, contacts,
interactions and invoices (loading twice adds nothing twice)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from privacydesk.crm import services
from privacydesk.crm.models import Contact, Invoice, Organisation

ACTOR = "system:demo"
ORGANISATIONS = [
    ("Bakkerij Van Dijk B.V.", Organisation.Kind.COMPANY, "12345678"),
    ("Gemeente Zandvoort", Organisation.Kind.GOVERNMENT, ""),
    ("Jansen Installatietechniek", Organisation.Kind.COMPANY, "87654321"),
]
# name, e-mail (reserved domains, RFC 2606), phone, function, organisation index
CONTACTS = [
    ("Anouk van Dijk", "anouk@bakkerij-vandijk.example", "023 555 0101", "Eigenaar", 0),
    ("Mehmet Yilmaz", "m.yilmaz@zandvoort.example", "023 555 0202", "ICT-coördinator", 1),
    ("Lotte Jansen", "lotte@jansen-installatie.example", "06 5555 0303", "Office manager", 2),
    ("Anouk v. Dijk", "a.vandijk@bakkerij-vandijk.example", "", "", 0),  # a duplicate to merge
]


def load(*, console) -> list[str]:
    orgs = []
    for name, kind, kvk in ORGANISATIONS:
        org = Organisation.objects.filter(name__iexact=name).first()
        if org is None:
            org = services.create_organisation(
                {"name": name, "kind": kind, "kvk_number": kvk}, actor=ACTOR
            )
        orgs.append(org)
    created = 0
    contacts = []
    for name, email, phone, function, org in CONTACTS:
        contact = Contact.objects.filter(email__iexact=email).first()
        if contact is None:
            contact = services.create_contact(
                {
                    "name": name,
                    "email": email,
                    "phone": phone,
                    "function": function,
                    "organisation": orgs[org],
                },
                actor=ACTOR,
            )
            created += 1
        contacts.append(contact)
    today = timezone.localdate()
    if created and not contacts[0].interactions.exists():
        services.add_interaction(
            contacts[0],
            {
                "kind": "call",
                "date": today - timedelta(days=12),
                "text": "Server maakt lawaai; offerte voor vervanging gevraagd.",
            },
            staff_member=None,
            actor=ACTOR,
        )
        services.add_interaction(
            contacts[0],
            {
                "kind": "quote",
                "date": today - timedelta(days=10),
                "text": "Offerte Q-2026-031 verstuurd: nieuwe NAS met back-up.",
            },
            staff_member=None,
            actor=ACTOR,
        )
        services.add_interaction(
            contacts[1],
            {
                "kind": "visit",
                "date": today - timedelta(days=30),
                "text": "Netwerkscan op het gemeentehuis.",
            },
            staff_member=None,
            actor=ACTOR,
        )
    invoices = [
        ("DEMO-2026-001", contacts[0], today - timedelta(days=5), "1250.00", "262.50", True),
        ("DEMO-2026-002", contacts[1], today - timedelta(days=20), "480.00", "100.80", False),
    ]
    for number, contact, day, excl, vat, paid in invoices:
        if not Invoice.objects.filter(number=number).exists():
            services.add_invoice(
                contact,
                {
                    "number": number,
                    "date": day,
                    "amount_excl_vat": Decimal(excl),
                    "vat_amount": Decimal(vat),
                    "amount_incl_vat": Decimal(excl) + Decimal(vat),
                    "paid": paid,
                },
                actor=ACTOR,
            )
    return [f"CRM: {Contact.objects.count()} contacts, {Invoice.objects.count()} invoices"]
