"""The vault's periodic work: the erasure sweep and the reminders before erasure (P4, P12)."""

from datetime import timedelta

from privacydesk.jobs.registry import job, periodic
from privacydesk.vault import erasure, reminders


@periodic(every=timedelta(hours=1), name="vault.sweep")
@job(max_attempts=3)
def vault_sweep() -> dict:
    report = erasure.sweep()
    return {
        "keys_destroyed": len(report.keys_destroyed),
        "items_erased": report.items_erased,
        "certificates": len(report.certificates),
        "leftovers_removed": report.leftovers_removed,
    }


@periodic(every=timedelta(hours=6), name="vault.reminders")
@job(max_attempts=3)
def vault_reminders() -> dict:
    return {"sent": reminders.send_due()}
