"""The retention sweep: every activity's retention applied to its declared data, daily."""

from datetime import time, timedelta

from privacydesk.jobs.registry import job, periodic
from privacydesk.policy.services import sweep_retention

#: The local time of day of the daily sweep: shortly after midnight, so P12 ("the retention
#: sweep ran today") holds from then on all day.
SWEEP_AT = time(0, 15)


@periodic(every=timedelta(days=1), name="policy.sweep_retention", at=SWEEP_AT)
@job(max_attempts=3)
def retention_sweep() -> dict:
    return sweep_retention()
