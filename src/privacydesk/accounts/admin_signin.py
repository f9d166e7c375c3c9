"""Admin pages of sign-in security: TOTP devices and django-axes' records (admin role only).

- TOTP devices replace django_otp's admin, which shows the shared secret (the change form's
  key field, a config page and a QR code): whoever has it can make the codes. Here a device
  shows only that it exists; the one thing an administrator can do is delete it, which is a
  reset of that person's second factor (audited, the person is told, they enrol again).
- The lock-out records hold IP addresses and typed user names (P1): every list and every
  record opened is audited; unlocking (deleting an attempt) is audited too.
"""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from privacydesk.accounts.credentials import reset_second_factor
from privacydesk.audit.mixins import AuditedAdminMixin

if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class StaffTOTPDeviceAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Read-only: no key, no config or QR page; deleting a device resets the second factor."""

    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    search_fields = ("user__username",)
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    readonly_fields = fields
    list_select_related = ("user",)

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
