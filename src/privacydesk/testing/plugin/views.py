from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


def notes(request: HttpRequest) -> HttpResponse:
    """A staff page for the role the app grants ``audit.view_auditentry`` (sales, here)."""
    if not request.user.has_perm("audit.view_auditentry"):
        raise PermissionDenied
    return HttpResponse("plug-in notes", content_type="text/plain")
