"""Access package and erasure for one person against table size (P14).

    .venv/bin/python bench/rights.py [--quick] [--rows N] [--items N] [--events N]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pd_bench .venv/bin/python bench/rights.py

Fills the largest personal-data tables with synthetic rows of other people (CRM contacts and
invoices, vault recovery jobs and items, tracking visitors and events), then times, for one
person with a CRM contact, an interaction, an invoice, a recovery job and three stored items,
and a website visitor with a consent record, a download profile under their address and
ten events: the access package (``carry_out`` of an access request: find phase over every
source, the visitor, events and consent found through the profile, export, ZIP) and a full
erasure (erase and object plans, the items crypto-shredded, the invoice kept and restricted,
the address suppressed), beside one indexed lookup by e-mail in the same run; then the same
at one tenth of the rows. Goal: package under 2 s, erasure under 5 s, and a ratio between the
two sizes under 1.5. Prints
``RESULT package_s=.. erase_s=.. package_s_small=.. erase_s_small=.. lookup_ms=.. db=..
package_ratio=.. erase_ratio=.. table_scans=..`` (the issue's five keys first, in its
order): ``table_scans`` is how many big tables (10,000 rows or more) the queries of one more
request pair read in full, by their query plans, and should be 0.
The tenth is measured first (after one untimed round for another person, which warms the
process up), then the rest of the rows is added and the same is measured again; each figure
is the best of five people measured in turn. SQLite runs
in a temporary data folder; PostgreSQL in the database DATABASE_URL names (the tables this
benchmark fills are emptied first).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time

ROUNDS = 5


def setup() -> None:
    data = tempfile.mkdtemp(prefix="pd-bench-")
    os.environ["PRIVACYDESK_DATA_DIR"] = data
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacydesk.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill(start_at: int, rows: int, items: int, events: int) -> None:
    """Add synthetic contacts (a tenth with an invoice), jobs, items (rows only; no blobs:
    they are never read) and tracking events of other people, numbered from ``start_at``."""
    import secrets
    import uuid
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from privacydesk.vault.models import RecoveryJob, VaultItem

    today = timezone.localdate()
    now = timezone.now()
    batch = 5_000
    done = 0
    while done < rows:
        n = min(batch, rows - done)
        RecoveryJob.objects.bulk_create(
            RecoveryJob(
                contact_email=f"klant{start_at + done + i}@example.nl",
                device="laptop",
                intake_date=today,
                pin_hash="x",
            )
            for i in range(n)
        )
        done += n
    jobs = list(RecoveryJob.objects.order_by("-pk").values_list("pk", flat=True)[:rows])
    done = 0
    while done < items:
        n = min(batch, items - done)
        VaultItem.objects.bulk_create(
            VaultItem(
                job_id=jobs[(done + i) % len(jobs)],
                name=f"file-{done + i}.doc",
                raw_name=b"x",
                size=100,
                sha256="0" * 64,
                blob=uuid.uuid4().hex,
                created_at=now,
                expires_on=today + timedelta(days=20),
                key_name=today.isoformat(),
                wrapped_key=secrets.token_bytes(60),
            )
            for i in range(n)
        )
        done += n
    fill_crm(start_at, rows, today)
    fill_tracking(events, now)
    with connection.cursor() as cursor:
        # Statistics for the planner; on SQLite also the write-ahead log folded into the
        # database, so that the measured requests do not pay for the fill's checkpoint.
        cursor.execute("ANALYZE")
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def fill_crm(start_at: int, rows: int, today) -> None:
    from decimal import Decimal

    from django.apps import apps

    if not apps.is_installed("privacydesk.crm"):
        return
    from privacydesk.crm.models import Contact, Invoice

    batch, done = 5_000, 0
    while done < rows:
        n = min(batch, rows - done)
        first = start_at + done
        Contact.objects.bulk_create(
            Contact(
                name=f"Klant {first + i}",
                email=f"Contact{first + i}@Example.nl",
                last_contact_on=today,
                search_text=f"klant {first + i} contact{first + i}@example.nl",
            )
            for i in range(n)
        )
        Invoice.objects.bulk_create(
            Invoice(
                number=f"B{first + i}",
                date=today,
                customer_name=f"Klant {first + i}",
                customer_email=f"Contact{first + i}@Example.nl",
                amount_excl_vat=Decimal("100.00"),
                vat_amount=Decimal("21.00"),
                amount_incl_vat=Decimal("121.00"),
            )
            for i in range(0, n, 10)
        )
        done += n


def fill_tracking(events: int, now) -> None:
    import uuid

    from django.apps import apps

    if not apps.is_installed("privacydesk.tracking") or not events:
        return
    from privacydesk.tracking.models import Event, Visitor

    batch, done = 10_000, 0
    while done < events:
        n = min(batch, events - done)
        visitors = [Visitor(id=uuid.uuid4(), first_seen=now, last_seen=now) for _ in range(n // 10)]
        Visitor.objects.bulk_create(visitors)
        Event.objects.bulk_create(
            Event(
                visitor_id=visitors[i % len(visitors)].id,
                at=now,
                kind="pageview",
                site="www.example.nl",
                path=f"/page/{i % 50}",
                ip_address="192.0.2.0",
            )
            for i in range(n)
        )
        done += n


def person(email: str):
    import secrets

    from privacydesk.accounts.roles import TECHNICIAN
    from privacydesk.testing import make_staff
    from privacydesk.vault import services as vault

    # A name of its own: the PostgreSQL database keeps the users of earlier runs.
    technician = make_staff(TECHNICIAN, username=f"bench-{secrets.token_hex(4)}")
    job = vault.create_job(
        contact_email=email, device="Laptop", technician=technician, actor="system:bench"
    ).job
    for i in range(3):
        vault.store(
            job, io.BytesIO(b"x" * 1000), raw_name=f"own-{i}.doc".encode(), actor="system:bench"
        )
    from django.apps import apps

    if apps.is_installed("privacydesk.crm"):
        from datetime import date
        from decimal import Decimal

        from privacydesk.crm import services as crm

        contact = crm.create_contact(
            {"name": "Bench Persoon", "email": email.upper(), "phone": ""}, actor="system:bench"
        )
        crm.add_interaction(
            contact,
            {"kind": "call", "date": date.today(), "text": "Gebeld over de offerte."},
            staff_member=technician,
            actor="system:bench",
        )
        crm.add_invoice(
            contact,
            {
                "number": f"BENCH-{email.split('@')[0]}",
                "date": date.today(),
                "amount_excl_vat": Decimal("100.00"),
                "vat_amount": Decimal("21.00"),
                "amount_incl_vat": Decimal("121.00"),
            },
            actor="system:bench",
        )
    if apps.is_installed("privacydesk.tracking"):
        visitor(email)


def visitor(email: str) -> None:
    """The person as a website visitor: a consent record (accepted), a download profile that
    holds the address (in another case, as typed), and ten events."""
    from django.utils import timezone

    from privacydesk.consent import services as consent
    from privacydesk.tracking.models import Event, Profile, Visitor

    decision = consent.Decision(
        action="accept_all", analytics=True, tracking=True, version=consent.banner_version(),
        language="nl", gpc=False,
    )  # fmt: skip
    rec = consent.decide(
        decision, user_agent="bench", ip_address="192.0.2.1", origin="https://www.example.nl"
    )
    now = timezone.now()
    Visitor.objects.get_or_create(id=rec.consent_id, defaults={"first_seen": now, "last_seen": now})
    Profile.objects.create(
        visitor_id=rec.consent_id, name="Bench Persoon", email=email.upper(), company="Bench BV",
        created_at=now, updated_at=now,
    )  # fmt: skip
    Event.objects.bulk_create(
        Event(visitor_id=rec.consent_id, at=now, kind="pageview", site="www.example.nl",
              path=f"/page/{i}", ip_address="192.0.2.0")
        for i in range(10)
    )  # fmt: skip


def measure(email: str) -> tuple[float, float, float]:
    from privacydesk.audit.models import AuditEntry
    from privacydesk.audit.services import subject_ref
    from privacydesk.rights import services

    # The reference: one indexed lookup by (the keyed reference of) an e-mail address.
    ref = subject_ref("email", email)
    start = time.perf_counter()
    list(AuditEntry.objects.filter(subject_ref=ref).values_list("pk", flat=True))
    lookup_ms = (time.perf_counter() - start) * 1000
    access = services.create(
        kind="access", channel="post", actor="system:bench", email=email, verified=True
    )
    start = time.perf_counter()
    services.carry_out(access, actor="system:bench")
    package_s = time.perf_counter() - start
    erase = services.create(
        kind="erasure", channel="post", actor="system:bench", email=email, verified=True
    )
    start = time.perf_counter()
    services.carry_out(erase, actor="system:bench")
    erase_s = time.perf_counter() - start
    return package_s, erase_s, lookup_ms


BIG_TABLE = 10_000  # rows: a query that reads a table this big in full is a table scan


def table_scans(email: str) -> list[str]:
    """The big tables read in full by the queries of one access request and one erasure for
    ``email``: each query is run again under ``EXPLAIN`` (``EXPLAIN QUERY PLAN`` on SQLite).
    A figure that does not depend on how busy the machine is: it should be empty."""
    import re

    from django.db import connection

    from privacydesk.rights import services

    queries = []

    def collect(execute, sql, params, many, context):
        verb = sql.lstrip()[:6].upper()
        if not many and verb in ("SELECT", "UPDATE", "DELETE") and "FOR UPDATE" not in sql:
            queries.append((sql, params))
        return execute(sql, params, many, context)

    for kind in ("access", "erasure"):
        req = services.create(
            kind=kind, channel="post", actor="system:bench", email=email, verified=True
        )
        with connection.execute_wrapper(collect):
            services.carry_out(req, actor="system:bench")
    sqlite = connection.vendor == "sqlite"
    scanned = re.compile(r"\bSCAN (\w+)" if sqlite else r"Seq Scan on (\w+)")
    tables = set(connection.introspection.table_names())
    found = set()
    with connection.cursor() as cursor:
        for sql, params in queries:
            cursor.execute(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + sql, params)
            plan = "\n".join(" ".join(map(str, row)) for row in cursor.fetchall())
            for table in set(scanned.findall(plan)) & tables:
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
                if cursor.fetchone()[0] >= BIG_TABLE:
                    found.add(table)
    return sorted(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="other people's jobs")
    parser.add_argument("--items", type=int, default=100_000, help="other people's items")
    parser.add_argument(
        "--events", type=int, default=None, help="tracking events (default: ten per row)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="100,000 jobs and contacts, 10,000 items, 1,000,000 tracking events",
    )
    args = parser.parse_args()
    if args.quick:
        args.rows, args.items = 100_000, 10_000
    if args.events is None:
        args.events = args.rows * 10
    setup()
    from django.conf import settings
    from django.db import connection

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    if connection.vendor == "postgresql":
        from django.apps import apps

        # The tables this benchmark fills (an earlier run's rows, also the bench people's
        # invoices, which an erasure keeps), children first.
        for label in (
            "crm.Interaction", "crm.Invoice", "crm.Contact", "vault.VaultItem",
            "vault.RecoveryJob", "tracking.Event", "tracking.Profile", "tracking.Visitor",
        ):  # fmt: skip
            app_label = label.partition(".")[0]
            if apps.is_installed(f"privacydesk.{app_label}"):
                apps.get_model(label).objects.all()._raw_delete(using="default")
    results = {}
    small_rows, small_items, small_events = args.rows // 10, args.items // 10, args.events // 10
    steps = [
        ("small", 0, small_rows, small_items, small_events),
        (
            "large",
            small_rows,
            args.rows - small_rows,
            args.items - small_items,
            args.events - small_events,
        ),
    ]
    for label, start_at, rows, items, events in steps:
        start = time.perf_counter()
        fill(start_at, rows, items, events)
        print(
            f"{label}: +{rows} jobs and contacts, +{items} items, +{events} events "
            f"in {time.perf_counter() - start:.0f} s",
            file=sys.stderr,
        )
        if label == "small":
            # One untimed round first: the first request of a process also loads the privacy
            # model, templates and translations, which no table size explains.
            person("bench-warm-up@example.nl")
            measure("bench-warm-up@example.nl")
        # Best of ``ROUNDS`` people: on a shared machine one round measures its neighbours.
        rounds = []
        for n in range(ROUNDS):
            email = f"bench-{label}-{n}@example.nl"
            person(email)
            rounds.append(measure(email))
        results[label] = tuple(min(values) for values in zip(*rounds, strict=True))
    person("bench-scans@example.nl")
    scans = table_scans("bench-scans@example.nl")
    print(f"tables read in full: {', '.join(scans) or 'none'}", file=sys.stderr)
    print(result_line(connection.vendor, results["large"], results["small"], len(scans)))


def result_line(vendor: str, large: tuple, small: tuple, scans: int) -> str:
    """The RESULT line: the issue's five keys first, in its order, then the rest."""
    package_s, erase_s, lookup_ms = large
    package_small, erase_small, _ = small
    return (
        f"RESULT package_s={package_s:.3f} erase_s={erase_s:.3f} "
        f"package_s_small={package_small:.3f} erase_s_small={erase_small:.3f} "
        f"lookup_ms={lookup_ms:.2f} db={vendor} "
        f"package_ratio={package_s / package_small:.2f} erase_ratio={erase_s / erase_small:.2f} "
        f"table_scans={scans}"
    )


if __name__ == "__main__":
    main()
