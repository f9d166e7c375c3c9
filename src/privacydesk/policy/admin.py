"""Read-only views of the loaded model and the published versions for staff."""

from django.contrib import admin

from privacydesk.backoffice.admin_base import ReadOnlyAdmin
from privacydesk.policy.models import ModelRevision, PolicyVersion, ProcessingActivity


@admin.register(ProcessingActivity)
class ProcessingActivityAdmin(ReadOnlyAdmin):
    list_display = ("key", "name_nl", "legal_basis", "retention", "retention_from", "active")
    list_filter = ("legal_basis", "active")


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnlyAdmin):
    list_display = ("number", "effective_date", "published_at", "note")
    exclude = ("html_nl", "html_en")


@admin.register(ModelRevision)
class ModelRevisionAdmin(ReadOnlyAdmin):
    list_display = ("sha256", "loaded_at")
