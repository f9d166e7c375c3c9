"""One row of every model the staff admin lists, so each change page can be opened."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone


def make_rows() -> dict[str, object]:
    """A row for each registered model that has none after migrating; keyed by model label."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_tasks_db.models import DBTaskResult

    from privacydesk.audit.services import record
    from privacydesk.jobs.models import PeriodicRun, WorkerHeartbeat

    now = timezone.now()
    common = {
        "username": "iemand",
        "ip_address": "203.0.113.5",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0",
        "http_accept": "text/html",
        "path_info": "/staff/login/",
    }
    rows: dict[str, object] = {
        "axes.AccessAttempt": AccessAttempt.objects.create(
            failures_since_start=2, get_data="", post_data="username=iemand", **common
        ),
        "axes.AccessLog": AccessLog.objects.create(**common),
        "axes.AccessFailureLog": AccessFailureLog.objects.create(locked_out=True, **common),
        "django_tasks_database.DBTaskResult": DBTaskResult.objects.create(
            args_kwargs={"args": [], "kwargs": {}},
            task_path="privacydesk.audit.tasks.verify_audit_chain",
            backend_name="default",
            run_after=now,
        ),
        "jobs.PeriodicRun": PeriodicRun.objects.get_or_create(
            name="vault.erase_expired", defaults={"next_run_at": now + timedelta(hours=1)}
        )[0],
        "jobs.WorkerHeartbeat": WorkerHeartbeat.objects.create(
            worker_id="w-1", hostname="backoffice-1", pid=4242, started_at=now, last_seen=now
        ),
    }
    rows["audit.AuditEntry"] = record(
        actor="system:test", action="staff.login_failed", detail={"account": "ref:1a2b"}
    )
    return rows
