"""The audit log names data subjects (by reference) and staff: privacy officer and admin read it."""

from privacydesk.spine.roles import ADMIN, PRIVACY_OFFICER

_READ = {"audit.view_auditentry"}

GRANTS = {PRIVACY_OFFICER: _READ, ADMIN: _READ}
