"""Demo requests for ``privacydesk demo``: one per channel, with days left to see the queue."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from privacydesk.rights import services
from privacydesk.rights.models import Request

DEMO = [
    ("access", "web", "anne.demo@example.nl", 2),
    ("erasure", "email", "bram.demo@example.nl", 25),
    ("objection", "post", "carla.demo@example.nl", 33),
]


def load(*, console) -> list[str]:
    """Idempotent: a demo address that already has a request is left alone."""
    lines = []
    now = timezone.now()
    for kind, channel, email, days_ago in DEMO:
        if Request.objects.filter(email=email).exists():
            continue
        req = services.create(
            kind=kind,
            channel=channel,
            actor="system:demo",
            email=email,
            received_at=now - timedelta(days=days_ago),
            verified=channel != "web",
            identity_check="demo" if channel == "post" else "",
        )
        lines.append(f"request {req.pk}: {kind} by {channel}, due on {req.deadline.isoformat()}")
    return lines or ["demo requests were loaded before"]
