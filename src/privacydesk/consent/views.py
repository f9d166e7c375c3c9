"""The banner's endpoints: its configuration and the visitor's decisions. Thin: ``services``."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods

from privacydesk.consent import services
from privacydesk.consent.addresses import client_address
from privacydesk.consent.web import BadInput, embeddable, read_json

MAX_BODY = 2048


@embeddable
@require_http_methods(["GET", "HEAD", "OPTIONS"])
def config(request: HttpRequest) -> HttpResponse:
    """Texts, version and endpoints in the URL's language (``/consent/banner.json``,
    ``/en/consent/banner.json``)."""
    lang = get_language() if get_language() in services.LANGS else "nl"
    response = JsonResponse(services.banner_config(lang, request.build_absolute_uri))
    response["Cache-Control"] = "public, max-age=300"
    return response


def _flag(data: dict, name: str) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise BadInput(400, f"{name} must be true or false")
    return value


def _decision(request: HttpRequest, data: dict) -> services.Decision:
    action = data.get("action")
    version = data.get("version")
    lang = data.get("lang", "nl")
    raw_id = data.get("id")
    if action not in services.ACTIONS:
        raise BadInput(400, "unknown action")
    if not isinstance(version, str) or len(version) > 64:
        raise BadInput(400, "version is required")
    if not isinstance(lang, str):
        raise BadInput(400, "bad language")
    consent_id = None
    if raw_id not in (None, ""):
        try:
            consent_id = uuid.UUID(str(raw_id)[:40])
        except ValueError:
            consent_id = None  # not one we issued: a new id is given
    gpc = _flag(data, "gpc") or request.headers.get("Sec-GPC", "").strip() == "1"
    return services.Decision(
        action=action,
        analytics=_flag(data, "analytics"),
        tracking=_flag(data, "tracking"),
        version=version,
        language=lang,
        gpc=gpc,
        consent_id=consent_id,
    )


@embeddable
@require_http_methods(["POST", "OPTIONS"])
def decide(request: HttpRequest) -> HttpResponse:
    """Record a decision; answer with the receipt the banner keeps in its cookie (429 and
    nothing recorded for a flood from one network or for one consent id)."""
    decision = _decision(request, read_json(request, limit=MAX_BODY))
    if services.flooded(decision, ip_address=client_address(request)):
        return JsonResponse({"error": "flood"}, status=429, headers={"Retry-After": "60"})
    try:
        rec = services.decide(
            decision,
            user_agent=request.headers.get("User-Agent", "")[:1000],
            ip_address=client_address(request),
            origin=request.headers.get("Origin", ""),
        )
    except services.StaleBanner:
        return JsonResponse({"error": "stale", "version": services.banner_version()}, status=409)
    return JsonResponse(
        {
            "id": str(rec.consent_id),
            "kind": rec.kind,
            "analytics": rec.analytics,
            "tracking": rec.tracking,
            "gpc": rec.gpc,
            "at": int(rec.at.timestamp()),
            "version": rec.banner_version,
        },
        status=201,
    )
