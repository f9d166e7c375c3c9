"""The CRM in the back office index: links to its own pages, never Django's model pages.

A plain ``ModelAdmin`` would show contacts without an audit entry per view; these
registrations only point the index at the CRM's audited pages (``staff_views``).
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path

from privacydesk.crm.models import Contact, Organisation
from privacydesk.spine.admin_base import ReadOnlyAdmin


class _PointsToPages(ReadOnlyAdmin):
    page = ""

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "", self.admin_site.admin_view(self.to_page), name=f"{info[0]}_{info[1]}_changelist"
            ),
        ]

    def to_page(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return redirect(self.page)


@admin.register(Contact)
class ContactAdmin(_PointsToPages):
    page = "admin:crm_contacts"


@admin.register(Organisation)
class OrganisationAdmin(_PointsToPages):
    page = "admin:crm_organisations"
