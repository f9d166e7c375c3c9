"""Staff browse and filter the audit log; nobody can add, change or delete entries."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from privacydesk.audit.models import AuditEntry
from privacydesk.spine.admin_base import ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "at", "actor", "action", "object_type", "object_id", "subject_ref")
    list_filter = ("action", "object_type", ("at", admin.DateFieldListFilter))
    search_fields = ("=actor", "=object_id", "=subject_ref", "action")
    search_help_text = _("Exact actor (user:12), object id or subject reference; part of action")
    date_hierarchy = "at"
    ordering = ("-id",)
    list_per_page = 100
    show_full_result_count = False
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
