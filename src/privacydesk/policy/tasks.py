"""The retention sweep: every activity's retention applied to its declared data, daily."""

from datetime import timedelta

from privacydesk.jobs.registry import job, periodic
from privacydesk.policy.services import sweep_retention


@periodic(every=timedelta(hours=24), name="policy.sweep_retention")
@job(max_attempts=3)
def retention_sweep() -> dict:
    return sweep_retention()
