"""The newsletter's personal data (P6): subscriptions, their proof, deliveries, suppression.

- A subscription ends when the person unsubscribes; the retention sweep then deletes it
  (activity ``newsletter``: nothing kept after withdrawal) with its deliveries.
- The proof of a consent is kept two years after the consent ended (activity
  ``consent_records``, Art. 7(1) GDPR), also through an erasure request: it shows that what
  was sent under the consent was lawful (Art. 17(3)(b), (e)).
- The suppression list holds keyed hashes only and is never erased: it is how an objection
  (Art. 21(2), (3)) or an unsubscription stays honoured after everything else about the person
  is gone. Found under every pseudonym key and linked reference, so an access request shows
  it.
- An objection (Art. 21) through a data-subject request, and the objection that follows every
  erasure, reach the newsletter through the ``object`` verb: the person's subscriptions end
  at once (an erasure has deleted them before) and every address the request names goes on
  the suppression list (reason ``objected``), also when no row about it was ever held.
"""

from django.db.models import Q

from privacydesk.spine.registry import ModelData, exempt, register


def _end_subscriptions(subjects, rows) -> int:
    from privacydesk.mailings.services import end_on_objection

    return end_on_objection(rows, actor="system:objection")


def _suppress_addresses(subjects, rows) -> int:
    from privacydesk.mailings.services import suppress_objected

    addresses = [s.value for s in subjects if s.kind == "email"]
    return suppress_objected(addresses, actor="system:objection")


def _suppressed(value: str) -> Q:
    from privacydesk.audit.services import subject_refs

    return Q(ref__in=subject_refs("email", value))


SUBSCRIPTION_FIELDS = (
    "email", "name", "state", "basis", "language", "created_at", "confirmed_at",
    "unsubscribed_at", "restricted",
)  # fmt: skip
PROOF_FIELDS = (
    "email", "basis", "requested_at", "form_url", "text_shown", "text_sha256", "text_version",
    "policy_version", "ip_truncated", "language", "source", "confirmed_at",
    "confirm_ip_truncated", "ended_at",
)  # fmt: skip

register(
    ModelData(
        model="mailings.Subscription",
        activity="newsletter",
        fields=(
            "email",
            "name",
            "state",
            "basis",
            "language",
            "created_at",
            "confirmed_at",
            "unsubscribed_at",
            "restricted",
        ),
        lookups={"email": "email__iexact"},
        retention_field="unsubscribed_at",
        retention_filter={"state": "unsubscribed"},
        erasure="delete",
        restrict_field="restricted",
        rectifiable=("email", "name"),
        objector=_end_subscriptions,
    ),
    ModelData(
        model="mailings.Delivery",
        activity="newsletter",
        fields=(
            "campaign",
            "state",
            "attempts",
            "sent_at",
            "smtp_code",
            "message_id",
            "unsubscribe_headers",
        ),
        parent="mailings.Subscription",
        parent_field="subscription",
        restrict_field="subscription__restricted",
        erasure="delete",
    ),
    ModelData(
        model="mailings.ConsentProof",
        activity="consent_records",
        fields=(
            "email",
            "basis",
            "requested_at",
            "form_url",
            "text_shown",
            "text_sha256",
            "text_version",
            "policy_version",
            "ip_truncated",
            "language",
            "source",
            "confirmed_at",
            "confirm_ip_truncated",
            "ended_at",
        ),
        lookups={"email": "email__iexact"},
        retention_field="ended_at",
        retention_filter={"ended_at__isnull": False},
        erasure="keep",
        restrict_field="restricted",
        keep_reason=(
            "Art. 7(1) and 17(3)(b), (e) GDPR: the proof that mail sent under this consent "
            "was lawful, kept two years after the consent ended"
        ),
        rectifiable=("email",),
    ),
    ModelData(
        model="mailings.Suppression",
        activity="newsletter",
        fields=("ref", "reason", "created_at"),
        lookups={"email": _suppressed},
        identifiers={},
        erasure="keep",
        keep_reason=(
            "Art. 21(3) and 17(3)(b) GDPR, Telecommunicatiewet art. 11.7: a keyed hash of an "
            "address that objected, unsubscribed or bounced, so that it is never mailed again"
        ),
        objector=_suppress_addresses,
    ),
)
exempt("mailings.MailingList", "list titles and the company's sender name; no data subject")
exempt("mailings.Campaign", "the company's newsletter text; the author is a staff reference")
exempt(
    "mailings.SignupThrottle",
    "keyed hashes of a truncated network and an address, deleted after two hours",
)
