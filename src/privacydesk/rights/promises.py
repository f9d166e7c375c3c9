"""The rights app's promises on the board (``spine.promises``): P14 and its part of P2.

- P14: no request is past its deadline while it is still open, every erasure that was
  answered left no step unfinished (each source erased, or kept by a legal duty or hold),
  and no request waits unconfirmed after its link expired (the hourly sweep closes them).
- P2: every request's deadline is the one Art. 12(3) sets: one calendar month after the day
  of receipt, an extension of at most two further months with its reason.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from privacydesk.policy.models import Plan, PlanStep
from privacydesk.rights import deadlines, services
from privacydesk.rights.models import Request
from privacydesk.spine.promises import Finding, keeps

OPEN = (
    Request.State.NEEDS_STAFF,
    Request.State.OPEN,
    Request.State.PROCESSING,
    Request.State.FAILED,
)
FINISHED = (PlanStep.Status.DONE, PlanStep.Status.KEPT, PlanStep.Status.HELD)
#: The expiry sweep runs hourly: an unconfirmed request may wait this long past its link.
EXPIRY_LATE = timedelta(hours=2)
SHOWN = 10


def _ids(pks) -> str:
    pks = sorted(pks)
    shown = ", ".join(f"#{pk}" for pk in pks[:SHOWN])
    return shown + (f" (+{len(pks) - SHOWN})" if len(pks) > SHOWN else "")


def _joined(problems: list) -> object:
    return format_lazy("{}" + "; {}" * (len(problems) - 1), *problems)


def overdue(*, today=None) -> list[int]:
    """Open requests whose deadline (extended or not) has passed."""
    today = today or timezone.localdate()
    late = Q(extended_to__isnull=True, due_on__lt=today) | Q(extended_to__lt=today)
    return list(Request.objects.filter(late, state__in=OPEN).values_list("pk", flat=True))


def unfinished_erasures() -> list[int]:
    """Answered erasure requests with a step that neither finished nor was kept, or without
    their erasure plan."""
    answered = set(
        Request.objects.filter(kind=Request.Kind.ERASURE, state=Request.State.ANSWERED).values_list(
            "pk", flat=True
        )
    )
    if not answered:
        return []
    planned, unfinished = set(), set()
    plans = Plan.objects.filter(key__startswith="rights-request:", verb=Plan.Verb.ERASE)
    for key in plans.values_list("key", flat=True):
        planned.add(_request_id(key))
    erasing = (Plan.Verb.ERASE, Plan.Verb.OBJECT)
    steps = PlanStep.objects.filter(plan__key__startswith="rights-request:", plan__verb__in=erasing)
    for key in steps.exclude(status__in=FINISHED).values_list("plan__key", flat=True):
        unfinished.add(_request_id(key))
    return sorted((answered - planned) | (answered & unfinished))


def _request_id(key: str) -> int | None:
    try:
        return int(key.split(":")[1])
    except (IndexError, ValueError):
        return None


@keeps("P14")
def every_request_is_answered_in_time_and_completely() -> Finding:
    problems = []
    late = overdue()
    if late:
        problems.append(format_lazy(_("open requests past their deadline: {ids}"), ids=_ids(late)))
    unfinished = unfinished_erasures()
    if unfinished:
        problems.append(
            format_lazy(
                _("answered erasure requests with a step not done: {ids}"), ids=_ids(unfinished)
            )
        )
    waiting = [r.pk for r in services.unconfirmed_past_link(now=timezone.now() - EXPIRY_LATE)]
    if waiting:
        problems.append(
            format_lazy(
                _("unconfirmed requests not expired after their link: {ids}"), ids=_ids(waiting)
            )
        )
    if problems:
        return Finding(False, _joined(problems))
    open_count = Request.objects.filter(state__in=OPEN).count()
    erased = Request.objects.filter(kind=Request.Kind.ERASURE, state=Request.State.ANSWERED)
    return Finding(
        True,
        format_lazy(
            _(
                "{open} open requests, none past its deadline; {erasures} answered erasures, "
                "each with every step done or kept"
            ),
            open=open_count,
            erasures=erased.count(),
        ),
    )


@keeps("P2")
def every_deadline_follows_article_12_3() -> Finding:
    wrong, extensions = [], 0
    rows = Request.objects.values_list(
        "pk", "received_at", "due_on", "extended_to", "extension_reason"
    )
    count = 0
    for pk, received_at, due_on, extended_to, reason in rows.iterator(chunk_size=2000):
        count += 1
        if due_on != deadlines.due_on(received_at):
            wrong.append(pk)
        elif extended_to is not None:
            extensions += 1
            longest = deadlines.extended(due_on, deadlines.MAX_EXTENSION_MONTHS)
            if not due_on < extended_to <= longest or not reason.strip():
                wrong.append(pk)
    if wrong:
        return Finding(
            False,
            format_lazy(
                _("requests whose deadline is not the one of Art. 12(3) GDPR: {ids}"),
                ids=_ids(wrong),
            ),
        )
    return Finding(
        True,
        format_lazy(
            _(
                "{count} requests, each due one calendar month after receipt (Art. 12(3) GDPR); "
                "{extensions} extended by at most two months, with a reason"
            ),
            count=count,
            extensions=extensions,
        ),
    )
