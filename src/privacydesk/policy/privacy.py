"""The policy app's own records: the privacy model, published texts, legal holds, plans."""

from django.db.models import Q

from privacydesk.spine.registry import SUBJECT_KINDS, ModelData, exempt, register

register(
    ModelData(
        model="policy.LegalHold",
        activity="rights_requests",
        fields=("kind", "value", "records", "reason", "placed_by", "placed_at", "released_at"),
        lookups={
            kind: (lambda value, kind=kind: Q(kind=kind, value__iexact=value))
            for kind in SUBJECT_KINDS
        },
        # A hold follows its data subject when their identifier is corrected.
        identifiers={kind: "value" for kind in SUBJECT_KINDS},
        rectifiable=("value",),
        erasure="keep",
        keep_reason=(
            "a legal hold exists because a legal obligation or a legal claim needs the data "
            "(Art. 17(3)(b), (e) GDPR); it is released, never deleted, to account for it"
        ),
    ),
)
exempt("policy.ModelRevision", "the privacy model itself, public")
exempt("policy.ProcessingActivity", "names of processing activities, public")
exempt("policy.PolicyVersion", "published privacy policy texts, public")
exempt(
    "policy.Plan",
    "a request's steps: primary keys, counts and a pseudonymous reference, no personal data",
)
exempt("policy.PlanStep", "primary keys and counts of a request plan's step")
