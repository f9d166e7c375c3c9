"""Sign-in lock-out with two limits, and how many attempts are left (P3).

django-axes counts failed sign-ins for each of ``AXES_LOCKOUT_PARAMETERS`` and compares the
largest count with one limit. Privacydesk wants two different limits:

- per account *and* client address: ``AXES_FAILURE_LIMIT`` (5) failures in the cool-off time
  lock that account for that address. A mistyping colleague, or an attacker at one address,
  is stopped quickly without locking the account for anyone else;
- per account across all addresses: ``ACCOUNTS_ACCOUNT_FAILURE_LIMIT`` (50) failures lock the
  account everywhere. This caps guessing from many addresses (a botnet, an IPv6 range) at
  that many tries per cool-off time, while one attacker needs that many addresses' worth of
  failures (ten addresses by default) to lock a colleague out.

The handler reports failures *scaled to the first limit*: the count that would lock is the
same (``AXES_FAILURE_LIMIT``) for both, so axes' own comparison applies both limits and
``attempts_left`` is simply the limit minus that count.
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


def _sum(queryset) -> int:
    return queryset.aggregate(total=Sum("failures_since_start"))["total"] or 0


class AccountCapHandler(AxesDatabaseHandler):
    """axes' database handler with a separate, higher limit per account across addresses."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        pair_limit = settings.AXES_FAILURE_LIMIT
        account_limit = settings.ACCOUNTS_ACCOUNT_FAILURE_LIMIT
        username = get_client_username(request, credentials)
        attempts = self.get_user_attempts(request, credentials)
        # get_user_attempts follows AXES_LOCKOUT_PARAMETERS: [username+ip], [username].
        pair = _sum(attempts[0]) if attempts else 0
        account = _sum(attempts[1]) if len(attempts) > 1 and username else 0
        return max(pair, account - (account_limit - pair_limit))


def attempts_left(request: HttpRequest, username: str) -> int:
    """How many more failed sign-ins lock ``username`` for this client (0: locked)."""
    from axes.handlers.proxy import AxesProxyHandler

    credentials = {settings.AXES_USERNAME_FORM_FIELD: username}
    failures = AxesProxyHandler.get_failures(request, credentials)
    return max(0, settings.AXES_FAILURE_LIMIT - failures)
