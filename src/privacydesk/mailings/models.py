"""Newsletter lists, subscriptions with their proof, campaigns, deliveries and suppression (P6).

- A :class:`Subscription` is one address on one list. Only a ``confirmed`` one is ever mailed:
  by double opt-in (basis ``consent``, confirmed by a signed link) or, for existing paying
  customers, the soft opt-in of Telecommunicatiewet art. 11.7 lid 3 (basis ``soft_opt_in``).
- A :class:`ConsentProof` is the evidence of one consent (Art. 7(1) GDPR): when, on which form,
  the exact text shown (and its hash and version), the policy version, the truncated IP
  address and language, and when and from which truncated address it was confirmed. It is
  kept two years after the consent ended (activity ``consent_records``).
- A :class:`Campaign` is one message to a list; each recipient gets a :class:`Delivery` row
  whose state the worker moves forward (``delivery.py``: claimed atomically, exactly once).
- A :class:`Suppression` is a keyed hash of an address that objected, bounced or unsubscribed
  (Art. 21(3)): every send, import and signup checks it; it holds no readable address and is
  kept when everything else about the person is erased.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class MailingList(models.Model):
    slug = models.SlugField(_("code"), max_length=50, unique=True)
    title_nl = models.CharField(_("title (Dutch)"), max_length=120)
    title_en = models.CharField(_("title (English)"), max_length=120)
    sender = models.CharField(
        _("sender shown"), max_length=80, default="coMPjoeter",
        help_text=_("The display name of the From address."),
    )  # fmt: skip
    reply_to = models.EmailField(_("reply-to address"), max_length=254, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("mailing list")
        verbose_name_plural = _("mailing lists")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_nl


class Subscription(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("subscription", "waiting for confirmation")
        CONFIRMED = "confirmed", pgettext_lazy("subscription", "confirmed")
        UNSUBSCRIBED = "unsubscribed", pgettext_lazy("subscription", "unsubscribed")

    class Basis(models.TextChoices):
        CONSENT = "consent", _("consent (double opt-in)")
        SOFT_OPT_IN = "soft_opt_in", _("soft opt-in (existing customer)")

    mailing_list = models.ForeignKey(
        MailingList, on_delete=models.PROTECT, related_name="subscriptions",
        verbose_name=_("mailing list"),
    )  # fmt: skip
    email = models.EmailField(_("e-mail address"), max_length=254)
    name = models.CharField(_("name"), max_length=150, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices)
    basis = models.CharField(_("legal basis"), max_length=16, choices=Basis.choices)
    language = models.CharField(_("language"), max_length=5, default="nl")
    created_at = models.DateTimeField(_("signed up"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)
    #: Raised when a new consent starts: older confirmation links stop working.
    link_version = models.PositiveIntegerField(default=1)
    restricted = models.BooleanField(_("restricted"), default=False)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(fields=["mailing_list", "email"], name="mailings_one_per_list")
        ]
        indexes = [models.Index(fields=["mailing_list", "state"])]

    def __str__(self) -> str:
        return f"{self.mailing_list_id}:{self.pk}"


class ConsentProof(models.Model):
    """The evidence of one consent or soft opt-in (Art. 7(1) GDPR)."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.SET_NULL, null=True, related_name="proofs",
        verbose_name=_("subscription"),
    )  # fmt: skip
    mailing_list = models.ForeignKey(MailingList, on_delete=models.PROTECT, related_name="+")
    email = models.EmailField(_("e-mail address"), max_length=254)
    basis = models.CharField(_("legal basis"), max_length=16, choices=Subscription.Basis.choices)
    requested_at = models.DateTimeField(_("given"), default=timezone.now)
    form_url = models.CharField(_("form address"), max_length=500, blank=True)
    text_shown = models.TextField(_("text shown"), blank=True)
    text_sha256 = models.CharField(_("SHA-256 of the text"), max_length=64, blank=True)
    text_version = models.CharField(_("text version"), max_length=40, blank=True)
    policy_version = models.PositiveIntegerField(_("privacy policy version"), null=True)
    ip_truncated = models.CharField(_("IP address (truncated)"), max_length=45, blank=True)
    language = models.CharField(_("language"), max_length=5, blank=True)
    source = models.CharField(_("source"), max_length=120, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    confirm_ip_truncated = models.CharField(
        _("IP address at confirmation (truncated)"), max_length=45, blank=True
    )
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    #: Art. 18: kept as evidence only (after an erasure or a restriction request).
    restricted = models.BooleanField(_("restricted"), default=False)

    class Meta:
        verbose_name = _("proof of consent")
        verbose_name_plural = _("proofs of consent")

    def __str__(self) -> str:
        return f"proof {self.pk}"


class Campaign(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("campaign", "draft")
        SENDING = "sending", pgettext_lazy("campaign", "sending")
        SENT = "sent", pgettext_lazy("campaign", "sent")

    mailing_list = models.ForeignKey(
        MailingList, on_delete=models.PROTECT, related_name="campaigns",
        verbose_name=_("mailing list"),
    )  # fmt: skip
    subject = models.CharField(_("subject"), max_length=200)
    markdown = models.TextField(_("text (Markdown)"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    created_by = models.CharField(_("created by"), max_length=64)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-id"]
        permissions = [("send_campaign", _("Can send a campaign"))]

    def __str__(self) -> str:
        return f"#{self.pk}"


class Delivery(models.Model):
    """One recipient of one campaign. States (``delivery.py`` moves them):

    queued → claimed (a worker took it) → handing_over (content sent, final dot next) → sent;
    a temporary refusal puts it back to queued with a later ``next_attempt_at``; a permanent
    one ends in bounced (refused address, suppressed) or failed; skipped when the address was
    suppressed or unsubscribed before its turn; unknown when a worker died while the server
    was accepting it, or the connection broke or timed out after the final dot before the
    server's reply (it is not sent again: at most once; staff see it on the campaign page).
    """

    class State(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("delivery", "queued")
        CLAIMED = "claimed", pgettext_lazy("delivery", "being sent")
        HANDING_OVER = "handing_over", pgettext_lazy("delivery", "handing over")
        SENT = "sent", pgettext_lazy("delivery", "sent")
        BOUNCED = "bounced", pgettext_lazy("delivery", "bounced")
        FAILED = "failed", pgettext_lazy("delivery", "failed")
        SKIPPED = "skipped", pgettext_lazy("delivery", "skipped")
        UNKNOWN = "unknown", pgettext_lazy("delivery", "unknown")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    smtp_code = models.PositiveSmallIntegerField(null=True, blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    #: The message handed over carried this recipient's own ``List-Unsubscribe`` link and the
    #: RFC 8058 ``List-Unsubscribe-Post`` header: read from the bytes sent (the P6 evidence).
    unsubscribe_headers = models.BooleanField(_("unsubscribe headers sent"), default=False)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "subscription"], name="mailings_one_delivery_per_recipient"
            )
        ]
        indexes = [models.Index(fields=["campaign", "state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"delivery {self.pk}"


class Suppression(models.Model):
    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", pgettext_lazy("suppression", "unsubscribed")
        BOUNCED = "bounced", pgettext_lazy("suppression", "bounced")
        OBJECTED = "objected", pgettext_lazy("suppression", "objected (Art. 21)")
        COMPLAINED = "complained", pgettext_lazy("suppression", "complained")
        STAFF = "staff", pgettext_lazy("suppression", "added by staff")

    ref = models.CharField(_("keyed hash"), max_length=40, unique=True)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    actor = models.CharField(_("by"), max_length=64)
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppression list")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.ref


class SignupThrottle(models.Model):
    """Signups counted per keyed hash (truncated IP, address) and window; see ``throttle``."""

    key = models.CharField(max_length=40)
    window = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window"], name="mailings_throttle_window")
        ]

    def __str__(self) -> str:
        return self.key
