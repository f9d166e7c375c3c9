"""Append-only: the ORM refuses, the database refuses, and the chain catches what gets past."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from privacydesk.audit.models import AppendOnlyError, AuditEntry, AuditHead
from privacydesk.audit.services import compute_hash, record, verify_chain
from privacydesk.audit.tests.support import audit_protection_removed, write
from privacydesk.testing import requires_postgres

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_log")]

FIELDS = ("at", "actor", "action", "object_type", "object_id", "subject_ref", "detail")


def snapshot() -> list[tuple]:
    return list(AuditEntry.objects.order_by("id").values_list("id", *FIELDS, "prev_hash", "hash"))


def verify_command() -> str:
    out = StringIO()
    call_command("audit", "verify", "--no-progress", stdout=out)
    return out.getvalue()


def assert_refused(sql: str) -> None:
    """The database refuses ``sql``; the test's transaction carries on (savepoint)."""
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)


# -- the ORM refuses --------------------------------------------------------------------------


def test_save_of_an_existing_entry_is_refused():
    write(3)
    before = snapshot()
    entry = AuditEntry.objects.get(pk=2)
    entry.action = "test.changed"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.save(update_fields=["action"])
    assert snapshot() == before
    assert verify_chain().ok


def test_delete_of_an_entry_is_refused():
    write(3)
    before = snapshot()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.get(pk=3).delete()
    assert snapshot() == before


def test_queryset_update_and_delete_are_refused():
    write(3)
    before = snapshot()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.update(action="test.changed")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=1).update(detail={})
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=3).delete()
    entries = list(AuditEntry.objects.all())
    for entry in entries:
        entry.action = "test.changed"
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.bulk_update(entries, ["action"])
    assert snapshot() == before


# -- the database refuses ---------------------------------------------------------------------


def test_raw_update_is_refused_by_the_database():
    write(3)
    before = snapshot()
    assert_refused("UPDATE audit_auditentry SET action = 'test.changed' WHERE id = 2")
    assert snapshot() == before


def test_raw_delete_is_refused_by_the_database():
    write(3)
    before = snapshot()
    assert_refused("DELETE FROM audit_auditentry WHERE id = 3")
    assert_refused("DELETE FROM audit_auditentry")
    assert snapshot() == before


@requires_postgres
def test_truncate_is_refused_by_postgresql():
    write(3)
    before = snapshot()
    assert_refused("TRUNCATE audit_auditentry")
    assert snapshot() == before


def test_inserting_stays_possible_after_a_refusal():
    write(2)
    assert_refused("DELETE FROM audit_auditentry")
    record(actor="system:test", action="test.after")
    assert verify_chain().checked == 3


# -- tampering behind the application's back is found ----------------------------------------


def tamper(sql: str, params=()) -> None:
    """Change rows the way someone who owns the database can: triggers off, SQL, triggers on."""
    with audit_protection_removed(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_triggers_are_back_after_tampering():
    write(3)
    tamper("UPDATE audit_auditentry SET actor = 'system:other' WHERE id = 1")
    assert_refused("UPDATE audit_auditentry SET actor = 'system:again' WHERE id = 1")


def test_changed_action_is_found_and_named():
    """The issue's tamper test: change entry #3 with raw SQL; verify names entry #3."""
    write(5)
    assert "intact: 5 entries" in verify_command()
    tamper("UPDATE audit_auditentry SET action = %s WHERE id = %s", ["test.innocent", 3])
    assert AuditEntry.objects.get(pk=3).action == "test.innocent"

    with pytest.raises(CommandError, match=r"#3\b") as excinfo:
        verify_command()
    assert "content does not match its hash" in str(excinfo.value)
    assert "2 entries before it are intact" in str(excinfo.value)

    result = verify_chain()
    assert not result.ok
    assert result.broken_id == 3
    assert result.checked == 2


def test_changed_detail_is_found():
    write(5)
    value = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    tamper(f"UPDATE audit_auditentry SET detail = {value} WHERE id = 3", ['{"i": 33}'])
    assert AuditEntry.objects.get(pk=3).detail == {"i": 33}
    with pytest.raises(CommandError, match=r"#3\b"):
        verify_command()
    assert verify_chain().broken_id == 3


def test_changed_time_is_found():
    write(5)
    entry = AuditEntry.objects.get(pk=3)
    tamper(
        "UPDATE audit_auditentry SET at = %s WHERE id = 3",
        [connection.ops.adapt_datetimefield_value(entry.at.replace(year=entry.at.year - 1))],
    )
    assert verify_chain().broken_id == 3


def test_rehashed_row_is_caught_at_the_next_entry():
    """Recomputing the changed row's own hash does not help: entry #4 points at the old hash."""
    write(5)
    entry = AuditEntry.objects.get(pk=3)
    entry.action = "test.innocent"
    new_hash = compute_hash(entry)
    tamper(
        "UPDATE audit_auditentry SET action = %s, hash = %s WHERE id = 3",
        ["test.innocent", new_hash],
    )
    result = verify_chain()
    assert result.broken_id == 4
    assert result.reason == "previous hash does not match"
    assert result.checked == 3
    with pytest.raises(CommandError, match=r"#4\b"):
        verify_command()


def test_removed_tail_is_found_through_the_head():
    write(5)
    tamper("DELETE FROM audit_auditentry WHERE id >= 4")
    assert AuditEntry.objects.count() == 3
    result = verify_chain()
    assert not result.ok
    assert result.checked == 3
    assert result.broken_id == 4
    assert result.reason == "entries after this point were removed"
    with pytest.raises(CommandError, match=r"#4\b"):
        verify_command()


def test_removed_last_entry_is_found():
    write(5)
    tamper("DELETE FROM audit_auditentry WHERE id = 5")
    assert verify_chain().broken_id == 5


def test_removed_middle_entry_is_found():
    write(5)
    tamper("DELETE FROM audit_auditentry WHERE id = 2")
    result = verify_chain()
    assert result.broken_id == 2
    assert result.reason == "entry missing from the chain"


def test_removed_first_entry_is_found():
    write(3)
    tamper("DELETE FROM audit_auditentry WHERE id = 1")
    assert verify_chain().broken_id == 1


def test_removed_everything_is_found():
    write(3)
    tamper("DELETE FROM audit_auditentry")
    result = verify_chain()
    assert not result.ok
    assert result.broken_id == 1


def test_head_is_not_moved_by_a_refused_write():
    write(2)
    head = AuditHead.objects.get(pk=1)
    assert_refused("DELETE FROM audit_auditentry WHERE id = 2")
    assert AuditHead.objects.get(pk=1).last_hash == head.last_hash


def test_head_cannot_be_wound_back_or_deleted(empty_log):
    """Deleting the newest entries and winding the head back needs the triggers gone."""
    entries = write(4)
    for statement, params in (
        ("UPDATE audit_audithead SET last_id = %s, last_hash = %s", [2, entries[1].hash]),
        ("UPDATE audit_audithead SET last_id = %s, last_hash = %s", [5, "0" * 64]),
        ("DELETE FROM audit_audithead", []),
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, params)
    assert AuditHead.objects.get(pk=1).last_id == 4
    # The writer itself still advances the head.
    write(1, action="test.more")
    assert AuditHead.objects.get(pk=1).last_id == 5
