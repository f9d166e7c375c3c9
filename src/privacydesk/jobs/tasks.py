"""Housekeeping sweeps of the job queue itself."""

from datetime import timedelta

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from privacydesk.jobs.registry import job, periodic

SUCCESSFUL_KEPT = timedelta(days=30)
FAILED_KEPT = timedelta(days=90)


@periodic(every=timedelta(hours=24), name="jobs.prune_finished")
@job(max_attempts=1)
def prune_finished() -> dict:
    """Forget finished jobs after a while; failed ones stay longer so staff can look at them."""
    now = timezone.now()
    ok, _ = DBTaskResult.objects.successful().filter(finished_at__lt=now - SUCCESSFUL_KEPT).delete()
    failed, _ = DBTaskResult.objects.failed().filter(finished_at__lt=now - FAILED_KEPT).delete()
    return {"successful_removed": ok, "failed_removed": failed}
