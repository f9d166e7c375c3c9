"""The rights app's personal data: the requests themselves, their attachments and messages.

A request is the record that a person asked and how it was answered (Art. 5(2), 12): it is
kept for three years after it was closed (activity ``rights_requests``), also when the same
person later asks for erasure; an erasure request explains it in its answer. Only the
retention sweep deletes it (``_erase_expired``: rows whose retention has passed).
"""

from django.utils import timezone

from privacydesk.spine.registry import ModelData, register

KEEP = (
    "Art. 5(2) and 12 GDPR: a request and its answer are kept three years after it was closed, "
    "to account for how it was handled"
)


def _erase_expired(rows) -> int:
    """Delete closed requests past the three years; keep the rest (the activity's retention)."""
    from privacydesk.policy.services import current_model, retention_cutoff

    cutoff = retention_cutoff(current_model().activity("rights_requests"), timezone.now())
    expired = rows.filter(closed_at__lt=cutoff)
    count = expired.count()
    for req in expired:
        for att in req.attachments.all():
            att.file.delete(save=False)
        req.delete()
    return count


REQUEST_FIELDS = (
    "kind", "channel", "email", "phone", "name", "message", "received_at", "due_on",
    "extended_to", "state", "identity_check", "refusal_reason", "answered_at",
)  # fmt: skip


def _erase_expired_messages(rows) -> int:
    """Messages that became no request go after the retention; the others with their request."""
    from privacydesk.policy.services import current_model, retention_cutoff

    cutoff = retention_cutoff(current_model().activity("rights_requests"), timezone.now())
    expired = rows.filter(request__isnull=True, seen_at__lt=cutoff)
    count = expired.count()
    expired.delete()
    return count


register(
    ModelData(
        model="rights.Request",
        activity="rights_requests",
        fields=(
            "kind",
            "channel",
            "email",
            "phone",
            "name",
            "message",
            "received_at",
            "due_on",
            "extended_to",
            "state",
            "identity_check",
            "refusal_reason",
            "answered_at",
        ),
        lookups={"email": "email__iexact", "phone": "phone"},
        retention_field="closed_at",
        retention_filter={"closed_at__isnull": False},
        keep_reason=KEEP,
        eraser=_erase_expired,
        rectifiable=("email", "phone", "name"),
        provided=("kind", "email", "phone", "name", "message"),
    ),
    ModelData(
        model="rights.Attachment",
        activity="rights_requests",
        fields=("filename", "content_type", "size", "added_at"),
        parent="rights.Request",
        parent_field="request",
        erasure="keep",
        keep_reason=KEEP,
    ),
    ModelData(
        model="rights.MailboxMessage",
        activity="rights_requests",
        fields=("mailbox", "uid", "arrived_at", "outcome"),
        parent="rights.Request",
        parent_field="request",
        retention_field="seen_at",
        keep_reason=KEEP,
        eraser=_erase_expired_messages,
    ),
)
