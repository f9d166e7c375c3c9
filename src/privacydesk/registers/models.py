"""The three registers of the privacy officer (P8, P9, AVG art. 33(5)).

- :class:`Disclosure`: every disclosure without consent (to an authority on lawful request, or
  to detect or prevent fraud and keep the network safe), with the people and records concerned
  (:class:`DisclosureSubject`, :class:`DisclosureRecord`) and the legal holds it placed;
- :class:`Processor`: the one list of processors, their agreement and the Art. 28(3) checklist;
  the agreement file is stored encrypted (``registers.files``);
- :class:`Breach`: the Art. 33(5) register of personal-data breaches, with the fields of the
  Autoriteit Persoonsgegevens' notification form (Meldformulier datalekken) and the people
  concerned (:class:`BreachSubject`).

Every rule a value must keep is in ``clean()``, so a form and a service refuse the same input
with a message naming the field.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacydesk.spine.registry import SUBJECT_KINDS

#: Art. 33(1): notify the supervisory authority within 72 hours of becoming aware.
NOTIFY_WITHIN = timedelta(hours=72)

SUBJECT_KIND_CHOICES = [
    ("email", _("e-mail address")),
    ("phone", _("phone number")),
    ("visitor_id", _("visitor id")),
    ("customer_number", _("customer number")),
]
assert [k for k, _label in SUBJECT_KIND_CHOICES] == list(SUBJECT_KINDS)


def _not_future(errors: dict, name: str, value: date | datetime | None, what) -> None:
    if value is None:
        return
    now = timezone.now() if isinstance(value, datetime) else timezone.localdate()
    if value > now:
        errors.setdefault(name, []).append(
            _("%(what)s lies in the future; enter when it happened.") % {"what": what}
        )


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


# -- disclosures (P8) ---------------------------------------------------------------------------
class Disclosure(models.Model):
    """One disclosure of personal data without the person's consent (P8)."""

    class Ground(models.TextChoices):
        CRIMINAL_PROCEDURE = "criminal_procedure", _("Code of Criminal Procedure (e.g. art. 126nd)")
        COURT_ORDER = "court_order", _("Court order")
        LEGAL_DUTY = "legal_duty", _("Other legal duty to disclose")
        FRAUD = "fraud", _("Detecting or preventing damage or fraud")
        NETWORK_SECURITY = "network_security", _("Security of our network")

    #: Grounds that are a legal duty (activity ``authority_disclosures``); the others are our
    #: legitimate interest (activity ``fraud_and_network_security``).
    LEGAL_DUTIES = (Ground.CRIMINAL_PROCEDURE, Ground.COURT_ORDER, Ground.LEGAL_DUTY)

    authority = models.CharField(_("who asked"), max_length=200)
    case_number = models.CharField(_("case number"), max_length=100, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail address"), blank=True)
    contact_phone = models.CharField(_("contact phone number"), max_length=50, blank=True)
    legal_ground = models.CharField(_("legal ground"), max_length=30, choices=Ground.choices)
    legal_ground_detail = models.CharField(
        _("legal ground in detail"),
        max_length=300,
        blank=True,
        help_text=_("The article or order, e.g. art. 126nd Sv, court order of 3 March."),
    )
    requested_on = models.DateField(_("date of the request"))
    answered_on = models.DateField(_("date of the answer"), null=True, blank=True)
    scope_requested = models.TextField(_("scope asked for"))
    scope_given = models.TextField(_("what was given"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    subject_told = models.BooleanField(_("the people concerned were told"), default=False)
    told_on = models.DateField(_("told on"), null=True, blank=True)
    not_told_reason = models.TextField(_("why they were not told"), blank=True)
    not_told_until = models.DateField(
        _("not told until"),
        null=True,
        blank=True,
        help_text=_(
            "While this date lies ahead (or no date is set), the disclosure is left out of "
            "the person's access package."
        ),
    )
    holds = models.ManyToManyField(
        "policy.LegalHold", verbose_name=_("legal holds"), blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosures")
        ordering = ["-requested_on", "-id"]

    def __str__(self) -> str:
        return f"{self.authority} {self.case_number}".strip()

    @property
    def activity(self) -> str:
        legal = self.legal_ground in self.LEGAL_DUTIES
        return "authority_disclosures" if legal else "fraud_and_network_security"

    def withheld(self, today: date | None = None) -> bool:
        """Whether the people concerned may not learn of it yet (left out of access packages)."""
        if self.subject_told:
            return False
        today = today or timezone.localdate()
        return self.not_told_until is None or self.not_told_until > today

    def clean(self) -> None:
        errors: dict = {}
        _not_future(errors, "requested_on", self.requested_on, _("The date of the request"))
        _not_future(errors, "answered_on", self.answered_on, _("The date of the answer"))
        _not_future(errors, "approved_at", self.approved_at, _("The approval"))
        _not_future(errors, "told_on", self.told_on, _("The date they were told"))
        if self.requested_on and self.answered_on and self.answered_on < self.requested_on:
            errors.setdefault("answered_on", []).append(
                _("The answer cannot come before the request.")
            )
        if self.subject_told and not self.told_on:
            errors.setdefault("told_on", []).append(_("Enter when the people were told."))
        if not self.subject_told and not self.not_told_reason.strip():
            errors.setdefault("not_told_reason", []).append(
                _("Say why the people concerned were not told.")
            )
        if self.subject_told and self.not_told_until:
            errors.setdefault("not_told_until", []).append(
                _("Leave this empty: the people were told.")
            )
        if self.answered_on and not self.scope_given.strip():
            errors.setdefault("scope_given", []).append(
                _("Say what was given (or 'nothing') once the request is answered.")
            )
        _raise(errors)


class DisclosureSubject(models.Model):
    """A person whose data a disclosure concerned, by the identifier the registry knows."""

    disclosure = models.ForeignKey(Disclosure, on_delete=models.CASCADE, related_name="subjects")
    kind = models.CharField(max_length=20, choices=SUBJECT_KIND_CHOICES)
    value = models.CharField(max_length=254)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["disclosure", "kind", "value"], name="registers_disclosure_subject_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class DisclosureRecord(models.Model):
    """A record a disclosure concerned: a registry source label and the record's key."""

    disclosure = models.ForeignKey(Disclosure, on_delete=models.CASCADE, related_name="records")
    source = models.CharField(max_length=100)
    key = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["disclosure", "source", "key"], name="registers_disclosure_record_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.key}"


# -- processors (P9) ---------------------------------------------------------------------------
#: Art. 28(3)(a)-(h) GDPR: what the processor agreement must stipulate.
ART28_CHECKLIST = {
    "a": _("(a) processes only on documented instructions, also for transfers"),
    "b": _("(b) persons authorised to process are bound to confidentiality"),
    "c": _("(c) takes the security measures of Art. 32"),
    "d": _("(d) engages sub-processors only with authorisation, under the same terms"),
    "e": _("(e) assists with data-subject requests"),
    "f": _("(f) assists with security, breach notification and impact assessments"),
    "g": _("(g) deletes or returns all data at the end of the service"),
    "h": _("(h) makes available all information to show compliance; allows audits"),
}


class Processor(models.Model):
    """A processor and its agreement (Art. 28). ``key`` is the id the privacy model names."""

    key = models.SlugField(
        _("id in the privacy model"),
        max_length=60,
        unique=True,
        help_text=_("Lower-case letters, digits and underscores; activities name it."),
    )
    name = models.CharField(_("name"), max_length=200)
    service_nl = models.CharField(_("service (Dutch)"), max_length=300)
    service_en = models.CharField(_("service (English)"), max_length=300)
    data_categories = models.TextField(_("categories of personal data"))
    data_subjects = models.TextField(_("categories of data subjects"))
    sub_processors = models.TextField(_("sub-processors"), blank=True)
    location = models.CharField(_("where the data are processed"), max_length=200)
    third_country = models.BooleanField(_("outside the European Economic Area"), default=False)
    safeguards = models.TextField(
        _("safeguards for the transfer"),
        blank=True,
        help_text=_("E.g. adequacy decision, standard contractual clauses (Art. 46)."),
    )
    agreement_signed_on = models.DateField(_("agreement signed on"), null=True, blank=True)
    agreement_ends_on = models.DateField(
        _("agreement ends on"), null=True, blank=True, help_text=_("Empty: no end date.")
    )
    art28_a = models.BooleanField(ART28_CHECKLIST["a"], default=False)
    art28_b = models.BooleanField(ART28_CHECKLIST["b"], default=False)
    art28_c = models.BooleanField(ART28_CHECKLIST["c"], default=False)
    art28_d = models.BooleanField(ART28_CHECKLIST["d"], default=False)
    art28_e = models.BooleanField(ART28_CHECKLIST["e"], default=False)
    art28_f = models.BooleanField(ART28_CHECKLIST["f"], default=False)
    art28_g = models.BooleanField(ART28_CHECKLIST["g"], default=False)
    art28_h = models.BooleanField(ART28_CHECKLIST["h"], default=False)
    agreement_file = models.BinaryField(null=True, blank=True, editable=False)
    agreement_file_name = models.CharField(max_length=200, blank=True, editable=False)
    agreement_file_size = models.PositiveBigIntegerField(null=True, editable=False)
    agreement_file_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    #: When each warning before the end was sent, for the end date it was sent for.
    warned_30_for = models.DateField(null=True, editable=False)
    warned_7_for = models.DateField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("processor")
        verbose_name_plural = _("processors")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def service(self, lang: str) -> str:
        return self.service_en if lang == "en" else self.service_nl

    def missing_clauses(self) -> list[str]:
        return [letter for letter in ART28_CHECKLIST if not getattr(self, f"art28_{letter}")]

    def agreement_problem(self, today: date | None = None) -> str:
        """Why the agreement is not valid today, in one phrase; "" when it is."""
        today = today or timezone.localdate()
        if self.agreement_signed_on is None:
            return str(_("no signed agreement"))
        if self.agreement_ends_on is not None and self.agreement_ends_on < today:
            return str(_("agreement ended on %(date)s") % {"date": self.agreement_ends_on})
        missing = self.missing_clauses()
        if missing:
            return str(
                _("agreement lacks Art. 28(3)(%(letters)s)") % {"letters": ", ".join(missing)}
            )
        if self.third_country and not self.safeguards.strip():
            return str(_("transfer outside the EEA without safeguards"))
        return ""

    def clean(self) -> None:
        errors: dict = {}
        _not_future(
            errors, "agreement_signed_on", self.agreement_signed_on, _("The date of signing")
        )
        if (
            self.agreement_signed_on
            and self.agreement_ends_on
            and self.agreement_ends_on < self.agreement_signed_on
        ):
            errors.setdefault("agreement_ends_on", []).append(
                _("The agreement cannot end before it was signed.")
            )
        if self.agreement_ends_on and not self.agreement_signed_on:
            errors.setdefault("agreement_signed_on", []).append(
                _("Enter when the agreement was signed.")
            )
        if self.third_country and not self.safeguards.strip():
            errors.setdefault("safeguards", []).append(
                _("A transfer outside the EEA needs its safeguards.")
            )
        _raise(errors)


# -- data breaches (Art. 33(5)) -------------------------------------------------------------------
class Breach(models.Model):
    """One personal-data breach, with the answers the AP's notification form asks for."""

    class Nature(models.TextChoices):
        READ = "read", _("read (confidentiality)")
        COPIED = "copied", _("copied")
        ALTERED = "altered", _("altered (integrity)")
        DELETED = "deleted", _("deleted or destroyed (availability)")
        STOLEN = "stolen", _("stolen")

    class Encrypted(models.TextChoices):
        YES = "yes", _("yes, all of it")
        PARTLY = "partly", _("partly")
        NO = "no", _("no")

    class Informed(models.TextChoices):
        YES = "yes", _("yes")
        NO = "no", _("no")
        PLANNED = "planned", _("not yet, planned")

    title = models.CharField(_("short description"), max_length=200)
    summary = models.TextField(_("what happened"))
    occurred_at = models.DateTimeField(_("happened at (start)"), null=True, blank=True)
    occurred_until = models.DateTimeField(_("happened until"), null=True, blank=True)
    discovered_at = models.DateTimeField(_("discovered at"))
    aware_at = models.DateTimeField(
        _("became aware at"),
        help_text=_("When we knew it was a breach of personal data: the 72 hours run from here."),
    )
    nature = models.JSONField(_("nature of the breach"), default=list)
    data_kinds = models.TextField(_("kinds of personal data"))
    special_categories = models.BooleanField(
        _("special categories or criminal data involved"), default=False
    )
    records_count = models.PositiveIntegerField(_("number of records"), null=True, blank=True)
    people_min = models.PositiveIntegerField(_("minimum number of people"))
    people_max = models.PositiveIntegerField(_("maximum number of people"))
    people_kinds = models.TextField(_("categories of people"))
    encrypted = models.CharField(
        _("were the data encrypted"), max_length=10, choices=Encrypted.choices
    )
    encryption_detail = models.TextField(_("how they were encrypted"), blank=True)
    consequences = models.TextField(_("likely consequences for the people"))
    measures_before = models.TextField(_("security measures in place before"))
    measures_after = models.TextField(_("measures taken and planned"))
    ap_notified = models.BooleanField(_("Autoriteit Persoonsgegevens notified"), default=False)
    ap_notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)
    ap_reference = models.CharField(_("AP reference"), max_length=100, blank=True)
    not_notified_reason = models.TextField(_("why the AP was not notified"), blank=True)
    people_informed = models.CharField(
        _("people informed (Art. 34)"),
        max_length=10,
        choices=Informed.choices,
        default=Informed.PLANNED,
    )
    people_informed_at = models.DateTimeField(_("people informed at"), null=True, blank=True)
    not_informed_reason = models.TextField(_("why the people are not informed"), blank=True)
    other_countries = models.TextField(_("other countries' authorities notified"), blank=True)
    #: Hours before the deadline for which the privacy officer was e-mailed (each once).
    reminders_sent = models.JSONField(default=list, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = _("data breach")
        verbose_name_plural = _("data breaches")
        ordering = ["-aware_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def deadline(self) -> datetime:
        return self.aware_at + NOTIFY_WITHIN

    @property
    def decided(self) -> bool:
        """Notified, or decided (with a reason) not to notify: the clock no longer matters."""
        return self.ap_notified or bool(self.not_notified_reason.strip())

    def remaining(self, now: datetime | None = None) -> timedelta:
        return self.deadline - (now or timezone.now())

    def clean(self) -> None:
        errors: dict = {}
        if self.aware_at is None:
            errors.setdefault("aware_at", []).append(
                _("Enter when we became aware of the breach: the 72 hours run from then.")
            )
        if self.discovered_at is None:
            errors.setdefault("discovered_at", []).append(_("Enter when it was discovered."))
        for name, what in (
            ("occurred_at", _("The start of the breach")),
            ("occurred_until", _("The end of the breach")),
            ("discovered_at", _("The discovery")),
            ("aware_at", _("The moment of awareness")),
            ("ap_notified_at", _("The notification")),
            ("people_informed_at", _("Informing the people")),
        ):
            _not_future(errors, name, getattr(self, name), what)
        if self.occurred_at and self.occurred_until and self.occurred_until < self.occurred_at:
            errors.setdefault("occurred_until", []).append(
                _("The breach cannot end before it started.")
            )
        if self.occurred_at and self.discovered_at and self.discovered_at < self.occurred_at:
            errors.setdefault("discovered_at", []).append(
                _("It cannot be discovered before it happened.")
            )
        if self.discovered_at and self.aware_at and self.aware_at < self.discovered_at:
            errors.setdefault("aware_at", []).append(
                _("We cannot become aware of it before it was discovered.")
            )
        if self.aware_at and self.ap_notified_at and self.ap_notified_at < self.aware_at:
            errors.setdefault("ap_notified_at", []).append(
                _("The notification cannot come before we became aware of the breach.")
            )
        if self.ap_notified and not self.ap_notified_at:
            errors.setdefault("ap_notified_at", []).append(_("Enter when the AP was notified."))
        if not self.ap_notified and self.ap_notified_at:
            errors.setdefault("ap_notified", []).append(
                _("Tick this when the AP was notified at that time.")
            )
        if (
            self.aware_at
            and not self.ap_notified
            and not self.not_notified_reason.strip()
            and timezone.now() > self.aware_at + NOTIFY_WITHIN
        ):
            errors.setdefault("not_notified_reason", []).append(
                _("The 72 hours have passed: say why the AP was not notified (Art. 33(5)).")
            )
        unknown = set(self.nature or []) - set(self.Nature.values)
        if not self.nature or unknown:
            errors.setdefault("nature", []).append(_("Choose what happened to the data."))
        if (
            self.people_min is not None
            and self.people_max is not None
            and self.people_min > self.people_max
        ):
            errors.setdefault("people_max", []).append(
                _("The maximum cannot be below the minimum.")
            )
        if self.people_informed == self.Informed.YES and not self.people_informed_at:
            errors.setdefault("people_informed_at", []).append(
                _("Enter when the people were informed.")
            )
        if self.people_informed == self.Informed.NO and not self.not_informed_reason.strip():
            errors.setdefault("not_informed_reason", []).append(
                _("Say why the people are not informed (Art. 34(3)).")
            )
        _raise(errors)


class BreachSubject(models.Model):
    """A person concerned by a breach, by the identifier the registry knows (Art. 34 letters)."""

    breach = models.ForeignKey(Breach, on_delete=models.CASCADE, related_name="subjects")
    kind = models.CharField(max_length=20, choices=SUBJECT_KIND_CHOICES)
    value = models.CharField(max_length=254)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["breach", "kind", "value"], name="registers_breach_subject_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"
