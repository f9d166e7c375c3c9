"""Several writers at once (web processes and workers) still give one unbroken chain."""

import threading

import pytest
from django.db import DatabaseError, connection, transaction

from privacydesk.audit.models import AuditEntry, AuditHead
from privacydesk.audit.services import record, verify_chain
from privacydesk.audit.tests.support import audit_protection_removed
from privacydesk.testing import requires_postgres

THREADS = 4
EACH = 25


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_the_chain_intact():
    # Start from nothing, not even the head row, so the writers also race to create it.
    with audit_protection_removed(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry")
        cursor.execute("DELETE FROM audit_audithead")
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait(timeout=10)
            for i in range(EACH):
                record(actor=f"system:writer{n}", action="test.concurrent", detail={"i": i})
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []

    total = THREADS * EACH
    ids = list(AuditEntry.objects.order_by("id").values_list("id", flat=True))
    assert ids == list(range(1, total + 1))
    result = verify_chain()
    assert result.ok, result
    assert result.checked == total
    assert AuditHead.objects.get(pk=1).last_id == total
    for n in range(THREADS):
        assert AuditEntry.objects.filter(actor=f"system:writer{n}").count() == EACH


@requires_postgres
@pytest.mark.django_db
def test_triggers_are_back_on_after_a_transactional_test():
    """The test above emptied the log with triggers off for its connection only."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"
    record(actor="system:test", action="test.after")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE audit_auditentry")
