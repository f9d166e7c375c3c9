"""Rate limits of the public signup form, shared by every web process (a database table).

Counted per window of ``MAILINGS_SIGNUP_WINDOW_SECONDS`` under two keys: the truncated client
address and the e-mail address, both as keyed hashes (``audit.subject_ref``), so the table
holds nothing readable. An insert that meets a concurrent one falls back to an update; the
count is raised with a single ``UPDATE … SET count = count + 1``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from privacydesk.audit.services import subject_ref
from privacydesk.mailings.models import SignupThrottle
from privacydesk.redaction import truncate_ip


def _window(now: datetime) -> datetime:
    size = settings.MAILINGS_SIGNUP_WINDOW_SECONDS
    stamp = int(now.timestamp()) // size * size
    return datetime.fromtimestamp(stamp, tz=now.tzinfo or timezone.get_current_timezone())


def _hit(key: str, window: datetime) -> int:
    updated = SignupThrottle.objects.filter(key=key, window=window).update(count=F("count") + 1)
    if not updated:
        try:
            with transaction.atomic():
                SignupThrottle.objects.create(key=key, window=window, count=1)
                return 1
        except IntegrityError:
            SignupThrottle.objects.filter(key=key, window=window).update(count=F("count") + 1)
    return SignupThrottle.objects.get(key=key, window=window).count


def allow_signup(*, ip: str | None, email: str, now: datetime | None = None) -> bool:
    """Count one signup; False when the client's network or the address is over its limit."""
    now = now or timezone.now()
    window = _window(now)
    network = truncate_ip(ip) or "unknown"
    by_ip = _hit(subject_ref("ip", network).replace("ip#", "net#"), window)
    by_address = _hit(subject_ref("email", email.strip().lower()).replace("email#", "to#"), window)
    return (
        by_ip <= settings.MAILINGS_SIGNUP_LIMIT_PER_IP
        and by_address <= settings.MAILINGS_SIGNUP_LIMIT_PER_ADDRESS
    )


def prune(now: datetime | None = None) -> int:
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=2 * settings.MAILINGS_SIGNUP_WINDOW_SECONDS)
    deleted, _ = SignupThrottle.objects.filter(window__lt=cutoff).delete()
    return deleted
