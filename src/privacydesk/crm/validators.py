"""The rules a contact's fields follow, shared by the staff forms and the CSV import.

One rule per field, each raising ``ValidationError`` with a message that names what is wrong,
so that the form and the import report say the same thing.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext_lazy as _

NAME_MAX = 200
EMAIL_MAX = 254  # RFC 5321's limit for a forward path
PHONE_MAX = 30
FUNCTION_MAX = 100
KVK_RE = re.compile(r"^[0-9]{8}$")
PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{6,30}$")
INVOICE_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9./-]{0,29}$")
_email = EmailValidator(message=_("Enter a valid e-mail address."))


def has_control_characters(value: str) -> bool:
    """Line breaks, tabs and other control or format characters (U+202E and the like)."""
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value)


def plain_text(value: str) -> None:
    """A one-line text: no line breaks or control characters, no markup."""
    if has_control_characters(value):
        raise ValidationError(
            _("Contains a line break or another control character."), code="control"
        )
    if "<" in value or ">" in value:
        raise ValidationError(_("May not contain < or >."), code="markup")


def name(value: str) -> None:
    if not value.strip():
        raise ValidationError(_("A name is required."), code="required")
    if len(value) > NAME_MAX:
        raise ValidationError(
            _("Longer than %(max)d characters.") % {"max": NAME_MAX}, code="max_length"
        )
    plain_text(value)


def email(value: str) -> None:
    if not value.strip():
        raise ValidationError(_("An e-mail address is required."), code="required")
    if len(value) > EMAIL_MAX:
        raise ValidationError(
            _("The e-mail address is longer than %(max)d characters.") % {"max": EMAIL_MAX},
            code="max_length",
        )
    if has_control_characters(value):
        raise ValidationError(_("Enter a valid e-mail address."), code="invalid")
    _email(value)


def phone(value: str) -> None:
    if value and not PHONE_RE.match(value):
        raise ValidationError(
            _("Enter a phone number of digits, spaces, +, -, ( and ) (6 to 30 characters)."),
            code="invalid",
        )


def kvk_number(value: str) -> None:
    if value and not KVK_RE.match(value):
        raise ValidationError(
            _("A KvK number has exactly 8 digits."),
            code="invalid",
        )


def invoice_number(value: str) -> None:
    if not INVOICE_NUMBER_RE.match(value):
        raise ValidationError(
            _("An invoice number is 1 to 30 letters, digits, '.', '/' or '-'."), code="invalid"
        )


def normalise_email(value: str) -> str:
    """Addresses are compared and stored without surrounding space and with a lower-case domain."""
    value = value.strip()
    local, at, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}" if at else value


def normalise_text(value: str) -> str:
    """Inner runs of spaces made one; surrounding space removed."""
    return re.sub(r" {2,}", " ", value).strip() if value else ""
