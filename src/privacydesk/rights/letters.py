"""Letters to the requester, in their language, one template per outcome (Art. 12(1)).

Sent with Django's ``send_mail`` (SMTP from ``EMAIL_URL``, or the local outbox) until the one
sender ``privacydesk.spine.mail`` takes over. A request whose sender could not be trusted
(a broken or forged From) gets no mail at all: staff answer it by post.
"""

from __future__ import annotations

import logging
import smtplib

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from privacydesk.audit.services import record

log = logging.getLogger(__name__)

OUTCOMES = (
    "verify",
    "acknowledgement",
    "extension",
    "refusal",
    "access",
    "portability",
    "erasure",
    "objection",
    "restriction",
    "rectification",
)


def render(outcome: str, req, context: dict | None = None) -> tuple[str, str]:
    """(subject, body) of one letter in the request's language."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown letter {outcome!r}")
    ctx = {"req": req, **(context or {})}
    with translation.override(req.language if req.language in ("nl", "en") else "nl"):
        subject = render_to_string("rights/letters/subject.txt", {**ctx, "outcome": outcome})
        body = render_to_string(f"rights/letters/{outcome}.txt", ctx)
    return " ".join(subject.split()), body


def send(outcome: str, req, *, actor: str, context: dict | None = None) -> bool:
    """Send one letter; False (logged without personal data) when it could not be sent."""
    if not req.email or not req.mailbox_from_ok:
        return False
    subject, body = render(outcome, req, context)
    try:
        send_mail(subject, body, None, [req.email])
    except (smtplib.SMTPException, OSError):
        log.warning("letter %s for request %s could not be sent", outcome, req.pk)
        return False
    record(
        actor=actor,
        action="rights.letter_sent",
        obj=req,
        subject=_ref(req),
        detail={"letter": outcome},
    )
    return True


def _ref(req) -> str:
    from privacydesk.rights.services import subject_reference

    return subject_reference(req)
