"""The audit log holds references to people, never their data (P3).

A person's entries are found under every reference they had: each pseudonym key's, and those
linked by a rectified identifier (``audit.services.subject_refs``).
"""

from django.db.models import Q

from privacydesk.audit.services import subject_refs
from privacydesk.spine.registry import ModelData, register

register(
    ModelData(
        model="audit.AuditEntry",
        activity="staff_access",
        fields=("at", "actor", "action", "object_type", "object_id", "subject_ref"),
        lookups={
            kind: (lambda value, kind=kind: Q(subject_ref__in=subject_refs(kind, value)))
            for kind in ("email", "phone", "visitor_id", "customer_number")
        },
        erasure="keep",
        keep_reason=(
            "accountability record (Art. 5(2), 30, 32 GDPR); append-only and hash-chained; "
            "holds pseudonymous references, not the personal data itself"
        ),
    ),
)
