"""The local outbox holds e-mails to customers: their addresses are personal data (P1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from privacydesk.backoffice import outbox
from privacydesk.policy.registry import Subject, exempt, register


@dataclass(frozen=True)
class OutboxData:
    """Outbox files, found by recipient address; kept as long as customer contact data."""

    label: str = "backoffice.outbox"
    activity: str = "customer_relations"

    def find(self, subject: Subject) -> list[outbox.OutboxMessage]:
        if subject.kind != "email":
            return []
        return outbox.messages_to(subject.value)

    def export(self, subject: Subject) -> list[dict]:
        return [
            {"file": m.name, "sent_at": m.sent_at.isoformat(), "to": m.to, "subject": m.subject}
            for m in self.find(subject)
        ]

    def erase(self, subject: Subject) -> int:
        return sum(outbox.delete_message(m.name) for m in self.find(subject))

    def expire(self, cutoff: datetime) -> int:
        return sum(
            outbox.delete_message(m.name)
            for m in outbox.list_messages(limit=None)
            if m.sent_at < cutoff
        )


register(OutboxData())
exempt("backoffice.Outbox", "carries a permission only; the outbox files are OutboxData")
