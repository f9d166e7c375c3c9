"""The customer's download link: an unguessable signed token naming the job (P4).

The token is signed with the site's secret (healthchecks' pattern), so it is not stored and
can be put in every reminder; ``link_version`` lets staff invalidate all earlier links. The
PIN given at intake is the second factor; the link dies with the job's items.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import translation

SALT = "privacydesk.vault.portal"


def token_for(job) -> str:
    return signing.dumps({"j": job.pk, "v": job.link_version}, salt=SALT, compress=True)


def job_for(token: str):
    """The job a token names, or None (bad signature, old link version, unknown or
    restricted job)."""
    from privacydesk.vault.models import RecoveryJob

    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    job = RecoveryJob.objects.filter(pk=data.get("j")).first()
    if job is None or job.link_version != data.get("v"):
        return None
    if job.restricted:  # Art. 18: stored, not used; the link shows nothing while restricted
        return None
    return job


def portal_path(job) -> str:
    """The link in Dutch, the company's language; the portal page offers English."""
    with translation.override(settings.LANGUAGE_CODE):
        return reverse("vault:portal", kwargs={"token": token_for(job)})


def portal_url(job) -> str:
    return f"{settings.SITE_URL}{portal_path(job)}"
