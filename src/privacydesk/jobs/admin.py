"""The job queue's records for administrators: read-only, in the page's language.

django-tasks-db's own admin labels two columns with plain English strings ("traceback", "run
after") and its task name through a model property ("Task name"); this subclass of it labels
them through our catalogue. The field names the package marks for translation are in
``privacydesk/third_party_strings.py``.
"""

from django.contrib import admin
from django.contrib.admin.utils import display_for_value
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from privacydesk.jobs.models import PeriodicRun, WorkerHeartbeat
from privacydesk.spine.admin_base import ReadOnlyAdmin


@admin.register(PeriodicRun)
class PeriodicRunAdmin(ReadOnlyAdmin):
    list_display = ("name", "next_run_at", "last_enqueued_at", "last_result_id")


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ("worker_id", "hostname", "pid", "started_at", "last_seen")


if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    list_display = (
        "id",
        "task",
        "status",
        "enqueued_at",
        "started_at",
        "finished_at",
        "priority",
        "queue_name",
    )

    @admin.display(description=_("task"))
    def task(self, obj: DBTaskResult) -> str:
        return obj.task_name

    @admin.display(description=_("traceback"))
    def formatted_traceback(self, obj: DBTaskResult) -> str:
        return super().formatted_traceback(obj)

    @admin.display(description=_("run after"))
    def display_run_after(self, obj: DBTaskResult) -> str:
        # The package returns the datetime itself, which the detail page shows unformatted.
        return display_for_value(super().display_run_after(obj), self.get_empty_value_display())
