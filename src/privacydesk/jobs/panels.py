from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django_tasks_db.models import DBTaskResult

from privacydesk.spine.panels import panel


@panel
def jobs_panel(request: HttpRequest) -> dict | None:
    """Failed jobs must be visible, not buried in a log."""
    if not request.user.has_perm("django_tasks_database.view_dbtaskresult"):
        return None
    from privacydesk.jobs.models import WorkerHeartbeat

    failed = DBTaskResult.objects.failed().count()
    waiting = DBTaskResult.objects.ready().count()
    lines = [
        _("%(count)d failed jobs") % {"count": failed},
        _("%(count)d jobs waiting") % {"count": waiting},
        _("%(count)d workers seen") % {"count": WorkerHeartbeat.objects.count()},
    ]
    return {
        "title": _("Background jobs"),
        "lines": lines,
        "alert": failed > 0,
        "link": reverse("admin:django_tasks_database_dbtaskresult_changelist")
        + "?status__exact=FAILED",
        "link_text": _("Show failed jobs"),
    }
