from django import forms
from django.utils.translation import gettext_lazy as _

from privacydesk.accounts.models import User
from privacydesk.accounts.roles import ROLES


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code from your authenticator app"),
        min_length=6,
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _role_field(**kwargs) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Role"),
        choices=[(name, role.label) for name, role in ROLES.items()],
        widget=forms.RadioSelect,
        help_text=_("Each staff member has exactly one role."),
        **kwargs,
    )


class StaffUserAddForm(forms.ModelForm):
    """A new staff member: no password here; they choose it from the invitation e-mail."""

    role = _role_field()

    class Meta:
        model = User
        fields = ("username", "first_name", "last_name", "email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].help_text = _(
            "The invitation goes here: a link where they choose their own password. "
            "It cannot be changed here later."
        )

    def save(self, commit: bool = True):
        user = super().save(commit=False)
        user.is_staff = True
        user.set_unusable_password()
        if commit:
            user.save()
        return user


class StaffUserChangeForm(forms.ModelForm):
    """A staff member's record; the role is one choice, the password is not here at all."""

    role = _role_field(required=True)

    class Meta:
        model = User
        fields = ("username", "first_name", "last_name", "email", "is_active", "is_staff")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["role"].initial = self.instance.role
