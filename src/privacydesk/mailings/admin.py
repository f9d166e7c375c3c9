"""The newsletter in the back office index: links to its own pages, never Django's model pages
(those would list subscribers without an audit entry)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path

from privacydesk.mailings.models import Campaign, Suppression
from privacydesk.spine.admin_base import ReadOnlyAdmin


class _PointsAt(ReadOnlyAdmin):
    target = ""

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_changelist"
        return [path("", self.admin_site.admin_view(self.to_page), name=name)]

    def to_page(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return redirect(self.target)


@admin.register(Campaign)
class CampaignAdmin(_PointsAt):
    target = "admin:mailings"


@admin.register(Suppression)
class SuppressionAdmin(_PointsAt):
    target = "admin:mailings_suppression"
