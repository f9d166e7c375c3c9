"""Checking the promises, storing each result, and telling the privacy officer when one fails.

The checks themselves belong to the apps whose mechanisms keep the promises (their
``promises.py``, ``spine.promises``); this module runs them, stores every outcome
(``PromiseCheck``) and e-mails the privacy officers when a promise turns red: failed now,
not failed in the check before.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from privacydesk.audit.services import record
from privacydesk.promises.models import PromiseCheck
from privacydesk.spine import mail, promises
from privacydesk.spine.roles import PRIVACY_OFFICER

HISTORY = 48


def check(*, actor: str = "system:promises", store: bool = True) -> list[promises.Outcome]:
    outcomes = promises.evaluate()
    if not store:
        return outcomes
    now = timezone.now()
    turned_red = []
    with transaction.atomic():
        for o in outcomes:
            before = PromiseCheck.objects.filter(promise=o.promise).order_by("-checked_at", "-id")
            previous = before.values_list("status", flat=True).first()
            PromiseCheck.objects.create(
                promise=o.promise,
                status=o.status,
                evidence=o.evidence,
                evidence_nl=o.evidence_nl,
                checked_at=now,
            )
            if o.status == promises.FAILED and previous != promises.FAILED:
                turned_red.append(o)
        record(
            actor=actor,
            action="promises.checked",
            detail={o.promise: o.status for o in outcomes},
        )
    if turned_red:
        transaction.on_commit(lambda: _tell_officers(turned_red))
    return outcomes


def _tell_officers(outcomes: list[promises.Outcome]) -> None:
    users = get_user_model().objects.filter(groups__name=PRIVACY_OFFICER, is_active=True)
    to = sorted({u.email for u in users if u.email})
    if not to:
        return
    with translation.override(settings.LANGUAGE_CODE):
        names = ", ".join(o.promise for o in outcomes)
        subject = _("Promise failed: %(promises)s") % {"promises": names}
        lines = [
            f"{o.promise}: {o.evidence_nl if translation.get_language() == 'nl' else o.evidence}"
            for o in outcomes
        ]
        body = _("These promises of the privacy policy failed their check just now:") + "\n\n"
        body += "\n".join(lines) + "\n"
    mail.send(to, subject, body)


def board() -> list[dict]:
    """Per promise: the latest check and its history (oldest first), for the staff page."""
    rows = []
    for promise in promises.PROMISES:
        history = list(
            PromiseCheck.objects.filter(promise=promise).order_by("-checked_at", "-id")[:HISTORY]
        )
        history.reverse()
        rows.append({"promise": promise, "latest": history[-1] if history else None,
                     "history": history})  # fmt: skip
    return rows
