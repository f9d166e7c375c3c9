"""Forms of the vault's staff pages."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from privacydesk.vault.models import RecoveryJob


class JobForm(forms.Form):
    """Intake of a recovery job by a technician."""

    contact_email = forms.EmailField(
        label=_("Customer contact e-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    device = forms.CharField(
        label=_("Device"),
        max_length=RecoveryJob._meta.get_field("device").max_length,
        help_text=_("For example: the make, model and serial number of the disk."),
    )


class MultipleFileInput(forms.FileInput):
    """``<input type="file" multiple>`` (Django needs this flag to accept a list)."""

    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that cleans to a list of uploaded files (at least one when required)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if not files:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class UploadForm(forms.Form):
    files = MultipleFileField(
        label=_("Files"),
        # A recovered empty file is still the customer's file.
        allow_empty_file=True,
        help_text=_(
            "Choose one or more files. For disk images and large trees use the command line: "
            "privacydesk vault put."
        ),
    )


class HoldForm(forms.Form):
    held = forms.TypedChoiceField(
        choices=[("1", _("under legal hold")), ("0", _("no hold"))],
        coerce=lambda value: value == "1",
    )
