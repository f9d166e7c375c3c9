"""Admin pages of sign-in security: TOTP devices and django-axes' records (admin role only).

- TOTP devices replace django_otp's admin, which shows the shared secret (the change form's
  key field, a config page and a QR code): whoever has it can make the codes. Here a device
  shows only that it exists; the one thing an administrator can do is delete it, which is a
  reset of that person's second factor (audited, the person is told, they enrol again).
  django-otp names its fields in plain English strings that no catalogue can translate, so
  this admin shows them through its own translated columns (one language per page).
- The lock-out records hold IP addresses and typed user names (P1): every list and every
  record opened is audited; unlocking (deleting an attempt) is audited too.
"""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.admin.utils import display_for_value
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from privacydesk.accounts.credentials import reset_second_factor
from privacydesk.audit.mixins import AuditedAdminMixin


class ConfirmedFilter(admin.BooleanFieldListFilter):
    """django-otp's ``confirmed`` under a translated title."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.title = _("set up")


if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class StaffTOTPDeviceAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Read-only: no key, no config or QR page; deleting a device resets the second factor."""

    list_display = ("device_user", "device_name", "device_confirmed", "created", "last_used")
    list_display_links = ("device_user", "device_name")
    list_filter = (("confirmed", ConfirmedFilter),)
    search_fields = ("user__username",)
    search_help_text = _("User name of the staff member")
    fields = list_display
    readonly_fields = fields
    list_select_related = ("user",)

    @admin.display(description=_("staff member"), ordering="user__username")
    def device_user(self, obj: TOTPDevice) -> str:
        return obj.user.get_username()

    @admin.display(description=_("name"), ordering="name")
    def device_name(self, obj: TOTPDevice) -> str:
        return obj.name

    @admin.display(description=_("set up"), boolean=True, ordering="confirmed")
    def device_confirmed(self, obj: TOTPDevice) -> bool:
        return obj.confirmed

    # display_for_value: the detail page shows a callable's value as it is, not localised.
    @admin.display(description=_("created at"), ordering="created_at")
    def created(self, obj: TOTPDevice) -> str:
        return display_for_value(obj.created_at, self.get_empty_value_display())

    @admin.display(description=_("last used at"), ordering="last_used_at")
    def last_used(self, obj: TOTPDevice) -> str:
        return display_for_value(obj.last_used_at, self.get_empty_value_display())

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: TOTPDevice) -> None:
        reset_second_factor(user=obj.user, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for user in {device.user for device in queryset.select_related("user")}:
            reset_second_factor(user=user, by=request.user)


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(AccessAttempt)
class StaffAccessAttemptAdmin(AuditedAdminMixin, _ReadOnly, AccessAttemptAdmin):
    """Current failure counts; deleting one unlocks that account for that address."""

    actions = []
    fieldsets = (
        (None, {"fields": ("username", "path_info", "failures_since_start", "attempt_time")}),
        (_("Meta Data"), {"fields": ("user_agent", "ip_address", "http_accept")}),
    )


@admin.register(AccessLog)
class StaffAccessLogAdmin(AuditedAdminMixin, _ReadOnly, AccessLogAdmin):
    pass


@admin.register(AccessFailureLog)
class StaffAccessFailureLogAdmin(AuditedAdminMixin, _ReadOnly, AccessFailureLogAdmin):
    pass
