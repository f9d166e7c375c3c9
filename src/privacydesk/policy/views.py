"""Public policy pages and the staff Art. 30 register. Thin: the work is in services."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import translation
from django.utils.translation import gettext as _

from privacydesk.audit.services import actor_for, record
from privacydesk.policy import diff, register, services
from privacydesk.policy.models import PolicyVersion


def _lang() -> str:
    return "en" if translation.get_language() == "en" else "nl"


def privacy(request: HttpRequest) -> HttpResponse:
    version = services.latest_version()
    if version is None:
        raise Http404
    return render(
        request,
        "policy/page.html",
        {"version": version, "body": version.html(_lang()), "title": _("Privacy policy")},
    )


def versions(request: HttpRequest) -> HttpResponse:
    listed = list(
        PolicyVersion.objects.order_by("-number").only(
            "number", "published_at", "effective_date", "note"
        )
    )
    return render(request, "policy/versions.html", {"versions": listed})


#: Version numbers are small positive integers; anything outside fits no database column.
MAX_VERSION = 2**31


def version_detail(request: HttpRequest, number: int) -> HttpResponse:
    if not 0 < number < MAX_VERSION:
        raise Http404
    version = get_object_or_404(PolicyVersion, number=number)
    return render(
        request,
        "policy/page.html",
        {"version": version, "body": version.html(_lang()), "archived": True},
    )


def version_diff(request: HttpRequest) -> HttpResponse:
    """Two versions compared block by block; a missing version is a 404 that says which."""
    try:
        a_number = int(request.GET.get("from", ""))
        b_number = int(request.GET.get("to", ""))
    except ValueError:
        a_number = b_number = 0
    if not all(0 < n < MAX_VERSION for n in (a_number, b_number)):
        return render(
            request,
            "policy/diff.html",
            {"error": _("Choose two versions to compare.")},
            status=400,
        )
    found = {v.number: v for v in PolicyVersion.objects.filter(number__in=[a_number, b_number])}
    missing = [n for n in (a_number, b_number) if n not in found]
    if missing:
        message = _("There is no version %(number)s of the privacy policy.") % {
            "number": missing[0]
        }
        return render(request, "policy/diff.html", {"error": message}, status=404)
    a, b = found[a_number], found[b_number]
    blocks = diff.diff_versions(a, b, _lang())
    context = {"a": a, "b": b, "blocks": blocks, "summary": diff.summary(blocks)}
    return render(request, "policy/diff.html", context)


def cookies(request: HttpRequest) -> HttpResponse:
    model = services.current_model()
    return render(request, "policy/cookies.html", {"cookies": services.cookie_rows(model, _lang())})


def _require_register(request: HttpRequest) -> None:
    if not request.user.has_perm("policy.view_processingactivity"):
        raise PermissionDenied


def register_page(request: HttpRequest) -> HttpResponse:
    """The Art. 30 register in the page's language; each view is audited (P3)."""
    _require_register(request)
    model = services.current_model()
    lang = _lang()
    context = {
        **admin.site.each_context(request),
        "title": _("Record of processing activities (Art. 30)"),
        "columns": register.headings(lang),
        "rows": register.register_rows(model, lang),
    }
    record(actor=actor_for(request.user), action="register.viewed", detail={"language": lang})
    return render(request, "policy/register.html", context)


def register_export(request: HttpRequest, fmt: str) -> HttpResponse:
    _require_register(request)
    if fmt not in ("csv", "json"):
        raise Http404
    model = services.current_model()
    lang = request.GET.get("lang") if request.GET.get("lang") in services.LANGS else _lang()
    if fmt == "csv":
        body, content_type = register.export_csv(model, lang), "text/csv; charset=utf-8"
    else:
        body, content_type = register.export_json(model, lang), "application/json"
    record(
        actor=actor_for(request.user),
        action="register.exported",
        detail={"format": fmt, "language": lang},
    )
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="art30-register-{lang}.{fmt}"'
    return response
