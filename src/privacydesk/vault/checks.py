"""The vault's promise check: items are erased after the retention the policy states (P4, P12)."""

from privacydesk.policy.checks import retention_follows

retention_follows(
    "recovery_vault",
    setting="VAULT_RETENTION",
    variable="PRIVACYDESK_VAULT_RETENTION",
    what="vault retention",
    id="vault.E001",
)
