"""Passwords and second factors of staff: who may set them, and who is told (P3).

Nobody sets another person's password, and no secret is shown again after enrolment:

- a new staff member gets an *invitation*, an e-mail with a one-time link (Django's
  ``PasswordResetTokenGenerator``: it expires after ``PASSWORD_RESET_TIMEOUT`` and stops
  working once the password changes) where they choose their own password;
- an administrator may send a *password-reset link* the same way, to the address on the
  account, which the administrator cannot change (accounts/admin.py);
- resetting the second factor deletes the person's devices; they enrol again at their next
  sign-in, which needs their own password.

Each of these is audited and tells the person by e-mail, through the one e-mail sender
(``privacydesk.spine.mail``: SMTP, or the outbox in embedded mode). Messages that carry a link are
marked so the back office's outbox reader does not show them to staff (backoffice/outbox.py).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from privacydesk.audit.services import actor_for, record
from privacydesk.spine import mail
from privacydesk.spine.mail import SIGN_IN_LINK_HEADER


class NoAddress(ValueError):
    """The account has no e-mail address to send a link or a notice to."""


def _ref(user) -> str:
    return f"{user._meta.label}:{user.pk}"


def password_link(user, *, base_url: str) -> str:
    """The one-time link where ``user`` chooses a password (``base_url``: scheme and host)."""
    path = reverse(
        "admin:password_set",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return base_url.rstrip("/") + path


def _send(user, *, subject: str, template: str, context: dict, secret_link: bool) -> None:
    if not user.email:
        raise NoAddress(f"staff user {user.pk} has no e-mail address")
    body = render_to_string(
        f"accounts/email/{template}.txt",
        {
            "user": user,
            "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
            **context,
        },
    )
    headers = {SIGN_IN_LINK_HEADER: "1"} if secret_link else {}
    mail.send(user.email, str(subject), body, headers=headers)


def _send_link(*, user, by, base_url: str, action: str, subject: str, template: str) -> None:
    record(actor=actor_for(by), action=action, obj=user, subject=_ref(user))
    link = password_link(user, base_url=base_url)
    _send(user, subject=subject, template=template, context={"link": link}, secret_link=True)


@transaction.atomic
def invite(*, user, by, base_url: str) -> None:
    """E-mail a new staff member the link where they choose their first password."""
    _send_link(
        user=user, by=by, base_url=base_url, action="staff.invited",
        subject=_("Your Privacydesk account"), template="invitation",
    )  # fmt: skip


@transaction.atomic
def send_password_reset(*, user, by, base_url: str) -> None:
    """E-mail ``user`` a link to choose a new password; their current one keeps working."""
    _send_link(
        user=user, by=by, base_url=base_url, action="staff.password_reset_sent",
        subject=_("Choose a new Privacydesk password"), template="password_reset",
    )  # fmt: skip


@transaction.atomic
def reset_second_factor(*, user, by) -> int:
    """Remove a user's devices (lost phone); they enrol again at their next sign-in."""
    deleted, _counts = TOTPDevice.objects.filter(user=user).delete()
    record(
        actor=actor_for(by),
        action="staff.2fa_reset",
        obj=user,
        subject=_ref(user),
        detail={"devices": deleted},
    )
    if user.email:
        _send(
            user,
            subject=_("Your Privacydesk two-step sign-in was reset"),
            template="second_factor_reset",
            context={},
            secret_link=False,
        )
    return deleted


@transaction.atomic
def password_chosen(*, user, how: str) -> None:
    """Record and announce a password the person set themselves (``how``: link or change)."""
    action = "staff.password_set" if how == "link" else "staff.password_changed"
    record(actor=actor_for(user), action=action, obj=user, subject=_ref(user))
    if user.email:
        _send(
            user,
            subject=_("Your Privacydesk password was changed"),
            template="password_changed",
            context={},
            secret_link=False,
        )
