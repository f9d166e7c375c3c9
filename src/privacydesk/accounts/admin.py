"""Staff user administration (admin role only). Roles are groups; a user has one role.

An administrator manages accounts but can never become someone else (P3): there is no page
that sets another person's password (new staff get an invitation link, others a reset link,
both e-mailed to the person), a staff member's e-mail address cannot be changed here by
someone else (it is where those links go), and second factors can only be reset, never read.
"""

from __future__ import annotations

import logging
import smtplib

from django.contrib import admin, messages
from django.contrib.auth.models import Group
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from privacydesk.accounts import (
    admin_signin,  # noqa: F401 - TOTP device and lock-out pages
    credentials,
)
from privacydesk.accounts.forms import StaffUserAddForm, StaffUserChangeForm
from privacydesk.accounts.models import User
from privacydesk.accounts.roles import ROLES, assign_role
from privacydesk.accounts.services import confirmed_device
from privacydesk.audit.mixins import AuditedAdminMixin
from privacydesk.audit.services import actor_for

log = logging.getLogger(__name__)

admin.site.unregister(Group)

_SEND_ERRORS = (smtplib.SMTPException, OSError, credentials.NoAddress)


def _base_url(request: HttpRequest) -> str:
    """Links in e-mails point at the address the administrator is using now."""
    return request.build_absolute_uri("/")


class RoleFilter(admin.SimpleListFilter):
    """Filter by role under the role's name, not the group's key (``privacy_officer``)."""

    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [(name, role.label) for name, role in ROLES.items()]

    def queryset(self, request, queryset):
        if self.value() in ROLES:
            return queryset.filter(groups__name=self.value())
        return queryset


@admin.register(User)
class StaffUserAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("username", "first_name", "last_name", "is_active", "role_label", "last_login")
    list_filter = ("is_active", RoleFilter)
    search_fields = ("username", "first_name", "last_name")
    ordering = ("username",)
    actions = ["reset_two_step", "send_password_link"]

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = StaffUserAddForm if obj is None else StaffUserChangeForm
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return ((None, {"fields": ("username", "first_name", "last_name", "email", "role")}),)
        return (
            (None, {"fields": ("username", "first_name", "last_name", "email")}),
            (_("Access"), {"fields": ("is_active", "is_staff", "role")}),
            (_("Sign-in"), {"fields": ("sign_in_state",)}),
            (_("Important dates"), {"fields": ("last_login", "date_joined")}),
        )

    def get_readonly_fields(self, request, obj=None):
        fields = ["last_login", "date_joined", "sign_in_state"]
        if obj is not None and obj.pk != request.user.pk:
            # Password links go to this address: whoever could change it could take the account.
            fields.append("email")
        return fields

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        assign_role(obj, form.cleaned_data["role"], actor=actor_for(request.user))
        if not change:
            self._invite(request, obj)

    def _invite(self, request: HttpRequest, user: User) -> None:
        try:
            # invite() is atomic: when the e-mail fails, its audit entry goes, the user stays.
            credentials.invite(user=user, by=request.user, base_url=_base_url(request))
        except _SEND_ERRORS as exc:
            log.warning("invitation for staff user %s not sent: %s", user.pk, type(exc).__name__)
            self.message_user(
                request,
                gettext(
                    "The invitation could not be sent. Use “Send a password-reset link” once "
                    "e-mail works again."
                ),
                messages.ERROR,
            )
        else:
            self.message_user(
                request, gettext("An invitation to choose a password was e-mailed to them.")
            )

    @admin.action(description=_("Reset two-step sign-in (lost phone)"), permissions=["change"])
    def reset_two_step(self, request, queryset):
        for user in queryset:
            credentials.reset_second_factor(user=user, by=request.user)
        self.message_user(
            request,
            gettext("The selected users set up two-step sign-in again at their next sign-in."),
        )

    @admin.action(description=_("Send a password-reset link"), permissions=["change"])
    def send_password_link(self, request, queryset):
        sent = failed = 0
        for user in queryset:
            try:
                credentials.send_password_reset(
                    user=user, by=request.user, base_url=_base_url(request)
                )
            except _SEND_ERRORS as exc:
                log.warning(
                    "reset link for staff user %s not sent: %s", user.pk, type(exc).__name__
                )
                failed += 1
            else:
                sent += 1
        if sent:
            self.message_user(
                request,
                gettext("A link to choose a new password was e-mailed to %(count)d users.")
                % {"count": sent},
            )
        if failed:
            self.message_user(
                request,
                gettext("%(count)d users got no link: no e-mail address, or e-mail failed.")
                % {"count": failed},
                messages.ERROR,
            )

    @admin.display(description=_("role"))
    def role_label(self, obj: User) -> str:
        role = ROLES.get(obj.role or "")
        return str(role.label) if role else "—"

    @admin.display(description=_("sign-in"))
    def sign_in_state(self, obj: User) -> str:
        password = (
            gettext("password chosen")
            if obj.has_usable_password()
            else gettext("invitation not yet accepted")
        )
        device = (
            gettext("two-step sign-in set up")
            if confirmed_device(obj) is not None
            else gettext("two-step sign-in not set up")
        )
        return f"{password}; {device}"
