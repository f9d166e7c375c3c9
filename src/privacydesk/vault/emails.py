"""E-mail to the customer about their recovery job, through the one e-mail sender (P4, P12).

``privacydesk.spine.mail.send`` with the configured backend (SMTP from ``EMAIL_URL``, or the local
outbox). The link goes by e-mail; the PIN never does: it is handed over at intake in person
or on the printed intake receipt, so a read mailbox alone opens nothing.
"""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from privacydesk.audit.services import record
from privacydesk.spine import mail

log = logging.getLogger(__name__)


def send_link(job, link: str, *, actor: str, reissued: bool = False) -> bool:
    """Send the customer the download link of ``job`` (Dutch and English in one message).

    Returns False, and logs without personal data, when the message could not be handed to
    the mail server; the job stands, and staff give the link on the receipt instead.
    """
    if not job.contact_email:
        return False
    context = {"job": job, "link": link, "reissued": reissued}
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("vault/link_subject.txt", context).strip()
        body = render_to_string("vault/link.txt", context)
    try:
        mail.send(job.contact_email, subject, body)
    except (smtplib.SMTPException, OSError, mail.UnsafeHeader):
        log.warning("the download link e-mail for recovery job %s could not be sent", job.pk)
        return False
    record(
        actor=actor,
        action="vault.link_sent",
        obj=job,
        subject=job.subject(),
        detail={"reissued": reissued},
    )
    return True
