"""The local outbox holds recipients' addresses: privacy officer and admin read it."""

from privacydesk.spine.roles import ADMIN, PRIVACY_OFFICER

_READ = {"backoffice.view_outbox"}

GRANTS = {PRIVACY_OFFICER: _READ, ADMIN: _READ}
