"""Read-only views of the loaded model and the published versions for staff."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from privacydesk.policy.models import ModelRevision, PolicyVersion, ProcessingActivity
from privacydesk.spine.admin_base import ReadOnlyAdmin


@admin.register(ProcessingActivity)
class ProcessingActivityAdmin(ReadOnlyAdmin):
    """Keys and ISO periods are shown by their names in the page's language (one language
    per page); the detail page gives the raw codes beside them, as the model file has them."""

    list_display = ("key", "activity_name", "legal_basis", "retention_period", "active")
    list_filter = ("legal_basis", "retention_from", "active")
    fields = (
        "key",
        "name_nl",
        "name_en",
        "legal_basis",
        "retention_period",
        "retention",
        "retention_from",
        "active",
        "revision",
    )
    readonly_fields = fields

    @admin.display(description=_("name"), ordering="key")
    def activity_name(self, obj: ProcessingActivity) -> str:
        return obj.name

    @admin.display(description=_("retention period"))
    def retention_period(self, obj: ProcessingActivity) -> str:
        return obj.retention_display()


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnlyAdmin):
    list_display = ("number", "effective_date", "published_at", "note")
    exclude = ("html_nl", "html_en")


@admin.register(ModelRevision)
class ModelRevisionAdmin(ReadOnlyAdmin):
    list_display = ("sha256", "loaded_at")
