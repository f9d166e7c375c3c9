"""Staff look-up of a consent id: every decision with its proof (AVG art. 7(1)). Audited."""

from __future__ import annotations

import uuid

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from privacydesk.audit.services import actor_for, record, subject_ref
from privacydesk.consent import services

VIEW = "consent.view_consentrecord"


@require_safe
def lookup(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    raw = request.GET.get("id", "").strip()
    context = {**admin.site.each_context(request), "title": _("Consent look-up"), "asked": raw}
    if raw:
        try:
            consent_id = uuid.UUID(raw[:40])
        except ValueError:
            context["error"] = _(
                "That is not a consent number (it looks like 8-4-4-4-12 hexadecimal characters)."
            )
        else:
            records = services.records_of(consent_id)
            record(
                actor=actor_for(request.user),
                action="consent.looked_up",
                subject=subject_ref("visitor_id", str(consent_id)),
                detail={"records": len(records)},
            )
            context.update(
                consent_id=consent_id,
                records=records,
                problems=services.verify(records, consent_id),
                valid=services.is_valid(records[-1]) if records else False,
            )
    return render(request, "consent/lookup.html", context)
