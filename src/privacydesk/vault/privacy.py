"""The vault's personal data: the customer's contact address and what the items are called.

The recovered content itself is erased by the vault's own sweep (day keys destroyed, blobs
deleted, names blanked); the generic retention sweep only anonymises what the job rows keep
about the customer once everything is erased.
"""

from privacydesk.policy.registry import ModelData, exempt, register

register(
    ModelData(
        model="vault.RecoveryJob",
        activity="recovery_vault",
        fields=("contact_email", "device", "intake_date", "status"),
        lookups={"email": "contact_email__iexact"},
        retention_field="created_at",
        retention_filter={"status": "erased"},
        erasure="anonymise",
        anonymised={"contact_email": ""},
        rectifiable=("contact_email",),
    ),
    ModelData(
        model="vault.VaultItem",
        activity="recovery_vault",
        fields=("name", "size", "sha256", "created_at", "expires_on", "state"),
        lookups={"email": "job__contact_email__iexact"},
        # Erasing an item is the vault's own: its key is destroyed, then its blob.
        eraser=lambda rows: _shred(rows),
    ),
)
exempt("vault.DeletionCertificate", "item ids, sizes and hashes only; no names, no contact data")


def _shred(rows) -> int:
    from privacydesk.vault.models import VaultItem
    from privacydesk.vault.services import shred

    count = 0
    for item in rows.exclude(state=VaultItem.State.ERASED):
        shred(item, actor="system:erasure", reason="erasure request or retention")
        count += 1
    return count
