"""Who may do what in the vault (DESIGN.md section 7, P3, P4).

Technicians take in and hand over their jobs; the privacy officer and the admin see
metadata only. The privacy officer places legal holds; only the admin exports an item key.
"""

from privacydesk.spine.roles import ADMIN, PRIVACY_OFFICER, TECHNICIAN

_METADATA = {
    "vault.view_recoveryjob",
    "vault.view_vaultitem",
    "vault.view_deletioncertificate",
}

GRANTS = {
    TECHNICIAN: _METADATA
    | {
        "vault.add_recoveryjob",
        "vault.change_recoveryjob",
        "vault.add_vaultitem",
        "vault.unlock_portal",
    },
    PRIVACY_OFFICER: _METADATA | {"vault.hold_vaultitem"},
    ADMIN: _METADATA | {"vault.unlock_portal", "vault.export_key_vaultitem"},
}
