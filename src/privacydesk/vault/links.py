"""The customer's download link: an unguessable signed token naming the job (P4).

The token is signed with the site's secret (healthchecks' pattern), so it is not stored and
can be put in every reminder; ``link_version`` lets staff invalidate all earlier links. The
PIN given at intake is the second factor; the link dies with the job's items, and when
staff revoke it.

Where the link points: a page shows the link built from its own request (the address the
technician is using, which is the one that opens); a link made outside a request (the CLI,
the worker's reminders) starts with ``SITE_URL``, whose default is the address
``privacydesk run`` serves on (see ``conf.site_url``).
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import translation

SALT = "privacydesk.vault.portal"


def token_for(job) -> str:
    return signing.dumps({"j": job.pk, "v": job.link_version}, salt=SALT, compress=True)


def resolve(token: str):
    """(job, current) for a token: the job it names (None for a bad signature or an unknown
    job), and whether it is of the job's current link version (False: the link was replaced,
    revoked, or ended with the job's erasure)."""
    from privacydesk.vault.models import RecoveryJob

    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None, False
    if not isinstance(data, dict):
        return None, False
    try:
        job = RecoveryJob.objects.filter(pk=int(data.get("j"))).first()
    except (TypeError, ValueError, OverflowError):
        return None, False
    if job is None:
        return None, False
    # Art. 18: a restricted job is stored, not used; its link shows nothing meanwhile.
    current = job.link_version == data.get("v") and job.link_revoked_at is None
    return job, current and not job.restricted


def portal_path(job) -> str:
    """The link in Dutch, the company's language; the portal page offers English."""
    with translation.override(settings.LANGUAGE_CODE):
        return reverse("vault:portal", kwargs={"token": token_for(job)})


def site_url(request=None) -> str:
    """The base the customer's link starts with: the request's scheme and host when there is
    a request, else ``SITE_URL``."""
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    return settings.SITE_URL


def portal_url(job, *, base: str | None = None) -> str:
    return f"{base or settings.SITE_URL}{portal_path(job)}"
