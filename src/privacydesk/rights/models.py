"""Data-subject requests (Art. 12-21 GDPR, P14): one queue for the form, the mailbox and staff.

A request's legal start is the moment it was received (``received_at``): the web form's
submission, the message's arrival in the mailbox, the date on a letter or of a call. Its
deadline is one calendar month later (``deadlines.py``), extended by at most two months.
A request from the form or the mailbox waits until the requester confirms the address; one
nobody confirmed within the link's lifetime expires (``services.expire_unverified``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Request(models.Model):
    class Kind(models.TextChoices):
        ACCESS = "access", _("access")
        RECTIFICATION = "rectification", _("rectification or completion")
        ERASURE = "erasure", _("erasure")
        OBJECTION = "objection", _("objection")
        RESTRICTION = "restriction", _("restriction")
        PORTABILITY = "portability", _("portability")

    class Channel(models.TextChoices):
        WEB = "web", _("web form")
        EMAIL = "email", _("e-mail")
        POST = "post", _("letter")
        PHONE = "phone", _("phone call")

    class State(models.TextChoices):
        UNVERIFIED = "unverified", _("waiting for verification")
        NEEDS_STAFF = "needs_staff", _("needs staff")
        OPEN = "open", _("open")
        PROCESSING = "processing", _("in progress")
        FAILED = "failed", _("a step failed")
        ANSWERED = "answered", _("answered")
        REFUSED = "refused", _("refused")
        EXPIRED = "expired", _("expired: the address was not confirmed")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel)
    email = models.EmailField(_("e-mail address"), max_length=254, blank=True)
    phone = models.CharField(_("phone number"), max_length=40, blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    message = models.TextField(_("message"), blank=True)
    language = models.CharField(_("language"), max_length=2, default="nl")
    received_at = models.DateTimeField(_("received at"), db_index=True)
    due_on = models.DateField(_("due on"))
    extended_to = models.DateField(_("extended to"), null=True, blank=True)
    extension_reason = models.TextField(_("reason for the extension"), blank=True)
    extension_notified_at = models.DateTimeField(_("extension notice sent"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=State, default=State.UNVERIFIED)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    identity_check = models.TextField(_("how identity was checked"), blank=True)
    refusal_reason = models.TextField(_("reason for the refusal"), blank=True)
    warned_7_at = models.DateTimeField(_("7-day warning sent"), null=True, blank=True)
    warned_2_at = models.DateTimeField(_("2-day warning sent"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("marked overdue"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # What a rectification writes, kept so that a resumed plan writes the same.
    changes = models.JSONField(_("corrections"), default=dict, blank=True)
    new_email = models.EmailField(_("corrected e-mail address"), max_length=254, blank=True)
    package = models.CharField(_("access package"), max_length=200, blank=True)
    package_expires_at = models.DateTimeField(_("package link valid until"), null=True, blank=True)
    client_ref = models.CharField(_("client reference"), max_length=64, blank=True, db_index=True)
    mailbox_from_ok = models.BooleanField(_("sender can be answered"), default=True)
    created_by = models.CharField(_("entered by"), max_length=150, blank=True)
    running_since = models.DateTimeField(_("running since"), null=True, blank=True)
    #: The answer letter that could not be sent yet (its outcome); the worker tries again.
    unsent_letter = models.CharField(_("letter not sent yet"), max_length=20, blank=True)

    class Meta:
        ordering = ["due_on", "received_at"]
        verbose_name = _("data-subject request")
        verbose_name_plural = _("data-subject requests")
        default_permissions = ("view", "change", "add")

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"

    @property
    def deadline(self):
        return self.extended_to or self.due_on

    @property
    def is_closed(self) -> bool:
        return self.state in CLOSED


#: A request in one of these states is finished: nothing more is done for it.
CLOSED = (Request.State.ANSWERED, Request.State.REFUSED, Request.State.EXPIRED)


class Attachment(models.Model):
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="rights/attachments/")
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["request", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return self.filename


class MailboxMessage(models.Model):
    """One message seen in the mailbox, recorded with the request it became (exactly once).

    A message without the keyword is recorded by its UID only; one that could not be read is
    kept whole (``raw``) for staff, as is one whose processing failed.
    """

    #: The outcomes staff must look at (the queue lists them with their raw source).
    KEPT = ("unparseable", "failed")

    class Outcome(models.TextChoices):
        REQUEST = "request", _("became a request")
        IGNORED = "ignored", _("no request (keyword missing)")
        UNPARSEABLE = "unparseable", _("could not be read; kept for staff")
        FAILED = "failed", _("could not be processed; kept for staff")
        REPLY = "reply", _("a reply, filed with its request")
        AUTO = "auto", _("an automatic message (out of office, bounce): no request")

    mailbox = models.CharField(_("mailbox"), max_length=200)
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"))
    uid = models.BigIntegerField(_("UID"))
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome)
    raw = models.BinaryField(_("raw message"), blank=True, default=b"")
    request = models.ForeignKey(
        Request, on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    seen_at = models.DateTimeField(_("seen at"), auto_now_add=True)

    class Meta:
        ordering = ["-seen_at"]
        verbose_name = _("mailbox message")
        verbose_name_plural = _("mailbox messages")
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "uidvalidity", "uid"], name="rights_message_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.mailbox} {self.uidvalidity}/{self.uid}"
