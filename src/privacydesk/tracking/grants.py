"""Who may read tracking data (DESIGN.md section 7): the privacy officer reads it; sales and
the admin will see aggregates (the analytics pages of a later round)."""

from privacydesk.spine.roles import PRIVACY_OFFICER

GRANTS = {
    PRIVACY_OFFICER: {"tracking.view_visitor", "tracking.view_event"},
}
