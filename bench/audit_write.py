"""Audit log write and verify speed, against plain inserts of the same rows.

    .venv/bin/python bench/audit_write.py [--quick]

Runs on a throw-away SQLite database in a temporary data folder (embedded mode).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time


def setup() -> None:
    data = tempfile.mkdtemp(prefix="pd-bench-")
    os.environ["PRIVACYDESK_DATA_DIR"] = data
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacydesk.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="500 entries instead of 5,000")
    args = parser.parse_args()
    n = 500 if args.quick else 5000
    setup()
    from django.db import transaction
    from django.utils import timezone

    from privacydesk.audit.models import AuditEntry
    from privacydesk.audit.services import record, verify_chain
    from privacydesk.jobs.models import PeriodicRun

    # Reference: one committed ORM insert per row into a table of similar width, no chain.
    start = time.perf_counter()
    for i in range(n):
        with transaction.atomic():
            PeriodicRun.objects.create(name=f"bench-{i}", next_run_at=timezone.now())
    plain_s = time.perf_counter() - start

    start = time.perf_counter()
    for i in range(n):
        record(actor="system:bench", action="bench.write", object_id=str(i), detail={"i": i})
    record_s = time.perf_counter() - start

    start = time.perf_counter()
    result = verify_chain()
    verify_s = time.perf_counter() - start
    assert result.ok and result.checked == n == AuditEntry.objects.count()

    plain_rate, record_rate, verify_rate = n / plain_s, n / record_s, n / verify_s
    rows = [
        ("plain insert (reference)", f"{plain_rate:,.0f}/s", "1.00"),
        ("audit record()", f"{record_rate:,.0f}/s", f"{record_rate / plain_rate:.2f}"),
        ("audit verify", f"{verify_rate:,.0f}/s", f"{verify_rate / plain_rate:.2f}"),
    ]
    print(f"audit log, {n:,} entries, SQLite (WAL) in a temporary folder")
    print(f"{'operation':<26}{'rate':>14}{'x reference':>14}")
    for name, rate, ratio in rows:
        print(f"{name:<26}{rate:>14}{ratio:>14}")
    print(
        f"RESULT entries={n} plain_per_s={plain_rate:.0f} record_per_s={record_rate:.0f} "
        f"verify_per_s={verify_rate:.0f} record_vs_plain={record_rate / plain_rate:.2f}"
    )


if __name__ == "__main__":
    sys.exit(main())
