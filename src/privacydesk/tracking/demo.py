"""Demo records for ``privacydesk demo``: three visitors' cookie decisions and the page views
of the one who accepted tracking (idempotent: loaded once)."""

from __future__ import annotations

from privacydesk.consent import services as consent
from privacydesk.consent.models import ConsentRecord
from privacydesk.tracking import services

DEMO_SITE = "https://demo.compjoeter.example"
AGENT = "Mozilla/5.0 (demo)"


def load(*, console) -> list[str]:
    if ConsentRecord.objects.filter(origin=DEMO_SITE).exists():
        return []
    version = consent.banner_version()
    made = {}
    for action, analytics, tracking in [
        ("accept_all", True, True),
        ("reject_all", False, False),
        ("save", True, False),
    ]:
        decision = consent.Decision(action, analytics, tracking, version, "nl", False)
        made[action] = consent.decide(
            decision, user_agent=AGENT, ip_address="192.0.2.10", origin=DEMO_SITE
        )
    visitor = made["accept_all"].consent_id
    pages = ["/", "/diensten/", "/privacy/", "/cookies/"]
    events = [
        services.parse(
            {"c": str(visitor), "t": "pageview", "u": f"{DEMO_SITE}{path}"},
            ip_address="192.0.2.10",
            now=made["accept_all"].at,
        )
        for path in pages
    ]
    stored = services.write([e for e in events if e is not None])
    return [f"Cookie consent: 3 demo decisions, {stored} page views of the visitor who accepted"]
