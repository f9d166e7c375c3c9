"""The registers' periodic work: agreement warnings (P9) and the 72-hour clock (Art. 33)."""

from datetime import timedelta

from privacydesk.jobs.registry import job, periodic
from privacydesk.registers import services


@periodic(every=timedelta(hours=6), name="registers.agreement_warnings")
@job(max_attempts=3)
def agreement_warnings() -> dict:
    return {"sent": services.warn_agreements()}


@periodic(every=timedelta(minutes=15), name="registers.breach_reminders")
@job(max_attempts=3)
def breach_reminders() -> dict:
    return {"sent": services.remind_breaches()}
