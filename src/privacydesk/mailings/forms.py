"""The public signup form and the staff campaign form; every refusal names its field."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from privacydesk.mailings import services
from privacydesk.spine import mail


def _clean_text_line(value: str, *, field: str) -> str:
    if "\ufffd" in value:
        raise forms.ValidationError(
            _("The %(field)s holds characters that could not be read.") % {"field": field}
        )
    if not mail.is_header_safe(value):
        raise forms.ValidationError(
            _("The %(field)s may not contain line breaks or control characters.") % {"field": field}
        )
    return value


class SignupForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("E-mail address"),
        max_length=services.MAX_EMAIL,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    name = forms.CharField(
        label=gettext_lazy("Name (optional)"),
        max_length=services.MAX_NAME,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def clean_email(self) -> str:
        value = _clean_text_line(self.cleaned_data["email"], field=_("e-mail address"))
        try:
            return services.normalise_email(value)
        except services.InvalidAddress:
            raise forms.ValidationError(_("Enter a valid e-mail address.")) from None

    def clean_name(self) -> str:
        value = _clean_text_line(self.cleaned_data.get("name", ""), field=_("name"))
        if "<" in value or ">" in value:
            raise forms.ValidationError(_("The name may not contain < or >."))
        return value.strip()


class CampaignForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    markdown = forms.CharField(
        label=gettext_lazy("Text (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 16, "cols": 80}),
        max_length=200_000,
    )

    def clean_subject(self) -> str:
        return _clean_text_line(self.cleaned_data["subject"], field=_("subject")).strip()

    def clean_markdown(self) -> str:
        value = self.cleaned_data["markdown"]
        if "\ufffd" in value:
            raise forms.ValidationError(_("The text holds characters that could not be read."))
        return value


class TestSendForm(forms.Form):
    address = forms.EmailField(label=gettext_lazy("Send a test to"), max_length=services.MAX_EMAIL)
