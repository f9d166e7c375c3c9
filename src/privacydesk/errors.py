"""Error pages in the page's language: the public site's look, or the back office's under /staff/.

Django's defaults answer a bare English "Not Found" or "403 Forbidden". These handlers
(``handler400`` ... ``handler500`` in ``urls.py``, ``CSRF_FAILURE_VIEW`` in settings) choose the
variant by the request's path and always link back. The language is the one the locale
middleware chose for the request. The 500 page renders without a request context and
without the database, because either may be what failed.
"""

from __future__ import annotations

import logging

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.templatetags.static import static
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

logger = logging.getLogger(__name__)

STAFF_PREFIX = "/staff/"


def is_staff_page(request: HttpRequest | None) -> bool:
    return request is not None and request.path_info.startswith(STAFF_PREFIX)


def _home(staff: bool) -> str:
    from django.urls import reverse

    try:
        return reverse("admin:index") if staff else reverse("home")
    except Exception:  # the URLconf itself may be what is broken
        return STAFF_PREFIX if staff else "/"


def _staff_context(request: HttpRequest) -> dict:
    """The back office's frame (user tools, sidebar), or none if it cannot be built."""
    try:
        return admin.site.each_context(request)
    except Exception:
        logger.exception("back-office context for an error page failed")
        return {}


def _render(request: HttpRequest, status: int, heading: str, message: str) -> HttpResponse:
    staff = is_staff_page(request)
    context = {
        "status": status,
        "heading": heading,
        "message": message,
        "home": _home(staff),
        "staff": staff,
        "title": heading,
    }
    if staff:
        context = {**_staff_context(request), **context}
    template = "errors/staff.html" if staff else "errors/public.html"
    body = loader.render_to_string(template, context, request)
    return HttpResponse(body, status=status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(
        request,
        400,
        _("Bad request"),
        _("The address or the form you sent could not be understood."),
    )


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(
        request,
        403,
        _("No access"),
        _("You do not have access to this page. Ask an administrator if you need it."),
    )


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(
        request,
        404,
        _("Page not found"),
        _(
            "This page does not exist (any more). Check the address, or start again from "
            "the home page."
        ),
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without a valid security token (an old tab, cookies blocked)."""
    return _render(
        request,
        403,
        _("Form expired"),
        _(
            "The form could not be accepted because its security check failed. This happens "
            "when a page was open for a long time or cookies are blocked. Go back, reload "
            "the page and try again."
        ),
    )


def server_error(request: HttpRequest | None = None) -> HttpResponse:
    """No context processors, no database, no template inheritance: only what cannot fail."""
    staff = is_staff_page(request)
    try:
        stylesheet = static("privacydesk/staff.css" if staff else "privacydesk/public.css")
    except Exception:  # a missing manifest entry must not turn the 500 page into a crash
        stylesheet = ""
    home = STAFF_PREFIX if staff else ("/en/" if translation.get_language() == "en" else "/")
    body = loader.get_template("500.html").render(
        {"staff": staff, "home": home, "stylesheet": stylesheet}
    )
    return HttpResponse(body, status=500)
