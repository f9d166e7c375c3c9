"""Thin views of the back office shell and the public health check."""

from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from privacydesk.audit.services import actor_for, record
from privacydesk.backoffice import outbox


def _require(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def outbox_list(request: HttpRequest) -> HttpResponse:
    """The local outbox; recipients are personal data, so reading the list is audited."""
    _require(request, "backoffice.view_outbox")
    messages = outbox.list_messages()
    record(actor=actor_for(request.user), action="outbox.list", detail={"count": len(messages)})
    context = {
        **admin.site.each_context(request),
        "title": _("Outbox"),
        "outbox_messages": messages,
    }
    return render(request, "backoffice/outbox_list.html", context)


def outbox_message(request: HttpRequest, name: str) -> HttpResponse:
    _require(request, "backoffice.view_outbox")
    message = outbox.read_message(name)
    if message is None:
        raise Http404
    record(
        actor=actor_for(request.user),
        action="outbox.read",
        object_type="outbox.message",
        object_id=name[:-4],
    )
    context = {**admin.site.each_context(request), "title": message.subject, "message": message}
    return render(request, "backoffice/outbox_message.html", context)


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For monitors: 200 when the database answers; reports whether a worker is alive."""
    from privacydesk.jobs.models import WorkerHeartbeat

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    fresh = timezone.now() - timedelta(seconds=settings.JOBS_STALE_WORKER_SECONDS)
    workers = WorkerHeartbeat.objects.filter(last_seen__gte=fresh).count()
    return JsonResponse({"status": "ok", "database": "ok", "workers": workers})


def public_home(request: HttpRequest) -> HttpResponse:
    return render(request, "backoffice/public_home.html")


def public_services(request: HttpRequest) -> HttpResponse:
    """The demo company's services (``/diensten/``, ``/en/services/``)."""
    return render(request, "backoffice/public_services.html")
