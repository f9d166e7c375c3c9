from django.contrib import admin

from privacydesk.jobs.models import PeriodicRun, WorkerHeartbeat
from privacydesk.spine.admin_base import ReadOnlyAdmin


@admin.register(PeriodicRun)
class PeriodicRunAdmin(ReadOnlyAdmin):
    list_display = ("name", "next_run_at", "last_enqueued_at", "last_result_id")


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ("worker_id", "hostname", "pid", "started_at", "last_seen")
