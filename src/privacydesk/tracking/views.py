"""The tracker's endpoint: POST /t/ (from this site or an allowed origin). Thin: ``services``.

Answers 202 when the event is kept and 204 when it is dropped (no tracking consent on the
server's record, Global Privacy Control, a bot, an event that is not one), 4xx for a request
that is not an event (too large, wrong type, not JSON in UTF-8) and 429 for a flood.
"""

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from privacydesk.consent.addresses import client_address
from privacydesk.consent.web import embeddable, read_json
from privacydesk.tracking import services

MAX_BODY = 4096


@embeddable
@require_http_methods(["POST", "OPTIONS"])
def collect(request: HttpRequest) -> HttpResponse:
    data = read_json(request, limit=MAX_BODY)
    try:
        status = services.accept(
            data,
            user_agent=request.headers.get("User-Agent", ""),
            gpc=request.headers.get("Sec-GPC", "").strip() == "1",
            ip_address=client_address(request),
        )
    except DatabaseError:  # the database is away or overloaded: nothing was stored
        return HttpResponse(status=503, headers={"Retry-After": "5"})
    return HttpResponse(status=status)
