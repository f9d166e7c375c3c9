"""The vault's promise on the board (``spine.promises``): P4, nothing readable after its day."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from privacydesk.jobs.models import PeriodicRun
from privacydesk.spine.promises import Finding, keeps
from privacydesk.vault import keyring
from privacydesk.vault.models import VaultItem

SWEEP = "vault.sweep"
SWEEP_LATE = timedelta(minutes=70)  # hourly, with room for a busy worker


def _when(moment) -> str:
    return timezone.localtime(moment).isoformat(timespec="minutes")


@keeps("P4")
def no_item_readable_after_its_day() -> Finding:
    today = timezone.localdate()
    late = VaultItem.objects.filter(state=VaultItem.State.STORED, expires_on__lt=today)
    readable = [str(i.pk) for i in late if keyring.has_key(i.key_name)]
    kept_days = [keyring.day_name(d) for d in keyring.days_before(today)]
    problems = []
    if readable:
        problems.append(
            format_lazy(
                _("vault items readable past their day: {ids}"), ids=", ".join(readable[:10])
            )
        )
    if kept_days:
        problems.append(
            format_lazy(
                _("day keys of passed days still exist: {days}"), days=", ".join(kept_days[:10])
            )
        )
    run = PeriodicRun.objects.filter(name=SWEEP).first()
    last = run.last_enqueued_at if run else None
    if last is None:
        problems.append(_("the vault sweep has never run"))
    elif timezone.now() - last > SWEEP_LATE:
        problems.append(format_lazy(_("the last vault sweep was at {when}"), when=_when(last)))
    if problems:
        return Finding(False, format_lazy("{}" + "; {}" * (len(problems) - 1), *problems))
    stored = VaultItem.objects.filter(state=VaultItem.State.STORED).count()
    return Finding(
        True,
        format_lazy(
            _("{count} items stored, none past its day; last sweep at {when}"),
            count=stored,
            when=_when(last),
        ),
    )
