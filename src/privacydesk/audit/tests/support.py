"""Test support around the audit log's database protection.

``audit_protection_removed`` does what someone who owns the database can do: take the
append-only triggers away for a while and put them back (the tamper tests need that).

``audit_log_flushable`` lets transactional tests (``django_db(transaction=True)``) clean up:
Django empties every table after such a test, with ``TRUNCATE`` on PostgreSQL and ``DELETE`` on
SQLite, and the triggers rightly refuse both for the audit log.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection

from privacydesk.audit.models import AuditEntry
from privacydesk.audit.services import record

# The migration modules' names start with a digit, so they cannot be imported with ``import``.
triggers = importlib.import_module("privacydesk.audit.migrations.0002_append_only_triggers")
head_triggers = importlib.import_module("privacydesk.audit.migrations.0003_head_moves_forward_only")


@contextmanager
def audit_protection_removed() -> Iterator[None]:
    """Drop (SQLite) or disable (PostgreSQL) the audit triggers; restore them after."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
            cursor.execute("ALTER TABLE audit_audithead DISABLE TRIGGER USER")
        else:
            for statement in triggers.SQLITE_BACKWARD + head_triggers.SQLITE_BACKWARD:
                cursor.execute(statement)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER USER")
                cursor.execute("ALTER TABLE audit_audithead ENABLE TRIGGER USER")
            else:
                for statement in triggers.SQLITE_FORWARD + head_triggers.SQLITE_FORWARD:
                    cursor.execute(statement)


def write(n: int, action: str = "test.step") -> list[AuditEntry]:
    """Append ``n`` harmless entries (``test.step1`` ... ``test.stepN``)."""
    return [
        record(actor="system:test", action=f"{action}{i}", detail={"i": i}) for i in range(1, n + 1)
    ]


@pytest.fixture
def empty_log(db):
    """Start from an empty audit log, so a test's entries are #1, #2, ...

    Other apps write entries while the test database is set up (post_migrate hooks); they are
    removed here, inside the test's transaction, which puts them back afterwards.
    """
    with audit_protection_removed(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry")
        cursor.execute("DELETE FROM audit_audithead")


def _is_transactional(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


@pytest.fixture(autouse=True)
def audit_log_flushable(request, django_db_blocker):
    """After a transactional test, let Django's flush empty the audit log too.

    Runs before pytest-django's own teardown (its database fixture is set up first, so it is
    torn down last). PostgreSQL: ``session_replication_role = replica`` switches triggers off
    for this connection only; Django closes the connection after the flush, so the setting
    dies with it. SQLite: the rows are deleted with the triggers briefly dropped.
    """
    yield
    if not _is_transactional(request):
        return
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = replica")
        else:
            with audit_protection_removed(), connection.cursor() as cursor:
                cursor.execute("DELETE FROM audit_auditentry")
                cursor.execute("DELETE FROM audit_audithead")
