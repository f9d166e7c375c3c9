"""Forms of the public request page and of the privacy officer's screens."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from privacydesk.rights.models import Request


class PublicRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What do you ask?"), choices=Request.Kind.choices, widget=forms.RadioSelect
    )
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        help_text=_("We send a link to this address; your request is handled once you open it."),
    )
    name = forms.CharField(label=_("Your name (optional)"), max_length=200, required=False)
    message = forms.CharField(
        label=_("Anything we should know (optional)"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For a correction: what is wrong and what it should be."),
    )


class StaffRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Request.Kind.choices)
    channel = forms.ChoiceField(
        label=_("Received by"),
        choices=[
            (Request.Channel.POST, Request.Channel.POST.label),
            (Request.Channel.PHONE, Request.Channel.PHONE.label),
            (Request.Channel.EMAIL, Request.Channel.EMAIL.label),
        ],
    )
    received_at = forms.DateTimeField(
        label=_("Received at"),
        widget=forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"}),
        help_text=_("The date on the letter's arrival or of the call: the legal start."),
    )
    email = forms.EmailField(label=_("E-mail address"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone number"), max_length=40, required=False)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    language = forms.ChoiceField(
        label=_("Language of the answer"), choices=[("nl", _("Dutch")), ("en", _("English"))]
    )
    identity_check = forms.CharField(
        label=_("How identity was checked"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    message = forms.CharField(
        label=_("What was asked"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    scan = forms.FileField(label=_("Scan of the letter"), required=False)

    def clean(self):
        data = super().clean()
        if not data.get("email") and not data.get("phone"):
            raise forms.ValidationError(_("Enter an e-mail address or a phone number."))
        return data


class ExtendForm(forms.Form):
    months = forms.TypedChoiceField(
        label=_("Extend by"),
        coerce=int,
        choices=[(1, _("one month")), (2, _("two months"))],
    )
    reason = forms.CharField(
        label=_("Reason (told to the requester)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (told to the requester)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CorrectionForm(forms.Form):
    new_email = forms.EmailField(
        label=_("Corrected e-mail address"), max_length=254, required=False
    )
    source = forms.CharField(label=_("Source"), max_length=100, required=False)
    field = forms.CharField(label=_("Field"), max_length=100, required=False)
    value = forms.CharField(label=_("New value"), max_length=2000, required=False)

    def clean(self):
        data = super().clean()
        if not data.get("new_email") and not (data.get("source") and data.get("field")):
            raise forms.ValidationError(
                _("Enter a corrected e-mail address, or a source, a field and its new value.")
            )
        return data
