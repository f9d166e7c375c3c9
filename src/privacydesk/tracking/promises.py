"""The tracking app's part of P7 on the board (``spine.promises``): no event without consent.

For every stored event, the consent record in force at the event's time (the newest record
of its consent id made at or before it) must allow tracking and be less than 12 months old
then. A visitor whose newest decision refuses tracking keeps no events: a withdrawal erases
them at once (``services.on_decision``). One query over the events, each finding its record
through the consent id's index, grouped by that record; the records are then judged once
each, against the latest event they cover.

Not checked: that the record was made under the banner version current at the event's time
(the versions of the past are not kept, only the current one), which ``accept`` and
``write`` do check when an event comes in.
"""

from __future__ import annotations

from django.db.models import Count, Exists, Max, Min, OuterRef, Subquery
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from privacydesk.consent.models import ConsentRecord
from privacydesk.consent.services import VALID_FOR
from privacydesk.spine.promises import Finding, keeps
from privacydesk.tracking.models import Event, Visitor

SHOWN = 10


def events_without_consent() -> tuple[int, list[int]]:
    """(events checked, per consent record that did not allow them, the first such event)."""
    governing = ConsentRecord.objects.filter(
        consent_id=OuterRef("visitor_id"), at__lte=OuterRef("at")
    ).order_by("-at", "-id")
    groups = (
        Event.objects.order_by()
        .annotate(record=Subquery(governing.values("id")[:1]))
        .values("record")
        .annotate(count=Count("id"), first=Min("id"), last=Max("at"))
        .values_list("record", "count", "first", "last")
    )
    groups = list(groups)
    records = ConsentRecord.objects.in_bulk([g[0] for g in groups if g[0] is not None])
    checked, bad = 0, []
    for record_id, count, first_id, last_at in groups:
        checked += count
        rec = records.get(record_id)
        if rec is None or not rec.tracking:
            bad.append(first_id)
        elif rec.at + VALID_FOR <= last_at:
            bad.append(_first_after_expiry(rec))
    return checked, sorted(bad)


def _first_after_expiry(rec: ConsentRecord) -> int:
    """The first event ``rec`` governs that came after it expired."""
    events = Event.objects.filter(visitor_id=rec.consent_id, at__gte=rec.at + VALID_FOR)
    following = (
        ConsentRecord.objects.filter(consent_id=rec.consent_id, at__gt=rec.at)
        .order_by("at", "id")
        .first()
    )
    if following is not None:
        events = events.filter(at__lt=following.at)
    return events.order_by("at", "id").values_list("id", flat=True).first()


def kept_after_withdrawal() -> int:
    """Visitors with events whose newest consent decision refuses tracking."""
    later = ConsentRecord.objects.filter(consent_id=OuterRef("consent_id"), id__gt=OuterRef("id"))
    refused = ConsentRecord.objects.filter(tracking=False).exclude(Exists(later))
    return (
        Visitor.objects.filter(id__in=refused.values("consent_id"))
        .filter(Exists(Event.objects.filter(visitor_id=OuterRef("id"))))
        .count()
    )


@keeps("P7")
def no_event_without_consent() -> Finding:
    checked, bad = events_without_consent()
    problems = []
    if bad:
        ids = ", ".join(str(pk) for pk in bad[:SHOWN])
        problems.append(
            format_lazy(
                _("tracking events stored without a consent allowing them (e.g. events {ids})"),
                ids=ids,
            )
        )
    kept = kept_after_withdrawal()
    if kept:
        problems.append(
            format_lazy(_("{count} visitors keep events after withdrawing consent"), count=kept)
        )
    if problems:
        return Finding(False, format_lazy("{}" + "; {}" * (len(problems) - 1), *problems))
    return Finding(
        True,
        format_lazy(
            _("{count} tracking events, each under a consent record that allowed tracking then"),
            count=checked,
        ),
    )
