from django.contrib import admin

from privacydesk.backoffice.admin_base import ReadOnlyAdmin
from privacydesk.jobs.models import PeriodicRun, WorkerHeartbeat


@admin.register(PeriodicRun)
class PeriodicRunAdmin(ReadOnlyAdmin):
    list_display = ("name", "next_run_at", "last_enqueued_at", "last_result_id")


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ("worker_id", "hostname", "pid", "started_at", "last_seen")
