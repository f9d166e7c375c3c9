"""The newsletter's promise on the board (``spine.promises``): P6, checked against what was
actually handed to the mail server.

A campaign message counts as handed over once its delivery reached ``handing_over`` (then
``sent``, or ``unknown`` when the worker died while the server was accepting it); its handover
time is ``claimed_at``, set at that moment. Three checks:

- every such message carried the recipient's own unsubscribe link and the RFC 8058 one-click
  headers (``Delivery.unsubscribe_headers``, read by the worker from the bytes it sent);
- none went to an address after the address was put on the suppression list;
- none went to a subscription that was not confirmed at the time (double opt-in or the soft
  opt-in of a customer), or after it ended.

``GRACE`` allows for the one race the worker cannot close: a message whose handover was
committed while the suppression (or unsubscription) was still being written.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from privacydesk.audit.services import subject_refs
from privacydesk.mailings.models import ConsentProof, Delivery, Suppression
from privacydesk.spine.promises import Finding, keeps

HANDED_OVER = (Delivery.State.HANDING_OVER, Delivery.State.SENT, Delivery.State.UNKNOWN)
GRACE = timedelta(seconds=60)
SHOWN = 10  # delivery or campaign numbers named in the evidence


def _handed_over():
    return Delivery.objects.filter(state__in=HANDED_OVER).annotate(
        handed=Coalesce("claimed_at", "sent_at")
    )


def _ids(values) -> str:
    values = sorted(set(values))
    shown = ", ".join(f"#{v}" for v in values[:SHOWN])
    return shown + (" …" if len(values) > SHOWN else "")


@keeps("P6")
def every_message_carried_its_unsubscribe_link() -> Finding:
    handed = _handed_over()
    missing = handed.filter(unsubscribe_headers=False)
    campaigns = list(missing.values_list("campaign_id", flat=True))
    if campaigns:
        return Finding(
            False,
            format_lazy(
                _(
                    "{count} campaign messages were handed over without their unsubscribe "
                    "link and one-click headers (campaigns {ids})"
                ),
                count=len(campaigns),
                ids=_ids(campaigns),
            ),
        )
    return Finding(
        True,
        format_lazy(
            _(
                "{count} campaign messages handed over, each with its own unsubscribe link "
                "and one-click headers"
            ),
            count=handed.count(),
        ),
    )


def _suppressed_since(addresses: set[str]) -> dict[str, object]:
    """The earliest suppression time of each address that is on the suppression list, under
    any pseudonym key or linked reference."""
    refs_of = {address: subject_refs("email", address) for address in addresses}
    everything = sorted(set().union(*refs_of.values())) if refs_of else []
    since: dict[str, object] = {}
    for start in range(0, len(everything), 500):
        rows = Suppression.objects.filter(ref__in=everything[start : start + 500])
        since.update(rows.values_list("ref", "created_at"))
    found = {}
    for address, refs in refs_of.items():
        times = [since[ref] for ref in refs if ref in since]
        if times:
            found[address] = min(times)
    return found


@keeps("P6")
def nothing_mailed_to_a_suppressed_address() -> Finding:
    suppressions = Suppression.objects.count()
    first = Suppression.objects.order_by("created_at").values_list("created_at", flat=True).first()
    late = []
    if first is not None:
        rows = list(
            _handed_over()
            .filter(handed__gt=first + GRACE)
            .values_list("pk", "handed", "subscription__email")
        )
        since = _suppressed_since({email.lower() for _pk, _at, email in rows})
        late = [
            pk
            for pk, handed, email in rows
            if email.lower() in since and handed > since[email.lower()] + GRACE
        ]
    if late:
        return Finding(
            False,
            format_lazy(
                _(
                    "{count} campaign messages were handed over after their address was put on "
                    "the suppression list (deliveries {ids})"
                ),
                count=len(late),
                ids=_ids(late),
            ),
        )
    return Finding(
        True,
        format_lazy(
            _(
                "{count} addresses on the suppression list; no campaign message went to one "
                "after it was put there"
            ),
            count=suppressions,
        ),
    )


@keeps("P6")
def only_confirmed_subscriptions_were_mailed() -> Finding:
    handed = _handed_over()
    # Confirmed before the handover: the subscription's confirmation, or an earlier consent of
    # the same subscription (a new consent moves ``confirmed_at`` on).
    earlier_proof = ConsentProof.objects.filter(
        subscription=OuterRef("subscription_id"),
        confirmed_at__isnull=False,
        confirmed_at__lte=OuterRef("handed"),
    )
    confirmed = Q(subscription__confirmed_at__lte=F("handed")) | Exists(earlier_proof)
    ended = Q(subscription__unsubscribed_at__lt=F("handed") - GRACE)
    bad = list(handed.filter(~confirmed | ended).values_list("pk", flat=True))
    if bad:
        return Finding(
            False,
            format_lazy(
                _(
                    "{count} campaign messages went to a subscription that was not confirmed "
                    "at the time (deliveries {ids})"
                ),
                count=len(bad),
                ids=_ids(bad),
            ),
        )
    return Finding(
        True,
        format_lazy(
            _("{count} campaign messages, each to a subscription confirmed before it was sent"),
            count=handed.count(),
        ),
    )
