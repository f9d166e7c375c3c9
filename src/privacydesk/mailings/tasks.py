"""The newsletter's background work: sending campaigns and its periodic housekeeping."""

from datetime import timedelta

from django.conf import settings

from privacydesk.jobs.registry import job, periodic
from privacydesk.mailings import delivery, services, throttle


@job(max_attempts=3)
def deliver(campaign_id: int | None = None) -> dict:
    """Send what is due of one campaign (enqueued when a campaign is sent)."""
    return delivery.deliver(campaign_id).as_dict()


@periodic(every=timedelta(seconds=settings.MAILINGS_TICK_SECONDS), name="mailings.tick")
@job(max_attempts=1)
def tick() -> dict:
    """Retries that are due, claims left by a worker that died, campaigns to close; signups
    never confirmed and old rate-limit counters are removed."""
    report = delivery.deliver().as_dict()
    report["pending_expired"] = services.expire_pending()
    report["throttle_rows_removed"] = throttle.prune()
    return report
