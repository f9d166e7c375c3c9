"""Admin pages that show personal data record every view in the audit log (P3)."""

from __future__ import annotations

from django.contrib.admin.utils import unquote
from django.http import HttpRequest, HttpResponse

from privacydesk.audit.services import actor_for, record


class AuditedAdminMixin:
    """Mix into a ``ModelAdmin`` whose rows hold personal data.

    Opening the list records ``<label>.list`` with the number of rows on the page; opening one
    object records ``<label>.view`` with its primary key, and deleting one records
    ``<label>.delete``. Nothing of the data itself is written, and never the object id as the
    URL gave it: a URL such as ``.../user/0612345678/change/`` carries whatever was typed (a
    phone number, an e-mail address), so only the primary key of an object that exists goes
    into the log. An id that names no object gets the admin's usual answer (back to the index
    with a message, or 404), never a 500.
    """

    def _audited_object(self, request: HttpRequest, object_id):
        """The object the URL names, or None when it names none (malformed or unknown)."""
        return self.get_object(request, unquote(str(object_id)))

    def _record_object(self, request: HttpRequest, action: str, obj) -> None:
        record(
            actor=actor_for(request.user),
            action=f"{self.model._meta.label_lower}.{action}",
            object_type=self.model._meta.label,
            object_id=str(obj.pk),
        )

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
        obj = self._audited_object(request, object_id)
        response = super().change_view(request, object_id, form_url, extra_context)
        if obj is not None and response.status_code in (200, 302):
            self._record_object(request, "view", obj)
        return response

    def delete_model(self, request: HttpRequest, obj) -> None:
        pk = obj.pk
        super().delete_model(request, obj)
        obj.pk = pk
        self._record_object(request, "delete", obj)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        pks = [str(pk) for pk in queryset.values_list("pk", flat=True)]
        super().delete_queryset(request, queryset)
        record(
            actor=actor_for(request.user),
            action=f"{self.model._meta.label_lower}.delete",
            object_type=self.model._meta.label,
            detail={"ids": pks},
        )
