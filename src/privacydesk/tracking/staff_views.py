"""Staff pages of tracking (DESIGN.md section 7): analytics, gated downloads, single visitors.

- ``/staff/tracking/``: aggregates (page views, top pages, downloads, consent decisions) for
  sales, the privacy officer and the admin (``tracking.view_analytics``);
- ``/staff/tracking/downloads/``: the gated downloads; sales and the admin add and change them;
- ``/staff/tracking/visitors/``: single visitors, their download profile, the CRM contact of
  the same address and their events: the privacy officer only (``tracking.view_visitor``),
  each list and each visitor audited.
"""

from __future__ import annotations

import uuid

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from privacydesk.audit.services import actor_for, record, subject_ref
from privacydesk.consent.models import ConsentRecord
from privacydesk.tracking import analytics, downloads
from privacydesk.tracking.forms import StaffDownloadForm
from privacydesk.tracking.models import Download, Question

ANALYTICS = "tracking.view_analytics"
VISITORS = "tracking.view_visitor"
VIEW_DOWNLOADS = "tracking.view_download"


def _require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _context(request: HttpRequest, title: str, **extra) -> dict:
    user = request.user
    return {
        **admin.site.each_context(request),
        "title": title,
        "can_analytics": user.has_perm(ANALYTICS),
        "can_visitors": user.has_perm(VISITORS),
        "can_downloads": user.has_perm(VIEW_DOWNLOADS),
        "can_write": user.has_perm("tracking.change_download"),
        **extra,
    }


# -- analytics ---------------------------------------------------------------------------------
@require_http_methods(["GET", "HEAD"])
def overview(request: HttpRequest) -> HttpResponse:
    _require(request, ANALYTICS)
    days = analytics.period(request.GET.get("days"))
    figures = analytics.overview(days)
    context = _context(
        request,
        _("Website analytics"),
        o=figures,
        charts=analytics.charts_for(figures),
        periods=list(analytics.PERIODS),
        kinds=analytics.kind_names(),
        kind_keys=list(ConsentRecord.Kind.values),
        lang=get_language(),
    )
    return render(request, "tracking/staff_analytics.html", context)


# -- gated downloads ---------------------------------------------------------------------------
def _question_names(download: Download) -> list[str]:
    labels = dict(Question.choices)
    return [str(labels[q]) for q in downloads.clean_questions(download.questions)]


@require_http_methods(["GET", "HEAD"])
def download_list(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW_DOWNLOADS)
    rows = Download.objects.annotate(handed_out=Count("deliveries"))
    items = [(d, _question_names(d)) for d in rows]
    return render(
        request,
        "tracking/staff_downloads.html",
        _context(request, _("Gated downloads"), items=items, lang=get_language()),
    )


def _save(request: HttpRequest, download: Download | None) -> HttpResponse:
    creating = download is None
    _require(request, "tracking.add_download" if creating else "tracking.change_download")
    initial = {} if creating else StaffDownloadForm.initial_for(download)
    if request.method == "POST":
        form = StaffDownloadForm(request.POST, request.FILES, creating=creating)
    else:
        form = StaffDownloadForm(initial=initial, creating=creating)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            values = form.cleaned_data
            upload = values.get("file") or None
            try:
                if creating:
                    download = downloads.create_download(
                        values, upload, actor=actor_for(request.user)
                    )
                else:
                    download = downloads.update_download(
                        download, values, upload, actor=actor_for(request.user)
                    )
            except downloads.DownloadError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The download is saved."))
                return redirect(reverse("admin:tracking_downloads"))
        status = 400
    title = _("New gated download") if creating else _("Change gated download")
    return render(
        request,
        "tracking/staff_download_form.html",
        _context(request, title, form=form, download=download),
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def download_add(request: HttpRequest) -> HttpResponse:
    return _save(request, None)


@require_http_methods(["GET", "HEAD", "POST"])
def download_edit(request: HttpRequest, download_id: int) -> HttpResponse:
    _require(request, "tracking.change_download")
    return _save(request, get_object_or_404(Download, pk=download_id))


# -- single visitors (privacy officer) ---------------------------------------------------------
@require_http_methods(["GET", "HEAD"])
def visitor_list(request: HttpRequest) -> HttpResponse:
    _require(request, VISITORS)
    rows = analytics.visitors()
    record(
        actor=actor_for(request.user),
        action="tracking.visitors_listed",
        object_type="tracking.Visitor",
        detail={"shown": len(rows)},
    )
    return render(
        request,
        "tracking/staff_visitors.html",
        _context(request, _("Visitors"), rows=rows),
    )


@require_http_methods(["GET", "HEAD"])
def visitor_detail(request: HttpRequest, visitor_id: str) -> HttpResponse:
    _require(request, VISITORS)
    try:
        key = uuid.UUID(visitor_id[:40])
    except ValueError:
        raise Http404 from None
    found = analytics.visitor_file(key)
    if found is None:
        raise Http404
    actor = actor_for(request.user)
    record(
        actor=actor,
        action="tracking.visitor_viewed",
        obj=found.visitor,
        subject=subject_ref("visitor_id", str(key)),
        detail={"events": len(found.events), "profile": found.profile is not None},
    )
    if found.profile is not None and found.profile.email:
        # The same read filed under the person's e-mail address, so their history finds it.
        record(
            actor=actor,
            action="tracking.visitor_viewed",
            obj=found.visitor,
            subject=subject_ref("email", found.profile.email.lower()),
            detail={"events": len(found.events), "profile": True},
        )
    labels = dict(Question.choices)
    answers = []
    if found.profile is not None:
        answers = [(labels[q], getattr(found.profile, q)) for q in Question.values]
    return render(
        request,
        "tracking/staff_visitor.html",
        _context(
            request,
            _("Visitor %(id)s") % {"id": str(key)[:8]},
            found=found,
            answers=answers,
            lang=get_language(),
            can_contacts=request.user.has_perm("crm.view_contact"),
        ),
    )
