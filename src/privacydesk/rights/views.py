"""The public request pages (P14): the form, the verification link, the package download.

The form gives the same answer whether or not we know the address (a request is recorded
and a link sent either way), is limited per client and per address, and never answers
with a 500: a bad token, an expired link or a broken form is a page that says so.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from privacydesk.audit.services import record
from privacydesk.rights import services
from privacydesk.rights.forms import PublicRequestForm
from privacydesk.rights.models import Request


def _client(request: HttpRequest) -> str:
    from ipware import get_client_ip

    address, _routable = get_client_ip(request)
    return services.client_reference(address or "unknown")


def _limited(client_ref: str, email: str) -> bool:
    since = timezone.now() - timedelta(hours=1)
    recent = Request.objects.filter(channel=Request.Channel.WEB, received_at__gte=since)
    limit = settings.RIGHTS_FORM_LIMIT
    return (
        recent.filter(client_ref=client_ref).count() >= limit
        or recent.filter(email__iexact=email).count() >= limit
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def request_form(request: HttpRequest) -> HttpResponse:
    form = PublicRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            client_ref = _client(request)
            email = form.cleaned_data["email"]
            if _limited(client_ref, email):
                return render(request, "rights/public_limited.html", status=429)
            req = services.create(
                kind=form.cleaned_data["kind"],
                channel=Request.Channel.WEB,
                actor="system:web",
                email=email,
                name=form.cleaned_data["name"],
                message=form.cleaned_data["message"],
                language=translation.get_language() or "nl",
                client_ref=client_ref,
            )
            services.send_verification(req, base=request.build_absolute_uri("/").rstrip("/"))
            return redirect(reverse("rights:sent"))
        status = 400
    return render(request, "rights/public_form.html", {"form": form}, status=status)


@require_safe
def sent(request: HttpRequest) -> HttpResponse:
    hours = settings.RIGHTS_VERIFY_SECONDS // 3600
    return render(request, "rights/public_sent.html", {"hours": hours})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def verify(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (a mail scanner that follows links verifies nothing); POST verifies."""
    req = services.request_for_token(token)
    if req is None or req.state == Request.State.EXPIRED:
        return render(request, "rights/public_verify.html", {"state": "invalid"}, status=404)
    if request.method == "POST" and req.state == Request.State.UNVERIFIED:
        services.verify(req, actor="system:web")
        req.refresh_from_db()
    state = "ask" if req.state == Request.State.UNVERIFIED else "done"
    context = {
        "state": state,
        "req": req,
        "deadline": req.deadline,
        "automatic": req.kind in services.AUTOMATIC,
    }
    return render(request, "rights/public_verify.html", context)


@never_cache
@require_safe
def download(request: HttpRequest, token: str) -> HttpResponse:
    req = services.request_for_package(token)
    if req is None or not default_storage.exists(req.package):
        return render(request, "rights/public_verify.html", {"state": "package_gone"}, status=404)
    record(
        actor="system:web",
        action="rights.package_downloaded",
        obj=req,
        subject=services.subject_reference(req),
    )
    name = "data.json" if req.kind == Request.Kind.PORTABILITY else "persoonsgegevens.zip"
    fh = default_storage.open(req.package, "rb")
    if req.kind == Request.Kind.PORTABILITY:
        import zipfile

        with zipfile.ZipFile(fh) as archive:
            data = archive.read("data.json")
        fh.close()
        return HttpResponse(
            data,
            content_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return FileResponse(fh, as_attachment=True, filename=name, content_type="application/zip")
