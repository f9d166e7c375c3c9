"""Organisations, their representatives (contacts), what was said and done, and invoices (P5, P10).

A contact is a customer representative: the business contact details the privacy policy names.
Invoices copy the customer's name and address when they are made: an invoice is a fiscal record
kept seven years after its year (Dutch fiscal retention), also after the contact is erased.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from privacydesk.crm import validators


class Organisation(models.Model):
    class Kind(models.TextChoices):
        COMPANY = "company", _("company")
        GOVERNMENT = "government", _("government body")

    name = models.CharField(_("name"), max_length=validators.NAME_MAX, validators=[validators.name])
    kind = models.CharField(_("kind"), max_length=12, choices=Kind, default=Kind.COMPANY)
    kvk_number = models.CharField(
        _("KvK number"),
        max_length=8,
        blank=True,
        validators=[validators.kvk_number],
        help_text=_("Optional: the 8 digits of the Chamber of Commerce registration."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="crm_organisation_name_unique",
                violation_error_message=_("An organisation with this name exists already."),
            ),
            models.UniqueConstraint(
                fields=["kvk_number"],
                condition=~models.Q(kvk_number=""),
                name="crm_organisation_kvk_unique",
                violation_error_message=_("An organisation with this KvK number exists already."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    name = models.CharField(_("name"), max_length=validators.NAME_MAX, validators=[validators.name])
    email = models.CharField(
        _("business e-mail"),
        max_length=validators.EMAIL_MAX,
        validators=[validators.email],
    )
    phone = models.CharField(
        _("phone"), max_length=validators.PHONE_MAX, blank=True, validators=[validators.phone]
    )
    function = models.CharField(
        _("function"),
        max_length=validators.FUNCTION_MAX,
        blank=True,
        validators=[validators.plain_text],
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("organisation"),
    )
    # The date retention runs from (customer_relations: two years after the last contact):
    # the latest interaction or invoice, or the day the contact was made before there is one.
    last_contact_on = models.DateField(_("last contact"))
    # Name, address, phone (also as digits) and organisation, case-folded: search that ignores
    # case for every alphabet on SQLite as on PostgreSQL.
    search_text = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)
    #: Art. 18 (a restriction request): stored, not used; never offered to the newsletter.
    restricted = models.BooleanField(_("restricted"), default=False, editable=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="crm_contact_email_unique",
                violation_error_message=_("A contact with this e-mail address exists already."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def subject(self) -> str:
        """The person's reference in the audit log (never the address itself)."""
        from privacydesk.audit.services import subject_ref

        return subject_ref("email", self.email)


class Interaction(models.Model):
    class Kind(models.TextChoices):
        CALL = "call", _("call")
        VISIT = "visit", _("visit")
        QUOTE = "quote", _("quote")
        NOTE = "note", _("note")

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="interactions", verbose_name=_("contact")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind)
    date = models.DateField(_("date"))
    staff_member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="crm_interactions",
        verbose_name=_("staff member"),
    )
    text = models.TextField(_("text"), max_length=5000)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"


class Invoice(models.Model):
    number = models.CharField(
        _("invoice number"),
        max_length=30,
        unique=True,
        validators=[validators.invoice_number],
        error_messages={"unique": _("An invoice with this number exists already.")},
    )
    date = models.DateField(_("invoice date"))
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invoices",
        verbose_name=_("contact"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
        verbose_name=_("organisation"),
    )
    # The customer as invoiced: part of the fiscal record, kept when the contact is erased.
    customer_name = models.CharField(_("customer name"), max_length=validators.NAME_MAX)
    customer_email = models.CharField(_("customer e-mail"), max_length=validators.EMAIL_MAX)
    amount_excl_vat = models.DecimalField(_("amount excl. VAT"), max_digits=12, decimal_places=2)
    vat_amount = models.DecimalField(_("VAT"), max_digits=12, decimal_places=2)
    amount_incl_vat = models.DecimalField(_("amount incl. VAT"), max_digits=12, decimal_places=2)
    paid = models.BooleanField(_("paid"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    #: Art. 18: kept for the tax authority only, not used otherwise (set when the customer's
    #: erasure or restriction request found it).
    restricted = models.BooleanField(_("restricted"), default=False, editable=False)

    class Meta:
        ordering = ["-date", "-number"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        # A data-subject request finds a customer's invoices by address
        # (``customer_email__ieq``); the contact's own address has its unique index.
        indexes = [models.Index(Lower("customer_email"), name="crm_invoice_email_lower")]

    def __str__(self) -> str:
        return self.number

    def clean(self) -> None:
        amounts = (self.amount_excl_vat, self.vat_amount, self.amount_incl_vat)
        if any(a is None for a in amounts):
            return
        excl, vat, incl = (Decimal(a) for a in amounts)
        if excl < 0 or vat < 0:
            raise ValidationError({"amount_excl_vat": _("Amounts may not be negative.")})
        if excl + vat != incl:
            raise ValidationError(
                {
                    "amount_incl_vat": _(
                        "The amount incl. VAT must be the amount excl. VAT plus the VAT "
                        "(%(excl)s + %(vat)s = %(sum)s)."
                    )
                    % {"excl": excl, "vat": vat, "sum": excl + vat}
                }
            )
