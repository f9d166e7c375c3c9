"""The CRM's personal data: customer representatives, what was said and done, invoices (P5, P14).

- ``crm.Contact`` (customer_relations) is found by e-mail address or phone number and erased on
  request. Retention: two years after the last contact (its latest interaction or invoice,
  ``last_contact_on``); a contact that still has an invoice is left alone by retention, so an
  invoice within its fiscal term always names its customer.
- ``crm.Interaction`` hangs from its contact: found, erased and expired with it.
- ``crm.Invoice`` (invoicing) is a fiscal record: kept, never erased by a request (Art. 17(3)(b)
  GDPR, art. 52 AWR). It carries the customer as invoiced, so it stays complete when the
  contact is erased. Its retention (seven years after the end of the invoice's year) is applied
  by the declaration ``crm.Invoice (fiscal retention)``: a second source over the same table
  that a request never finds (no lookups) and whose ``expired`` gives the invoices past their
  term to the retention sweep, except those under a legal hold.
- ``crm.Organisation`` is exempt: companies and government bodies, not people.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from privacydesk.spine.registry import Key, ModelData, exempt, register

INVOICE = "crm.Invoice"
INVOICE_RETENTION = "crm.Invoice (fiscal retention)"


@dataclass
class FiscalRetention(ModelData):
    """The invoices whose fiscal term has passed, for the retention sweep only.

    A request (``find``) never reaches them here: for requests ``crm.Invoice`` keeps them.
    Rows a legal hold keeps under ``crm.Invoice`` (on the record, or on the subject) are left
    out when expired rows are found and again when they are deleted.
    """

    @property
    def label(self) -> str:
        return INVOICE_RETENTION

    def find(self, subject, parents=None) -> list[Key]:
        return []

    def expired(self, cutoff: datetime) -> list[Key]:
        held = _held_invoices()
        return [key for key in super().expired(cutoff) if key not in held]

    def erase(self, keys: Sequence[Key]) -> int:
        held = _held_invoices()
        return super().erase([key for key in keys if key not in held])


def _held_invoices() -> set[Key]:
    from privacydesk.policy import holds

    return holds.held_keys().get(INVOICE, set())


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
        lookups={"email": "email__iexact", "phone": "phone"},
        retention_field="last_contact_on",
        retention_filter={"invoices__isnull": True},
        erasure="delete",
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
        lookups={"email": "customer_email__iexact"},
        erasure="keep",
        keep_reason=(
            "fiscal record: kept seven years after the end of the invoice's year "
            "(art. 52 Algemene wet inzake rijksbelastingen; Art. 17(3)(b) GDPR)"
        ),
        rectifiable=("customer_email",),
        exporter=lambda invoice: _export_invoice(invoice),
    ),
    FiscalRetention(
        model=INVOICE,
        activity="invoicing",
        fields=("number", "date"),
        retention_field="date",
        erasure="delete",
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
