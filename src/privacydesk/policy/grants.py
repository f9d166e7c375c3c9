"""The privacy model, its revisions and the published versions: privacy officer and admin."""

from privacydesk.spine.roles import ADMIN, PRIVACY_OFFICER

_READ = {
    "policy.view_processingactivity",
    "policy.view_policyversion",
    "policy.view_modelrevision",
}

GRANTS = {PRIVACY_OFFICER: _READ, ADMIN: _READ}
