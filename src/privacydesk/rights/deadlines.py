"""The deadlines of Art. 12(3) GDPR: one calendar month, extended by at most two more.

Calendar months with dateutil's ``relativedelta``: a request received on 31 January is due
on 28 February (29 in a leap year). The month is counted from the local date of receipt
(Europe/Amsterdam), so a message that arrives at 23:30 on the last day counts on that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from django.utils import timezone

WARN_DAYS = (7, 2)
MAX_EXTENSION_MONTHS = 2


def due_on(received_at: datetime) -> date:
    """One calendar month after the day of receipt."""
    return timezone.localdate(received_at) + relativedelta(months=1)


def extended(due: date, months: int) -> date:
    """The deadline after an extension of ``months`` (1 or 2) further months."""
    if months not in range(1, MAX_EXTENSION_MONTHS + 1):
        raise ValueError("an extension is one or two further months")
    return due + relativedelta(months=months)


@dataclass(frozen=True)
class Status:
    days_left: int
    warning: int | None  # 7 or 2 when that warning applies, else None
    overdue: bool

    @property
    def overdue_days(self) -> int:
        return max(0, -self.days_left)


def status(deadline: date, *, today: date | None = None) -> Status:
    """Days left until ``deadline`` and which warning (7 or 2 days) applies today."""
    today = today or timezone.localdate()
    left = (deadline - today).days
    warning = None
    if 0 <= left <= WARN_DAYS[1]:
        warning = WARN_DAYS[1]
    elif WARN_DAYS[1] < left <= WARN_DAYS[0]:
        warning = WARN_DAYS[0]
    return Status(days_left=left, warning=warning, overdue=left < 0)
