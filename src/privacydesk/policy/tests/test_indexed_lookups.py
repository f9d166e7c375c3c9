"""A request's lookups by e-mail address read an index, not the whole table (P14 at scale).

The declarations of the biggest personal-data tables look an address up with ``__ieq``
(``spine.lookups``), which an expression index ``Lower(column)`` serves; the query plan of
each says so, on SQLite (``EXPLAIN QUERY PLAN``) and on PostgreSQL (``EXPLAIN``, with
sequential scans priced out: on a near-empty table the planner would rightly prefer them).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction

from privacydesk.crm.models import Contact, Invoice
from privacydesk.spine import registry
from privacydesk.spine.registry import Subject
from privacydesk.vault.models import RecoveryJob

pytestmark = pytest.mark.django_db

INDEXED = {"vault.RecoveryJob", "crm.Contact", "crm.Invoice", "tracking.Profile"}


def _indexed_sources() -> dict:
    found = {}
    for src in registry.sources():
        lookup = getattr(src, "lookups", {}).get("email")
        if isinstance(lookup, str) and lookup.endswith("__ieq"):
            found[src.label] = src
    return found


def _plan(queryset) -> str:
    if connection.vendor != "postgresql":
        return queryset.explain()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        return queryset.explain()


def test_the_biggest_tables_look_addresses_up_through_an_index():
    sources = _indexed_sources()
    assert set(sources) >= INDEXED
    for label, src in sorted(sources.items()):
        rows = src._manager().filter(src._own(Subject("email", "Jan.Jansen@Example.NL")))
        plan = _plan(rows.values_list("pk", flat=True))
        if connection.vendor == "postgresql":
            assert "Index" in plan and "Seq Scan" not in plan, (label, plan)
        else:
            assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, (label, plan)
            assert "SCAN" not in plan.replace("SEARCH", ""), (label, plan)


def test_ieq_finds_the_rows_iexact_finds():
    for address in ("Jan.Jansen@Example.NL", "piet@example.nl", "ANNA@EXAMPLE.NL"):
        RecoveryJob.objects.create(
            contact_email=address, device="USB", intake_date=date.today(), pin_hash="x"
        )
        Contact.objects.create(name="Iemand", email=address, last_contact_on=date.today())
        Invoice.objects.create(
            number=f"F-{address[:4]}",
            date=date.today(),
            customer_name="Iemand",
            customer_email=address,
            amount_excl_vat=Decimal("1.00"),
            vat_amount=Decimal("0.21"),
            amount_incl_vat=Decimal("1.21"),
        )
    for model, column in (
        (RecoveryJob, "contact_email"),
        (Contact, "email"),
        (Invoice, "customer_email"),
    ):
        for asked in ("jan.jansen@example.nl", "JAN.JANSEN@EXAMPLE.NL", "Anna@Example.nl", "x@y"):
            exact = set(model.objects.filter(**{f"{column}__iexact": asked}))
            assert set(model.objects.filter(**{f"{column}__ieq": asked})) == exact
    job = RecoveryJob.objects.get(contact_email="piet@example.nl")
    found = registry.source("vault.RecoveryJob").find(Subject("email", " PIET@example.nl "))
    assert found == [str(job.pk)]
    # the identifier field is still known, so a rectification writes the corrected address
    assert registry.source("vault.RecoveryJob").identifier_fields() == {"email": "contact_email"}
