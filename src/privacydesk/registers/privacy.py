"""The registers' personal data (P1, P8, P14).

- A disclosure names the authority's contact person (found by their e-mail address) and the
  people whose data were disclosed (``DisclosureSubject``, found by any identifier). A person's
  access package (Art. 15(1)(c): the recipients their data were disclosed to) holds the
  disclosure *unless it is withheld*: while the people were not told and the "not told until"
  date lies ahead or is not set, ``export`` leaves the disclosure out and ``inventory`` does not
  count it (Art. 23 GDPR and art. 41 UAVG: the law may keep an investigation from the person).
  Nor do its traces in other sources (``withheld_traces``): the legal holds it placed
  (``policy.LegalHold``, whose reason names the disclosure) and the audit entries about the
  disclosure or those holds (``audit.AuditEntry``, such as ``registers.disclosure.subject``).
  Once the person may be told, all of it is in their package.
- A breach names the people concerned (``BreachSubject``), for the Art. 34 letters.
- Processors and breaches themselves describe companies and categories, not persons.

All are kept, not erased, on request: the registers are the controller's accountability
(Art. 5(2), 30 and 33(5) GDPR; Art. 17(3)(b) and (e)).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q

from privacydesk.spine.registry import Key, ModelData, exempt, register, source, withhold

KEEP_DISCLOSURE = (
    "Art. 17(3)(b) and (e) GDPR: a disclosure is registered for five years, to account for it"
)
KEEP_BREACH = "Art. 33(5) GDPR: every breach is documented, with the people it concerned"


def _by_kind(kind: str):
    return lambda value: Q(kind=kind, value__iexact=value)


_SUBJECT_LOOKUPS = {
    kind: _by_kind(kind) for kind in ("email", "phone", "visitor_id", "customer_number")
}


def _disclosure_row(link) -> dict:
    d = link.disclosure
    return {
        "id": link.pk,
        "identifier": link.value,
        "disclosed_to": d.authority,
        "case_number": d.case_number,
        "legal_ground": d.get_legal_ground_display(),
        "legal_ground_detail": d.legal_ground_detail,
        "requested_on": d.requested_on.isoformat(),
        "answered_on": d.answered_on.isoformat() if d.answered_on else None,
        "what_was_given": d.scope_given,
    }


class DisclosureSubjects(ModelData):
    """The people a disclosure concerned; withheld disclosures stay out of their package."""

    def _shown(self, keys: Sequence[Key]) -> list[Key]:
        shown = []
        for rows in self._each_batch(keys):
            for link in rows.select_related("disclosure"):
                if not link.disclosure.withheld():
                    shown.append(str(link.pk))
        return shown

    def export(self, keys: Sequence[Key]) -> list[dict]:
        return super().export(self._shown(keys))

    def inventory(self, keys: Sequence[Key]) -> dict:
        return super().inventory(self._shown(keys))


def _withheld_disclosures() -> tuple[list[int], list[int]]:
    """The withheld disclosures' ids, and the ids of the legal holds they placed."""
    from privacydesk.registers.models import Disclosure

    ids, hold_ids = [], []
    for d in Disclosure.objects.filter(subject_told=False).prefetch_related("holds"):
        if d.withheld():
            ids.append(d.pk)
            hold_ids.extend(h.pk for h in d.holds.all())
    return ids, hold_ids


@withhold
def withheld_traces(label: str, keys: Sequence[Key]) -> list[Key]:
    """Rows of other sources that would tell the person of a withheld disclosure."""
    if label not in ("policy.LegalHold", "audit.AuditEntry"):
        return []
    ids, hold_ids = _withheld_disclosures()
    if not ids:
        return []
    rows = source(label).rows(keys)  # type: ignore[attr-defined]
    if label == "policy.LegalHold":
        rows = rows.filter(pk__in=hold_ids)
    else:
        rows = rows.filter(
            Q(object_type="registers.Disclosure", object_id__in=[str(i) for i in ids])
            | Q(object_type="policy.LegalHold", object_id__in=[str(i) for i in hold_ids])
        )
    return [str(pk) for pk in rows.values_list("pk", flat=True)]


register(
    ModelData(
        model="registers.Disclosure",
        activity="authority_disclosures",
        fields=("authority", "case_number", "contact_name", "contact_email", "contact_phone"),
        lookups={"email": "contact_email__iexact", "phone": "contact_phone"},
        retention_field="requested_on",
        erasure="keep",
        keep_reason=KEEP_DISCLOSURE,
        rectifiable=("contact_name", "contact_email", "contact_phone"),
    ),
    DisclosureSubjects(
        model="registers.DisclosureSubject",
        activity="authority_disclosures",
        fields=("kind", "value"),
        lookups=_SUBJECT_LOOKUPS,
        identifiers={"email": "value", "phone": "value"},
        retention_field="disclosure__requested_on",
        erasure="keep",
        keep_reason=KEEP_DISCLOSURE,
        rectifiable=("value",),
        exporter=_disclosure_row,
    ),
    ModelData(
        model="registers.BreachSubject",
        activity="fraud_and_network_security",
        fields=("kind", "value"),
        lookups=_SUBJECT_LOOKUPS,
        identifiers={"email": "value", "phone": "value"},
        erasure="keep",
        keep_reason=KEEP_BREACH,
        rectifiable=("value",),
    ),
)
exempt(
    "registers.DisclosureRecord",
    "a registry source label and a record key; the person is in DisclosureSubject",
)
exempt("registers.Processor", "a company, its agreement and its encrypted agreement file")
exempt("registers.Breach", "a breach in categories and numbers; the people are in BreachSubject")
