"""The download form a visitor fills in, and the staff form of a download.

The visitor's form holds only the questions the server chose for them (``downloads.form_state``);
each answer follows the CRM's rule for that field (``crm.validators``), so what a profile
holds could be a contact's. A value that could not be read (invalid UTF-8 arrives as U+FFFD)
or holds a line break or another control character is refused with a message, never a 500.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from privacydesk.crm import validators
from privacydesk.mailings import services as mailings
from privacydesk.tracking import downloads
from privacydesk.tracking.models import Question

LIMITS = {
    "name": validators.NAME_MAX,
    "email": validators.EMAIL_MAX,
    "company": validators.NAME_MAX,
    "phone": validators.PHONE_MAX,
    "function": validators.FUNCTION_MAX,
}
AUTOCOMPLETE = {
    "name": "name",
    "email": "email",
    "company": "organization",
    "phone": "tel",
    "function": "organization-title",
}


def _readable(value: str) -> str:
    if "\ufffd" in value:
        raise ValidationError(_("This holds characters that could not be read."))
    return value.strip()


class VisitorForm(forms.Form):
    """The questions asked of this visitor, in the download's order, and the newsletter box."""

    def __init__(self, *args, asked: list[str], newsletter: bool, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Question.choices)
        for question in asked:
            attrs = {"autocomplete": AUTOCOMPLETE[question]}
            if question == "email":
                field = forms.CharField(widget=forms.EmailInput(attrs=attrs))
            elif question == "phone":
                field = forms.CharField(widget=forms.TextInput(attrs={**attrs, "type": "tel"}))
            else:
                field = forms.CharField(widget=forms.TextInput(attrs=attrs))
            field.label = labels[question]
            field.required = True
            self.fields[question] = field
        if newsletter:
            self.fields["newsletter"] = forms.BooleanField(
                required=False, label=downloads.newsletter_text()
            )

    def clean(self) -> dict:
        cleaned = super().clean()
        for question in Question.values:
            if question in cleaned:
                try:
                    cleaned[question] = self._check(question, cleaned[question])
                except ValidationError as exc:
                    self.add_error(question, exc)
                    cleaned.pop(question, None)
        return cleaned

    @staticmethod
    def _check(question: str, value: str) -> str:
        value = _readable(value)
        if len(value) > LIMITS[question]:
            raise ValidationError(_("Longer than %(max)d characters.") % {"max": LIMITS[question]})
        if question == "email":
            validators.email(value)
            try:
                return mailings.normalise_email(value)
            except mailings.InvalidAddress:
                raise ValidationError(_("Enter a valid e-mail address.")) from None
        if question == "phone":
            if validators.has_control_characters(value):
                raise ValidationError(_("Contains a line break or another control character."))
            validators.phone(value)
            return value
        if question == "name":
            validators.name(value)
            return value
        validators.plain_text(value)
        return value

    def answers(self) -> dict[str, str]:
        return {q: self.cleaned_data[q] for q in Question.values if q in self.cleaned_data}


QUESTION_CHOICES = [("", "—"), *Question.choices]


class StaffDownloadForm(forms.Form):
    """Title and summary in both languages, the file, the questions in order, published."""

    title_nl = forms.CharField(label=gettext_lazy("Title (Dutch)"), max_length=200)
    title_en = forms.CharField(label=gettext_lazy("Title (English)"), max_length=200)
    summary_nl = forms.CharField(
        label=gettext_lazy("Summary (Dutch)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )
    summary_en = forms.CharField(
        label=gettext_lazy("Summary (English)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )
    file = forms.FileField(label=gettext_lazy("File"), required=False)
    published = forms.BooleanField(
        label=gettext_lazy("Published on the website"), required=False, initial=True
    )

    def __init__(self, *args, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.creating = creating
        self.fields["file"].required = creating
        if not creating:
            self.fields["file"].help_text = _("Leave empty to keep the current file.")
        for n in range(1, downloads.MAX_QUESTIONS + 1):
            self.fields[f"question_{n}"] = forms.ChoiceField(
                label=_("Question %(n)d") % {"n": n},
                choices=QUESTION_CHOICES,
                required=False,
            )

    def question_fields(self):
        return [self[f"question_{n}"] for n in range(1, downloads.MAX_QUESTIONS + 1)]

    def text_fields(self):
        return [self[name] for name in ("title_nl", "title_en", "summary_nl", "summary_en")]

    @staticmethod
    def initial_for(download) -> dict:
        initial = {
            "title_nl": download.title_nl,
            "title_en": download.title_en,
            "summary_nl": download.summary_nl,
            "summary_en": download.summary_en,
            "published": download.published,
        }
        for n, question in enumerate(downloads.clean_questions(download.questions), start=1):
            initial[f"question_{n}"] = question
        return initial

    def clean(self) -> dict:
        cleaned = super().clean()
        for name in ("title_nl", "title_en"):
            if name in cleaned:
                try:
                    validators.plain_text(_readable(cleaned[name]))
                except ValidationError as exc:
                    self.add_error(name, exc)
        for name in ("summary_nl", "summary_en"):
            if "\ufffd" in cleaned.get(name, ""):
                self.add_error(name, _("This holds characters that could not be read."))
        chosen = [cleaned.get(f"question_{n}") for n in range(1, downloads.MAX_QUESTIONS + 1)]
        chosen = [q for q in chosen if q]
        if len(set(chosen)) != len(chosen):
            raise ValidationError(_("Each question can be asked once."))
        if not chosen:
            raise ValidationError(_("Choose at least one question."))
        cleaned["questions"] = chosen
        upload = cleaned.get("file")
        if upload:
            try:
                downloads.check_file(upload)
            except downloads.DownloadError as exc:
                self.add_error("file", str(exc))
        return cleaned
