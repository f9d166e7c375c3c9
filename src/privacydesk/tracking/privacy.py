"""Tracking data are personal data of website visitors, found by their consent id (P1, P7).

Events follow the ``website_tracking`` retention (one year from collection); a visitor row
without events left goes a year after it was last seen. A withdrawal of tracking consent
erases both at once (``services.on_decision``).
"""

from privacydesk.consent.privacy import VisitorData, by_consent_id
from privacydesk.spine.registry import register

register(
    VisitorData(
        model="tracking.Visitor",
        activity="website_tracking",
        fields=("id", "first_seen", "last_seen"),
        lookups={"visitor_id": lambda value: by_consent_id("id", value)},
        retention_field="last_seen",
    ),
    VisitorData(
        model="tracking.Event",
        activity="website_tracking",
        fields=("at", "kind", "site", "path", "target", "duration_ms", "ip_address"),
        parent="tracking.Visitor",
        parent_field="visitor",
        retention_field="at",
    ),
)
