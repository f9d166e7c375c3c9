"""Who may do what with the newsletter (DESIGN.md section 7): sales and the admin write,
technicians and the privacy officer read."""

from privacydesk.spine.roles import ADMIN, PRIVACY_OFFICER, SALES, TECHNICIAN

_READ = {
    "mailings.view_mailinglist",
    "mailings.view_subscription",
    "mailings.view_campaign",
    "mailings.view_suppression",
}
_WRITE = _READ | {
    "mailings.add_campaign",
    "mailings.change_campaign",
    "mailings.send_campaign",
    "mailings.add_suppression",
}

GRANTS = {
    TECHNICIAN: _READ,
    SALES: _WRITE,
    PRIVACY_OFFICER: _READ,
    ADMIN: _WRITE,
}
