"""Letters to the requester, in their language, one template per outcome (Art. 12(1)).

Sent through the product's one sender, :mod:`privacydesk.spine.mail` (SMTP from
``EMAIL_URL``, or the local outbox). A request whose sender could not be trusted (a broken or
forged From) gets no mail at all: staff answer it by post.

Every letter's Message-ID names its request and is signed (:func:`message_id`), so that a
reply (``In-Reply-To``/``References``) is filed with the request it answers
(:func:`request_for_message_id`) instead of becoming a new request. The acknowledgement of a
mailed request is an automatic reply and says so (``Auto-Submitted: auto-replied``, RFC 3834),
so that auto-responders do not answer it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import smtplib

from django.conf import settings
from django.template import Context
from django.template.loader import get_template
from django.utils import translation

from privacydesk.audit.services import record
from privacydesk.spine import mail

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
        subject = render_text("rights/letters/subject.txt", {**ctx, "outcome": outcome})
        body = render_text(f"rights/letters/{outcome}.txt", ctx)
    return " ".join(subject.split()), body


def render_text(name: str, ctx: dict) -> str:
    """A plain-text template rendered without HTML escaping (a letter is no web page)."""
    template = get_template(name).template
    return template.render(Context(ctx, autoescape=False))


_OUR_ID = re.compile(r"<rights\.(\d{1,18})\.([0-9a-f]{16})\.([0-9a-f]{24})@[^<>\s]+>")


def _mac(pk: int, nonce: str, key: bytes) -> str:
    return hmac.new(key, f"msgid:{pk}:{nonce}".encode(), hashlib.sha256).hexdigest()[:24]


def message_id(req) -> str:
    """A fresh Message-ID for a letter of ``req``: names the request, signed."""
    nonce = secrets.token_hex(8)
    mac = _mac(req.pk, nonce, settings.PSEUDONYM_KEYS[0])
    return f"<rights.{req.pk}.{nonce}.{mac}@{mail.message_domain()}>"


def request_for_message_id(value: str) -> int | None:
    """The request one of our letters' Message-IDs in ``value`` names; None when none does."""
    for match in _OUR_ID.finditer(value or ""):
        pk, nonce, mac = int(match.group(1)), match.group(2), match.group(3)
        for key in settings.PSEUDONYM_KEYS:
            if hmac.compare_digest(_mac(pk, nonce, key), mac):
                return pk
    return None


#: Letters sent automatically, without a person (RFC 3834 ``Auto-Submitted``).
AUTOMATIC = {"acknowledgement": "auto-replied", "verify": "auto-generated"}


def send(outcome: str, req, *, actor: str, context: dict | None = None) -> bool:
    """Send one letter; False (logged without personal data) when it could not be sent."""
    if not req.email or not req.mailbox_from_ok:
        return False
    subject, body = render(outcome, req, context)
    headers = {"Message-ID": message_id(req)}
    if outcome in AUTOMATIC:
        headers["Auto-Submitted"] = AUTOMATIC[outcome]
    try:
        mail.send(req.email, subject, body, headers=headers)
    except (smtplib.SMTPException, OSError, mail.UnsafeHeader):
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
