"""Staff user administration (admin role only). Roles are groups; a user has one role."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from privacydesk.accounts.models import User
from privacydesk.accounts.roles import ROLES
from privacydesk.accounts.services import reset_second_factor
from privacydesk.audit.mixins import AuditedAdminMixin

admin.site.unregister(Group)


@admin.register(User)
class StaffUserAdmin(AuditedAdminMixin, UserAdmin):
    list_display = ("username", "first_name", "last_name", "is_active", "role_label", "last_login")
    list_filter = ("is_active", "groups")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "groups")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ("last_login", "date_joined")
    filter_horizontal = ()
    actions = ["reset_two_step"]

    @admin.action(description=_("Reset two-step sign-in (lost phone)"), permissions=["change"])
    def reset_two_step(self, request, queryset):
        for user in queryset:
            reset_second_factor(user=user, by=request.user)
        self.message_user(
            request,
            _("The selected users set up two-step sign-in again at their next sign-in."),
        )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["queryset"] = Group.objects.filter(name__in=ROLES)
            kwargs["widget"] = forms.CheckboxSelectMultiple
            kwargs["help_text"] = _("Give each staff member exactly one role.")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("role"))
    def role_label(self, obj: User) -> str:
        role = ROLES.get(obj.role or "")
        return str(role.label) if role else "—"
