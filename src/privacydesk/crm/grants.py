"""Who may do what in the CRM (DESIGN.md section 7, P3).

Sales and the administrator write (contacts, organisations, interactions, invoices, imports,
merges); the technician and the privacy officer read. Every read of a contact is audited.
"""

from privacydesk.spine.roles import ADMIN, PRIVACY_OFFICER, SALES, TECHNICIAN

_READ = {
    "crm.view_organisation",
    "crm.view_contact",
    "crm.view_interaction",
    "crm.view_invoice",
}
_WRITE = _READ | {
    "crm.add_organisation",
    "crm.change_organisation",
    "crm.add_contact",
    "crm.change_contact",
    "crm.delete_contact",
    "crm.add_interaction",
    "crm.add_invoice",
    "crm.change_invoice",
}

GRANTS = {
    TECHNICIAN: _READ,
    SALES: _WRITE,
    PRIVACY_OFFICER: _READ,
    ADMIN: _WRITE,
}
