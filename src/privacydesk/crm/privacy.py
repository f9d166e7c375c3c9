"""The CRM's personal data: customer representatives, what was said and done, invoices (P5, P14).

- ``crm.Contact`` (customer_relations) is found by e-mail address or phone number and erased on
  request. Retention: two years after the last contact (its latest interaction or invoice,
  ``last_contact_on``); a contact that still has an invoice is left alone by retention, so an
  invoice within its fiscal term always names its customer.
- ``crm.Interaction`` hangs from its contact: found, erased and expired with it.
- ``crm.Invoice`` (invoicing) is a fiscal record: kept, never erased by a request (Art. 17(3)(b)
  GDPR, art. 52 AWR). It carries the customer as invoiced, so it stays complete when the
  contact is erased. Its retention (seven years after the end of the invoice's year, activity
  ``invoicing``) is applied by the sweep, which removes a kept row once its term has passed
  (``ModelData.expire``), except invoices under a legal hold. An erasure request marks the
  invoices it keeps restricted (Art. 18(1)(c) with 17(3)(b): kept for the tax authority only).
- A restriction request (Art. 18) marks the contact (its interactions through it) and its
  invoices; a restricted contact is never offered to the newsletter (``newsletter.py``).
- ``crm.Organisation`` is exempt: companies and government bodies, not people.
"""

from __future__ import annotations

from privacydesk.spine.registry import ModelData, exempt, register

INVOICE = "crm.Invoice"


register(
    ModelData(
        model="crm.Contact",
        activity="customer_relations",
        fields=(
            "name",
            "email",
            "phone",
            "function",
            "organisation",
            "last_contact_on",
            "created_at",
            "updated_at",
        ),
        lookups={"email": "email__ieq", "phone": "phone"},
        retention_field="last_contact_on",
        retention_filter={"invoices__isnull": True},
        erasure="delete",
        restrict_field="restricted",
        rectifiable=("name", "email", "phone", "function"),
        exporter=lambda contact: _export_contact(contact),
    ),
    ModelData(
        model="crm.Interaction",
        activity="customer_relations",
        fields=("kind", "date", "staff_member", "text", "created_at"),
        parent="crm.Contact",
        parent_field="contact",
        retention_field="contact__last_contact_on",
        retention_filter={"contact__invoices__isnull": True},
        erasure="delete",
        restrict_field="contact__restricted",
        rectifiable=("text",),
    ),
    ModelData(
        model=INVOICE,
        activity="invoicing",
        fields=(
            "number",
            "date",
            "customer_name",
            "customer_email",
            "organisation",
            "amount_excl_vat",
            "vat_amount",
            "amount_incl_vat",
            "paid",
        ),
        lookups={"email": "customer_email__ieq"},
        retention_field="date",
        erasure="keep",
        keep_reason=(
            "fiscal record: kept seven years after the end of the invoice's year "
            "(art. 52 Algemene wet inzake rijksbelastingen; Art. 17(3)(b) GDPR)"
        ),
        restrict_field="restricted",
        rectifiable=("customer_email",),
        exporter=lambda invoice: _export_invoice(invoice),
    ),
)
exempt("crm.Organisation", "companies and government bodies (legal persons), not people")


def _export_contact(contact) -> dict:
    return {
        "id": contact.pk,
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "function": contact.function,
        "organisation": contact.organisation.name if contact.organisation_id else "",
        "last_contact_on": contact.last_contact_on.isoformat(),
        "created_at": contact.created_at.isoformat(),
    }


def _export_invoice(invoice) -> dict:
    return {
        "id": invoice.pk,
        "number": invoice.number,
        "date": invoice.date.isoformat(),
        "customer_name": invoice.customer_name,
        "customer_email": invoice.customer_email,
        "organisation": invoice.organisation.name if invoice.organisation_id else "",
        "amount_excl_vat": str(invoice.amount_excl_vat),
        "vat_amount": str(invoice.vat_amount),
        "amount_incl_vat": str(invoice.amount_incl_vat),
        "paid": invoice.paid,
    }
