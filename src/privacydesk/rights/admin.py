"""Requests in the back office index: links to the rights app's own pages (audited, with the
deadline and the steps), never Django's model pages."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path

from privacydesk.rights.models import Request
from privacydesk.spine.admin_base import ReadOnlyAdmin


@admin.register(Request)
class RequestAdmin(ReadOnlyAdmin):
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "",
                self.admin_site.admin_view(self.to_queue),
                name=f"{info[0]}_{info[1]}_changelist",
            ),
            path(
                "<int:object_id>/change/",
                self.admin_site.admin_view(self.to_request),
                name=f"{info[0]}_{info[1]}_change",
            ),
        ]

    def to_queue(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return redirect("admin:rights_queue")

    def to_request(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return redirect("admin:rights_request", object_id)
