"""The tracking app's part of P7 on the board (``spine.promises``): no event without consent.

For every stored event, the consent record in force at the event's time (the newest record
of its consent id made at or before it) must allow tracking and be less than 12 months old
then. A visitor whose newest decision refuses tracking keeps no events: a withdrawal erases
them at once (``services.on_decision``). The events are read grouped by visitor and merged
with the consent records in consent id order (:func:`check_events`), so the check costs one
pass over each table, not one lookup per event.

Not checked: that the record was made under the banner version current at the event's time
(the versions of the past are not kept, only the current one), which ``accept`` and
``write`` do check when an event comes in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby

from django.db.models import Count, Max, Min
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from privacydesk.consent.models import ConsentRecord
from privacydesk.consent.services import VALID_FOR
from privacydesk.spine.promises import Finding, keeps
from privacydesk.tracking.models import Event

SHOWN = 10
CHUNK = 5000


@dataclass
class Outcome:
    checked: int = 0  # events
    bad: list[int] = field(default_factory=list)  # the first such event per visitor
    kept_after_withdrawal: int = 0  # visitors


def check_events() -> Outcome:
    """Every event against the consent records of its visitor.

    One pass over the events grouped by visitor (count, first and last time) and one over the
    consent records, both in consent id order, merged: a visitor whose events all lie in an
    unbroken run of records that allow tracking, from the one in force at the first event
    until the last, each valid until the next, is fine without looking at single events;
    only the others' events are read one by one."""
    outcome = Outcome()
    events = (
        Event.objects.order_by("visitor_id")
        .values("visitor_id")
        .annotate(count=Count("id"), first=Min("at"), last=Max("at"))
        .values_list("visitor_id", "count", "first", "last")
    )
    records = ConsentRecord.objects.order_by("consent_id", "at", "id").values_list(
        "consent_id", "at", "tracking"
    )
    grouped = groupby(records.iterator(chunk_size=CHUNK), key=lambda r: r[0])
    current = next(grouped, None)
    for visitor, count, first, last in events.iterator(chunk_size=CHUNK):
        outcome.checked += count
        while current is not None and current[0] < visitor:
            current = next(grouped, None)
        mine = []
        if current is not None and current[0] == visitor:
            mine = [(at, tracking) for _cid, at, tracking in current[1]]
            current = next(grouped, None)
        if mine and not mine[-1][1]:
            outcome.kept_after_withdrawal += 1
        if not _covered(mine, first, last):
            found = _first_uncovered(visitor, mine)
            if found is not None:
                outcome.bad.append(found)
    outcome.bad.sort()
    return outcome


def _governing(spans: list[tuple], moment) -> int | None:
    """Index of the record in force at ``moment`` (the last made at or before it)."""
    at_or_before = [i for i, (at, _tracking) in enumerate(spans) if at <= moment]
    return at_or_before[-1] if at_or_before else None


def _covered(spans: list[tuple], first, last) -> bool:
    start = _governing(spans, first)
    if start is None:
        return False
    for i in range(start, len(spans)):
        at, tracking = spans[i]
        if at > last:
            break
        ends = spans[i + 1][0] if i + 1 < len(spans) and spans[i + 1][0] <= last else last
        if not tracking or at + VALID_FOR <= ends:
            return False
    return True


def _first_uncovered(visitor, spans: list[tuple]) -> int | None:
    for pk, at in (
        Event.objects.filter(visitor_id=visitor).order_by("at", "id").values_list("id", "at")
    ):
        i = _governing(spans, at)
        if i is None or not spans[i][1] or spans[i][0] + VALID_FOR <= at:
            return pk
    return None


@keeps("P7")
def no_event_without_consent() -> Finding:
    outcome = check_events()
    checked, bad, kept = outcome.checked, outcome.bad, outcome.kept_after_withdrawal
    problems = []
    if bad:
        ids = ", ".join(str(pk) for pk in bad[:SHOWN])
        problems.append(
            format_lazy(
                _("tracking events stored without a consent allowing them (e.g. events {ids})"),
                ids=ids,
            )
        )
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
