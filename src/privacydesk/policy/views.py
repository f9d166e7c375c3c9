"""Public policy pages and the staff Art. 30 register. Thin: the work is in services."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import translation
from django.utils.translation import gettext as _

from privacydesk.audit.services import actor_for, record
from privacydesk.policy import register, services
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


def version_detail(request: HttpRequest, number: int) -> HttpResponse:
    version = get_object_or_404(PolicyVersion, number=number)
    return render(
        request,
        "policy/page.html",
        {"version": version, "body": version.html(_lang()), "archived": True},
    )


def version_diff(request: HttpRequest) -> HttpResponse:
    try:
        a_number = int(request.GET.get("from", ""))
        b_number = int(request.GET.get("to", ""))
    except ValueError:
        return render(
            request,
            "policy/diff.html",
            {"error": _("Choose two versions to compare.")},
            status=400,
        )
    a = get_object_or_404(PolicyVersion, number=a_number)
    b = get_object_or_404(PolicyVersion, number=b_number)
    lines = services.diff_versions(a, b, _lang())
    return render(request, "policy/diff.html", {"a": a, "b": b, "lines": lines})


def cookies(request: HttpRequest) -> HttpResponse:
    model = services.current_model()
    return render(request, "policy/cookies.html", {"cookies": services.cookie_rows(model, _lang())})


def _require_register(request: HttpRequest) -> None:
    if not request.user.has_perm("policy.view_processingactivity"):
        raise PermissionDenied


def register_page(request: HttpRequest) -> HttpResponse:
    _require_register(request)
    model = services.current_model()
    context = {
        **admin.site.each_context(request),
        "title": _("Record of processing activities (Art. 30)"),
        "columns": register.COLUMNS,
        "rows": register.register_rows(model, _lang()),
    }
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
    record(actor=actor_for(request.user), action="register.exported", detail={"format": fmt})
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="art30-register-{lang}.{fmt}"'
    return response
