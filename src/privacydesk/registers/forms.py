"""Forms of the registers' pages; every rule is the model's ``clean()`` (one place)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from privacydesk.registers.models import ART28_CHECKLIST, Breach, Disclosure, Processor

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DATETIME_FORMAT, **kwargs)


def _dates(form: forms.ModelForm) -> None:
    for field in form.fields.values():
        if isinstance(field, forms.DateTimeField):
            field.widget = DateTimeInput()
            field.input_formats = [DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
        elif isinstance(field, forms.DateField):
            field.widget = DateInput()
        elif isinstance(field.widget, forms.Textarea):
            field.widget.attrs.setdefault("rows", 3)


SUBJECTS_HELP = _(
    "One per line: an e-mail address, or kind:value (phone:+31612345678, "
    "customer_number:K-1001, visitor_id:...)."
)


class DisclosureForm(forms.ModelForm):
    subjects = forms.CharField(
        label=capfirst(_("people concerned")),
        required=False,
        widget=forms.Textarea,
        help_text=SUBJECTS_HELP,
    )
    records = forms.CharField(
        label=capfirst(_("records concerned")),
        required=False,
        widget=forms.Textarea,
        help_text=_("One per line: source:key, e.g. vault.RecoveryJob:12."),
    )
    place_hold = forms.BooleanField(
        label=capfirst(_("place a legal hold on these people and records")), required=False
    )

    class Meta:
        model = Disclosure
        fields = [
            f.name for f in Disclosure._meta.concrete_fields if f.editable and not f.primary_key
        ]
        fields.remove("created_by")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _dates(self)
        staff = get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username")
        self.fields["approved_by"].queryset = staff
        self.fields["approved_by"].label_from_instance = lambda u: u.get_username()


class ProcessorForm(forms.ModelForm):
    agreement = forms.FileField(
        label=capfirst(_("agreement file")),
        required=False,
        help_text=_("Stored encrypted. Choosing a file replaces the stored one."),
    )

    class Meta:
        model = Processor
        fields = [
            f.name for f in Processor._meta.concrete_fields if f.editable and not f.primary_key
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _dates(self)


CHECKLIST_FIELDS = tuple(f"art28_{k}" for k in ART28_CHECKLIST)


class BreachForm(forms.ModelForm):
    nature = forms.MultipleChoiceField(
        label=capfirst(_("nature of the breach")),
        choices=Breach.Nature.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    subjects = forms.CharField(
        label=capfirst(_("people concerned (for the letters)")),
        required=False,
        widget=forms.Textarea,
        help_text=SUBJECTS_HELP,
    )

    class Meta:
        model = Breach
        fields = [f.name for f in Breach._meta.concrete_fields if f.editable and not f.primary_key]
        fields.remove("created_by")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _dates(self)
