"""Admin pages that show personal data record every view in the audit log (P3)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from privacydesk.audit.services import actor_for, record


class AuditedAdminMixin:
    """Mix into a ``ModelAdmin`` whose rows hold personal data.

    Opening the list records ``<label>.list`` with the number of rows on the page; opening one
    object records ``<label>.view`` with its id. Nothing of the data itself is written.
    """

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}) or {}
        cl = changelist.get("cl")
        if response.status_code == 200 and cl is not None:
            record(
                actor=actor_for(request.user),
                action=f"{self.model._meta.label_lower}.list",
                detail={"rows": len(cl.result_list), "query": bool(cl.query)},
            )
        return response

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code in (200, 302):
            record(
                actor=actor_for(request.user),
                action=f"{self.model._meta.label_lower}.view",
                object_type=self.model._meta.label,
                object_id=str(object_id),
            )
        return response
