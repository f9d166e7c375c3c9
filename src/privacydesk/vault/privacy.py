"""The vault's personal data: the customer's contact address and what the items are called.

The recovered content itself is erased by the vault's own sweep (day keys destroyed, blobs
deleted, names blanked); the generic retention sweep only anonymises what the job rows keep
about the customer once everything is erased. An erasure request shreds the job's items
(found through the job, before the job's address is blanked) and then anonymises the job.
A restricted job (Art. 18) is kept but not used: no uploads, no downloads, no reminders.
"""

from privacydesk.spine.registry import ModelData, exempt, register

register(
    ModelData(
        model="vault.RecoveryJob",
        activity="recovery_vault",
        fields=("contact_email", "device", "intake_date", "status", "restricted"),
        lookups={"email": "contact_email__ieq"},
        retention_field="created_at",
        retention_filter={"status": "erased"},
        erasure="anonymise",
        anonymised={
            "contact_email": "",
            "device": "(erased)",
            "status": "erased",
            # The customer's link dies with the data.
            "link_version": lambda job: job.link_version + 1,
        },
        restrict_field="restricted",
        rectifiable=("contact_email",),
    ),
    ModelData(
        model="vault.VaultItem",
        activity="recovery_vault",
        fields=("name", "size", "sha256", "created_at", "expires_on", "state"),
        parent="vault.RecoveryJob",
        parent_field="job",
        restrict_field="job__restricted",
        # Erasing an item is the vault's own: its key is destroyed, then its blob.
        eraser=lambda rows: _shred(rows),
        # A legal hold rewraps the item key under the hold key, out of reach of the day's sweep.
        hold_hook=lambda rows, held, actor: _hold(rows, held, actor),
    ),
)
exempt("vault.DeletionCertificate", "item ids, sizes and hashes only; no names, no contact data")


def _shred(rows) -> int:
    from privacydesk.vault.models import VaultItem
    from privacydesk.vault.services import shred

    count = 0
    # A held item is never shredded here, whoever calls: the plan leaves held keys out, and
    # this keeps a direct call on the source from erasing what a legal hold keeps.
    for item in rows.exclude(state__in=[VaultItem.State.ERASED, VaultItem.State.HELD]):
        shred(item, actor="system:erasure", reason="erasure request or retention")
        count += 1
    return count


def _hold(rows, held: bool, actor: str) -> None:
    from privacydesk.vault.models import VaultItem
    from privacydesk.vault.services import rewrap_for_hold

    for item in rows.exclude(state=VaultItem.State.ERASED):
        rewrap_for_hold(item, held=held, actor=actor)
