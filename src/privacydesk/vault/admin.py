"""The vault in the back office index: links to its own pages, never Django's model pages.

A plain ``ModelAdmin`` would list every job to anyone with the view permission, without the
technician's own-jobs limit and without an audit entry; these registrations only point the
index at the vault's scoped, audited pages (``staff_views``).
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path

from privacydesk.spine.admin_base import ReadOnlyAdmin
from privacydesk.vault.models import RecoveryJob


@admin.register(RecoveryJob)
class RecoveryJobAdmin(ReadOnlyAdmin):
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "", self.admin_site.admin_view(self.to_jobs), name=f"{info[0]}_{info[1]}_changelist"
            ),
            path(
                "<int:object_id>/change/",
                self.admin_site.admin_view(self.to_job),
                name=f"{info[0]}_{info[1]}_change",
            ),
        ]

    def to_jobs(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return redirect("admin:vault_jobs")

    def to_job(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return redirect("admin:vault_job", object_id)
