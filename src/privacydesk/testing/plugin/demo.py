"""The plug-in test app's demo records: ``privacydesk demo`` calls ``load`` of every app."""

from __future__ import annotations

from privacydesk.audit.services import record


def load(*, console) -> list[str]:
    record(actor="system:demo", action="plugin.demo_loaded")
    return ["plug-in demo records loaded"]
