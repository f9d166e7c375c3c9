"""Public pages of the gated downloads: ``/downloads/`` (``/en/downloads/``), one form per
download, the page with the signed link, and the file. Thin: see ``downloads``.

Who the visitor is comes from the server's consent record for the consent id in the
``pd_consent`` cookie (``downloads.consenting_visitor``), never from the form. Every bad input
gets a page with a 4xx status: an unknown download 404, a form with mistakes 400, a flood 429,
a changed link 400, an expired one 410.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from privacydesk.consent.addresses import client_address
from privacydesk.tracking import downloads
from privacydesk.tracking.forms import VisitorForm
from privacydesk.tracking.models import Download


def _lang() -> str:
    return "en" if get_language() == "en" else "nl"


def _visitor(request: HttpRequest) -> uuid.UUID | None:
    return downloads.consenting_visitor(
        request.COOKIES.get(downloads.CONSENT_COOKIE),
        gpc=request.headers.get("Sec-GPC", "").strip() == "1",
    )


@require_http_methods(["GET", "HEAD"])
def listing(request: HttpRequest) -> HttpResponse:
    lang = _lang()
    items = [(d, d.title(lang), d.summary(lang)) for d in downloads.published()]
    return render(request, "tracking/downloads.html", {"items": items})


def _published(slug: str) -> Download:
    return get_object_or_404(Download, slug=slug[:80], published=True)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def form(request: HttpRequest, slug: str) -> HttpResponse:
    download = _published(slug)
    state = downloads.form_state(download, _visitor(request))
    newsletter = state.newsletter_possible and downloads.newsletter_available()
    bound = VisitorForm(
        request.POST if request.method == "POST" else None,
        asked=state.asked,
        newsletter=newsletter,
    )
    status = 200
    if request.method == "POST":
        address = client_address(request)
        if not downloads.allow_form(address):
            status = 429
        elif bound.is_valid():
            answers = bound.answers()
            delivery = downloads.deliver(download, answers, visitor=state.visitor)
            asked_newsletter = bool(bound.cleaned_data.get("newsletter"))
            if asked_newsletter:
                known = state.profile
                downloads.request_newsletter(
                    answers.get("email") or state.known_email,
                    name=answers.get("name") or (known.name if known else ""),
                    form_url=request.build_absolute_uri(request.path),
                    ip_address=address,
                    language=_lang(),
                )
            token = downloads.link_token(delivery, newsletter=asked_newsletter)
            return redirect("tracking:download_ready", slug=download.slug, token=token)
        else:
            status = 400
    lang = _lang()
    context = {
        "download": download,
        "title": download.title(lang),
        "summary": download.summary(lang),
        "form": bound,
        "state": state,
        "throttled": status == 429,
    }
    return render(request, "tracking/download_form.html", context, status=status)


@require_POST
def forget(request: HttpRequest, slug: str) -> HttpResponse:
    """ "Not you?": the form forgets this browser's answers (the profile is erased)."""
    download = _published(slug)
    cookie = request.COOKIES.get(downloads.CONSENT_COOKIE, "")
    try:
        visitor = uuid.UUID(cookie.split(".", 1)[0][:36])
    except ValueError:
        visitor = None
    downloads.forget(visitor)
    return redirect(reverse("tracking:download", args=[download.slug]) + "#download-form")


def _link_problem(request: HttpRequest, token: str, *, expired: bool) -> HttpResponse:
    download = downloads.expired_download(token) if expired else None
    lang = _lang()
    context = {"expired": expired, "download": download}
    if download is not None:
        context["title"] = download.title(lang)
    return render(request, "tracking/link_invalid.html", context, status=410 if expired else 400)


@never_cache
@require_http_methods(["GET", "HEAD"])
def ready(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    try:
        delivery, newsletter = downloads.resolve(token)
    except downloads.ExpiredLink:
        return _link_problem(request, token, expired=True)
    except downloads.BadLink:
        return _link_problem(request, token, expired=False)
    if delivery.download.slug != slug:
        return _link_problem(request, token, expired=False)
    download = delivery.download
    context = {
        "download": download,
        "title": download.title(_lang()),
        "file_url": reverse("tracking:download_file", args=[token, download.file_name]),
        "newsletter": newsletter,
        "link_hours": settings.DOWNLOADS_LINK_HOURS,
    }
    return render(request, "tracking/download_ready.html", context)


@require_http_methods(["GET", "HEAD"])
def file(request: HttpRequest, token: str, name: str) -> HttpResponse:
    try:
        delivery, _newsletter = downloads.resolve(token)
    except downloads.ExpiredLink:
        return _link_problem(request, token, expired=True)
    except downloads.BadLink:
        return _link_problem(request, token, expired=False)
    download = delivery.download
    try:
        handle = download.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=download.file_name)
    response["Cache-Control"] = "private, no-store"
    return response
