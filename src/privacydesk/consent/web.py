"""HTTP helpers of the embeddable endpoints (consent and tracking): CORS and small JSON bodies.

A page of an allowed origin (``PRIVACYDESK_EMBED_ORIGINS``) or of this site may call the
endpoints; CORS headers name only those origins, and a request that a browser sent from any
other origin is refused (403) before anything is stored. Requests without an ``Origin``
header do not come from a page script of another site (a browser sends one with every
cross-origin request and every POST).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

JSON_TYPES = {"text/plain", "application/json"}


class BadInput(Exception):
    """A request the endpoint cannot take: ``status`` is the 4xx answer."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def own_origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}".lower()


def origin_allowed(request: HttpRequest) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    origin = origin.lower().rstrip("/")
    try:
        own = own_origin(request)
    except Exception:  # DisallowedHost: Django answers 400 itself elsewhere; refuse here
        return False
    return origin == own or origin in settings.EMBED_ORIGINS


def _cors_headers(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    origin = request.headers.get("Origin", "").lower().rstrip("/")
    if origin and origin in settings.EMBED_ORIGINS:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "600"
    response["Vary"] = "Origin"
    # The page of another site must be able to read the answer (COEP/CORP of this site).
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def embeddable(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """CORS for the allowed origins, preflight answered, other origins refused, no CSRF
    token (the endpoints read no cookie, so a forged request has nothing to ride on)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not origin_allowed(request):
            return HttpResponse(status=403)
        if request.method == "OPTIONS":
            return _cors_headers(request, HttpResponse(status=204))
        try:
            response = view(request, *args, **kwargs)
        except BadInput as exc:
            response = HttpResponse(exc.reason, status=exc.status, content_type="text/plain")
        return _cors_headers(request, response)

    return csrf_exempt(wrapper)


def read_json(request: HttpRequest, *, limit: int) -> dict:
    """The body as a JSON object: text/plain (what ``sendBeacon`` and simple requests send)
    or application/json, UTF-8, at most ``limit`` bytes, every string encodable as UTF-8;
    :class:`BadInput` otherwise."""
    content_type = request.content_type or ""
    if content_type not in JSON_TYPES:
        raise BadInput(415, "text/plain or application/json only")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise BadInput(400, "bad Content-Length") from None
    if declared > limit:
        raise BadInput(413, "too large")
    raw = request.read(limit + 1)
    if len(raw) > limit:
        raise BadInput(413, "too large")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadInput(400, "not JSON in UTF-8") from None
    if not isinstance(data, dict):
        raise BadInput(400, "a JSON object is expected")
    if b"\\u" in raw and not encodable(data):
        raise BadInput(400, "not JSON in UTF-8")  # a lone surrogate escape such as \ud800
    return data


def encodable(value: object) -> bool:
    """Every string in ``value`` (keys too) can be written as UTF-8: no lone surrogate, which
    a JSON ``\\ud800`` escape yields from plain ASCII bytes and no database can store."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError, RecursionError):
        return False
    return True


class Window:
    """Counts per key in the current minute (per web process; enough to stop one source)."""

    def __init__(self) -> None:
        self.minute = 0
        self.counts: Counter = Counter()
        self.lock = threading.Lock()

    def over(self, key: object, limit: int) -> bool:
        minute = int(time.monotonic() // 60)
        with self.lock:
            if minute != self.minute:
                self.minute, self.counts = minute, Counter()
            self.counts[key] += 1
            return self.counts[key] > limit
