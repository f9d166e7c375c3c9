"""Read-only views of the loaded model and the published versions for staff."""

from django.contrib import admin

from privacydesk.policy.models import ModelRevision, PolicyVersion, ProcessingActivity


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProcessingActivity)
class ProcessingActivityAdmin(ReadOnly):
    list_display = ("key", "name_nl", "legal_basis", "retention", "retention_from", "active")
    list_filter = ("legal_basis", "active")


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnly):
    list_display = ("number", "effective_date", "published_at", "note")
    exclude = ("html_nl", "html_en")


@admin.register(ModelRevision)
class ModelRevisionAdmin(ReadOnly):
    list_display = ("sha256", "loaded_at")
