"""Consent records are personal data of website visitors, found by their consent id (P1, P15).

They appear in access requests (kind ``visitor_id``: the consent id the banner shows as a
receipt) and follow erasure: an erasure request deletes them, the retention sweep deletes
them two years after the consent ended (withdrawn or replaced by a later decision, or expired
12 months after it was given). Each deletion is audited; the hashes anchored in the audit log
stay, and hold nothing about the visitor.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Q

from privacydesk.spine.registry import ModelData, register


def _erase(rows) -> int:
    from privacydesk.audit.services import record

    ids = sorted(rows.values_list("id", flat=True))
    if not ids:
        return 0
    count, _ = rows.model.objects.filter(id__in=ids).delete()
    record(
        actor="system:erasure",
        action="consent.erased",
        object_type=rows.model._meta.label,
        detail={"records": ids},
    )
    return count


@dataclass
class VisitorData(ModelData):
    """A declaration whose rows hold consent ids (UUIDs), exported as text."""

    def export_row(self, obj) -> dict:
        return {
            k: str(v) if isinstance(v, uuid.UUID) else v for k, v in super().export_row(obj).items()
        }


@dataclass
class ConsentRecords(VisitorData):
    def expired(self, cutoff: datetime) -> list[str]:
        """Records whose consent ended before ``cutoff``: replaced by a later decision of the
        same consent id before it, or the newest and given 12 months before it."""
        from privacydesk.consent.models import ConsentRecord
        from privacydesk.consent.services import VALID_FOR

        later = ConsentRecord.objects.filter(
            consent_id=OuterRef("consent_id"), id__gt=OuterRef("id")
        )
        replaced = Exists(later.filter(at__lt=cutoff))
        newest = ~Exists(later)
        rows = ConsentRecord.objects.filter(replaced | (newest & _before(cutoff - VALID_FOR)))
        return sorted(str(pk) for pk in rows.values_list("pk", flat=True))


def _before(moment: datetime) -> Q:
    return Q(at__lt=moment)


def by_consent_id(field: str, value: str) -> Q:
    """Rows whose ``field`` is this consent id; none for a value that is not one."""
    try:
        return Q(**{field: uuid.UUID(value.strip())})
    except ValueError:
        return Q(pk__in=[])


FIELDS = (
    "consent_id", "at", "kind", "analytics", "tracking", "gpc", "policy_version",
    "banner_version", "language", "origin", "ip_address", "hash",
)  # fmt: skip

register(
    ConsentRecords(
        model="consent.ConsentRecord",
        activity="consent_records",
        fields=FIELDS,
        lookups={"visitor_id": lambda value: by_consent_id("consent_id", value)},
        retention_field="at",
        eraser=_erase,
    ),
)
