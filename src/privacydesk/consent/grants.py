"""Who may read consent records (DESIGN.md section 7): the privacy officer and the admin, to
answer "prove this visitor consented"; each look-up is audited."""

from privacydesk.spine.roles import ADMIN, PRIVACY_OFFICER

GRANTS = {
    PRIVACY_OFFICER: {"consent.view_consentrecord"},
    ADMIN: {"consent.view_consentrecord"},
}
