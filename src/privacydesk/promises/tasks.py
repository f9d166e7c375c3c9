"""The promise board's periodic check (every hour), e-mailing when a promise turns red."""

from datetime import timedelta

from privacydesk.jobs.registry import job, periodic
from privacydesk.promises import services


# Below the default priority: when the worker enqueues its due sweeps together (as at its
# first start), the check runs after them and judges their outcome, not their absence.
@periodic(every=timedelta(hours=1), name="promises.check")
@job(max_attempts=2, priority=-10)
def check_promises() -> dict:
    return {o.promise: o.status for o in services.check()}
