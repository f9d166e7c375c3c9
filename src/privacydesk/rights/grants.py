"""Who may do what with data-subject requests (DESIGN.md section 7): the privacy officer
handles them, the admin reads them."""

from privacydesk.spine.roles import ADMIN, PRIVACY_OFFICER

_READ = {"rights.view_request", "rights.view_attachment", "rights.view_mailboxmessage"}

GRANTS = {
    PRIVACY_OFFICER: _READ | {"rights.add_request", "rights.change_request"},
    ADMIN: _READ,
}
