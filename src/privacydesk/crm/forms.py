"""Forms of the CRM's staff pages; the field rules are the models' (``validators``)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacydesk.crm.models import Contact, Interaction, Invoice, Organisation
from privacydesk.crm.validators import normalise_email, normalise_text


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ("name", "email", "phone", "function", "organisation")
        widgets = {
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.order_by("name")
        self.fields["organisation"].empty_label = _("(none)")

    def clean_name(self) -> str:
        return normalise_text(self.cleaned_data["name"])

    def clean_email(self) -> str:
        return normalise_email(self.cleaned_data["email"])

    def clean_phone(self) -> str:
        return normalise_text(self.cleaned_data["phone"])

    def clean_function(self) -> str:
        return normalise_text(self.cleaned_data["function"])


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ("name", "kind", "kvk_number")

    def clean_name(self) -> str:
        return normalise_text(self.cleaned_data["name"])


class InteractionForm(forms.ModelForm):
    class Meta:
        model = Interaction
        fields = ("kind", "date", "text")
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "text": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"date": timezone.localdate(), "kind": "call"})
        super().__init__(*args, **kwargs)
        self.fields["date"].input_formats = ["%Y-%m-%d", "%d-%m-%Y"]

    def clean_date(self):
        value = self.cleaned_data["date"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("An interaction cannot be in the future."))
        return value


class InvoiceForm(forms.ModelForm):
    class Meta:
        model = Invoice
        fields = ("number", "date", "amount_excl_vat", "vat_amount", "amount_incl_vat", "paid")
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"date": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["date"].input_formats = ["%Y-%m-%d", "%d-%m-%Y"]
        for name in ("amount_excl_vat", "vat_amount", "amount_incl_vat"):
            self.fields[name].localize = True
            self.fields[name].widget = forms.TextInput(attrs={"inputmode": "decimal"})

    def clean_number(self) -> str:
        return self.cleaned_data["number"].strip()


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns name and email (or naam and e-mail), optionally phone, function, "
            "organisation and newsletter; separated by ; or ,; UTF-8 or Windows-1252."
        ),
        allow_empty_file=True,
    )
