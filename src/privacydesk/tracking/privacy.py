"""Tracking data are personal data of website visitors, found by their consent id (P1, P7).

Events follow the ``website_tracking`` retention (one year from collection); a visitor row
without events left goes a year after it was last seen. A withdrawal of tracking consent
erases both at once (``services.on_decision``), and with the visitor its download profile.

The download profile (what a consenting visitor answered in download forms, the data category
``download_profile`` of the same activity) is found by the consent id and by the e-mail
address and phone number it holds. It reveals its visitor's consent id (``reveals``), so a
request by e-mail address or phone number also finds the visitor, their events and their
consent records (consent app), in the access package and in the erasure. It goes a year
after its last answer, at once on "Not you?", and on an objection (Art. 21: no profiling for
commercial content). The downloads a profile names are unlinked when it goes (they stay as
counts that name no one). Gated downloads themselves are content staff upload.
"""

from privacydesk.audit.services import record
from privacydesk.consent.privacy import VisitorData, by_consent_id
from privacydesk.spine.registry import exempt, register

PROFILE_FIELDS = ("name", "email", "company", "phone", "function")


def _object_to_profiling(subjects, rows) -> int:
    """Art. 21(2): objecting to direct marketing ends the profile it would be based on."""
    ids = sorted(rows.values_list("pk", flat=True))
    if not ids:
        return 0
    rows.model.objects.filter(pk__in=ids).delete()
    record(
        actor="system:objection",
        action="tracking.profile_erased_on_objection",
        object_type=rows.model._meta.label,
        detail={"profiles": ids},
    )
    return len(ids)


def _delivery_row(delivery) -> dict:
    return {
        "id": delivery.pk,
        "download": delivery.download.title_nl,
        "file": delivery.download.file_name,
        "at": delivery.at.isoformat(),
    }


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
    VisitorData(
        model="tracking.Profile",
        activity="website_tracking",
        fields=("visitor", *PROFILE_FIELDS, "created_at", "updated_at"),
        lookups={"email": "email__ieq", "phone": "phone"},
        parent="tracking.Visitor",
        parent_field="visitor",
        retention_field="updated_at",
        rectifiable=PROFILE_FIELDS,
        provided=PROFILE_FIELDS,
        objector=_object_to_profiling,
        reveals={"visitor_id": "visitor_id"},
    ),
    VisitorData(
        model="tracking.Delivery",
        activity="website_tracking",
        fields=("download", "at"),
        parent="tracking.Profile",
        parent_field="profile",
        retention_field="at",
        retention_filter={"profile__isnull": False},
        erasure="anonymise",
        anonymised={"profile": None},
        exporter=_delivery_row,
    ),
)
exempt(
    "tracking.Download",
    "gated content staff upload (titles, summaries, the file and its questions): no visitor's data",
)
