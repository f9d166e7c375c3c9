"""The local outbox holds e-mails to customers: their addresses are personal data (P1)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from privacydesk.backoffice import outbox
from privacydesk.spine.registry import Key, Subject, exempt, register


@dataclass(frozen=True)
class OutboxData:
    """Outbox files, found by recipient address; kept as long as customer contact data.

    A key is a file name. A sent message is a record of what was sent: it is not rectified, and
    restriction does not apply (nothing uses the files but staff reading them).
    """

    label: str = "backoffice.outbox"
    activity: str = "customer_relations"
    parent: str | None = None
    erasure: str = "delete"
    keep_reason: str = ""

    def find(self, subject: Subject, parents: Mapping[str, Sequence[Key]] = {}) -> list[Key]:
        if subject.kind != "email":
            return []
        return [m.name for m in outbox.messages_to(subject.value)]

    def parent_keys(self, keys: Sequence[Key]) -> list[Key]:
        return []

    def identifier_fields(self) -> dict[str, str]:
        return {}

    def export(self, keys: Sequence[Key]) -> list[dict]:
        found = (outbox.read_message(name) for name in keys)
        return [
            {"file": m.name, "sent_at": m.sent_at.isoformat(), "to": m.to, "subject": m.subject}
            for m in found
            if m is not None
        ]

    def rectify(self, keys: Sequence[Key], changes: Mapping[str, Any]) -> int:
        if changes:
            raise ValueError(f"{self.label}: a sent message is not rectified")
        return 0

    def restrict(self, keys: Sequence[Key]) -> int:
        return 0

    def erase(self, keys: Sequence[Key]) -> int:
        return sum(outbox.delete_message(name) for name in keys)

    def expired(self, cutoff: datetime) -> list[Key]:
        return [m.name for m in outbox.list_messages(limit=None) if m.sent_at < cutoff]

    def inventory(self, keys: Sequence[Key]) -> dict:
        return {"rows": len(keys), "fields": ["to", "subject", "body"], "restricted": 0,
                "erasure": self.erasure}  # fmt: skip

    def on_hold(self, keys: Sequence[Key], held: bool, *, actor: str) -> None:
        return None


register(OutboxData())
exempt("backoffice.Outbox", "carries a permission only; the outbox files are OutboxData")
