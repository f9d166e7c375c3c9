"""The promise board: the privacy officer and the admin see it (DESIGN.md section 7)."""

from privacydesk.spine.roles import ADMIN, PRIVACY_OFFICER

GRANTS = {
    PRIVACY_OFFICER: {"promises.view_promisecheck"},
    ADMIN: {"promises.view_promisecheck"},
}
