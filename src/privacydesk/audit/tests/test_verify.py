"""``privacydesk audit verify`` and the periodic chain check."""

import logging
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from privacydesk.audit.models import AuditEntry
from privacydesk.audit.services import record, verify_chain
from privacydesk.audit.tasks import verify_audit_chain
from privacydesk.audit.tests.support import audit_protection_removed
from privacydesk.jobs.registry import PERIODIC, max_attempts_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_log")]


def write(n: int) -> None:
    for i in range(n):
        record(actor="system:test", action="test.entry", detail={"i": i})


def tamper_entry(entry_id: int) -> None:
    with audit_protection_removed(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditentry SET action = 'test.innocent' WHERE id = %s", [entry_id]
        )


def test_verify_command_reports_intact_with_the_count():
    write(7)
    out = StringIO()
    call_command("audit", "verify", "--no-progress", stdout=out)
    assert out.getvalue().strip() == "audit chain intact: 7 entries verified"


def test_verify_command_on_an_empty_log():
    out = StringIO()
    call_command("audit", "verify", "--no-progress", stdout=out)
    assert "intact: 0 entries" in out.getvalue()


def test_verify_command_with_progress_bar():
    write(3)
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert "intact: 3 entries" in out.getvalue()


def test_verify_command_fails_on_a_broken_chain():
    write(4)
    tamper_entry(2)
    with pytest.raises(CommandError, match=r"audit chain broken at entry #2\b"):
        call_command("audit", "verify", "--no-progress", stdout=StringIO())


def test_audit_command_needs_an_action():
    with pytest.raises(CommandError):
        call_command("audit")


def test_periodic_check_records_success():
    write(3)
    assert verify_audit_chain.call() == {"ok": True, "checked": 3, "broken_id": None}
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry.action == "audit.verified"
    assert entry.actor == "system:worker"
    assert entry.detail == {"checked": 3, "broken_id": None, "reason": ""}
    assert verify_chain().ok


def test_periodic_check_records_and_logs_a_broken_chain(caplog):
    write(5)
    tamper_entry(3)
    with caplog.at_level(logging.ERROR, logger="privacydesk.audit"):
        outcome = verify_audit_chain.call()
    assert outcome == {"ok": False, "checked": 2, "broken_id": 3}
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry.action == "audit.verify_failed"
    assert entry.detail["broken_id"] == 3
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert any("#3" in r.getMessage() for r in errors)


def test_panel_shows_a_broken_chain(staff_client):
    client = staff_client("privacy_officer")
    write(3)
    tamper_entry(2)
    verify_audit_chain.call()
    response = client.get("/staff/")
    panel = next(
        p for p in response.context["panels"] if p.get("link") == "/staff/audit/auditentry/"
    )
    assert panel["alert"]


def test_periodic_check_is_scheduled_daily_and_not_retried():
    from datetime import timedelta

    assert PERIODIC["audit.verify_chain"].task is verify_audit_chain
    assert PERIODIC["audit.verify_chain"].every == timedelta(hours=24)
    assert max_attempts_for(verify_audit_chain.module_path) == 1
