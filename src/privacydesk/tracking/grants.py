"""Who may see and do what with tracking (DESIGN.md section 7).

Sales and the admin see aggregates (the analytics page) and keep the gated downloads; the
privacy officer reads tracking data: the aggregates and also single visitors (their download
profile and events), every such read audited. Technicians see nothing of it.
"""

from privacydesk.spine.roles import ADMIN, PRIVACY_OFFICER, SALES

_DOWNLOADS_WRITE = {
    "tracking.view_download",
    "tracking.add_download",
    "tracking.change_download",
}

GRANTS = {
    SALES: {"tracking.view_analytics"} | _DOWNLOADS_WRITE,
    PRIVACY_OFFICER: {
        "tracking.view_analytics",
        "tracking.view_download",
        "tracking.view_visitor",
        "tracking.view_event",
        "tracking.view_profile",
        "tracking.view_delivery",
    },
    ADMIN: {"tracking.view_analytics"} | _DOWNLOADS_WRITE,
}
