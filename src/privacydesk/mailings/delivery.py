"""Sending campaigns: every recipient exactly once, as far as SMTP allows (issue 10 item 4).

A :class:`~privacydesk.mailings.models.Delivery` row per recipient moves through its states
with conditional updates, each committed on its own:

1. **claim** — ``queued`` (due) → ``claimed`` with this run's random token, a batch at a
   time: ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, and on SQLite the same select in a
   write transaction (``BEGIN IMMEDIATE``) followed by ``UPDATE … WHERE state='queued'``, so two
   workers never claim one row. A claim older than ``MAILINGS_CLAIM_SECONDS`` was left by a
   worker that died (or stalled) and may be claimed again.
2. **handing over** — the message's content went over the SMTP connection (MAIL, RCPT, DATA);
   right before the final ``.`` that asks the server to accept it, ``claimed`` → ``handing_over``
   *with our token* is committed. If that update finds nothing (the row was reclaimed, or the
   address was suppressed meanwhile) the connection is dropped without the dot and the server
   discards the message.
3. **sent** — after the server's 250 reply: ``handing_over`` → ``sent``.

A worker killed before step 2 committed leaves a claim that the next run takes over: the
server never accepted that message (no duplicate, nobody missed). The one window left is
between step 2's commit and step 3's: the server may have accepted the message or not, and
nothing on our side can tell. Such a row becomes ``unknown`` once its claim is stale and is
**not** sent again (at most once: a subscriber never gets a campaign twice; staff see the
count). The window is one SMTP reply long, microseconds to milliseconds per message.

A connection that breaks or times out *after* the final dot, before the server's reply, is
the same window seen from a living worker: the row ends ``unknown`` at once, never queued
again. Staff see the unknown deliveries on the campaign page (with their Message-IDs, to
look up in the mail server's log) and in ``campaign status --json``.

Refusals: 4xx (and a connection lost before the final dot) puts the row back to ``queued``
after a growing delay (``MAILINGS_RETRY_SECONDS`` times 2^(attempt-1), at most
``MAILINGS_MAX_ATTEMPTS``), then ``failed``. A 5xx for one recipient is a bounce: ``bounced``
and the address suppressed. Any 5xx may instead concern the whole session (relaying denied
for every address at RCPT, the sender refused, a quota reached, the content refused): such a
refusal is held until the server accepts another message of the run, and only then recorded
as a bounce. ``SESSION_REFUSALS`` refusals at MAIL FROM or after DATA in a row with nothing
accepted in between, a refused sign-in (AUTH) or a refused greeting/EHLO stop the run: nobody
is bounced or suppressed, the rows go back to ``queued`` without using an attempt, and the
stop is reported (the run's report, the audit entry ``mailings.run_stopped``, the campaign
page and ``campaign status --json``). Held refusals still open when the run ends are retried
like a 4xx (so they end ``failed``, never suppressed, when the server keeps refusing).

One SMTP connection is reused for the whole run, and sending is paced to ``MAILINGS_RATE``
messages per second (0: as fast as the server takes them).
"""

from __future__ import annotations

import logging
import smtplib
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import get_random_string

from privacydesk.audit.services import record
from privacydesk.mailings import render, services
from privacydesk.mailings.models import Campaign, Delivery, Subscription, Suppression
from privacydesk.spine import mail

log = logging.getLogger(__name__)
BATCH = 200
#: Connection failures in a row after which a run stops (the server is down); the rows stay
#: queued for the next run.
MAX_CONNECTION_FAILURES = 3
#: Permanent refusals at MAIL FROM or after DATA in a row, with nothing accepted in between,
#: after which they are taken to concern the session, not the recipients: the run stops.
SESSION_REFUSALS = 3
#: Errors of the session itself (sign-in, greeting, EHLO): the run stops at once.
SESSION_ERRORS = (
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPHeloError,
    smtplib.SMTPNotSupportedError,
    smtplib.SMTPConnectError,
)
ACTOR = "system:mailings"


@dataclass
class Report:
    sent: int = 0
    retried: int = 0
    bounced: int = 0
    failed: int = 0
    skipped: int = 0
    unknown: int = 0
    finished: list[int] = field(default_factory=list)
    #: Why the run stopped early because of the session ({"stage", "code"}), else None.
    stopped: dict | None = None

    def as_dict(self) -> dict:
        return {
            "sent": self.sent,
            "retried": self.retried,
            "bounced": self.bounced,
            "failed": self.failed,
            "skipped": self.skipped,
            "unknown": self.unknown,
            "finished": self.finished,
            "stopped": self.stopped,
        }


class Pacer:
    """At most ``rate`` messages per second (0: no limit), without drifting."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next = time.monotonic()

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if self.next > now:
            time.sleep(self.next - now)
            now = self.next
        self.next = max(self.next, now - self.interval) + self.interval


def _stale_cutoff(now):
    return now - timedelta(seconds=settings.MAILINGS_CLAIM_SECONDS)


def mark_unknown(now=None) -> int:
    """Rows left ``handing_over`` by a worker that died: accepted or not, nobody knows."""
    now = now or timezone.now()
    return Delivery.objects.filter(
        state=Delivery.State.HANDING_OVER, claimed_at__lt=_stale_cutoff(now)
    ).update(state=Delivery.State.UNKNOWN)


def _claimable(now) -> Q:
    return Q(state=Delivery.State.QUEUED, next_attempt_at__lte=now) | Q(
        state=Delivery.State.CLAIMED, claimed_at__lt=_stale_cutoff(now)
    )


def claim(token: str, *, campaign_id: int | None, size: int) -> list[Delivery]:
    """Claim up to ``size`` due deliveries of campaigns that are sending."""
    now = timezone.now()
    rows = Delivery.objects.filter(_claimable(now), campaign__state=Campaign.State.SENDING)
    if campaign_id is not None:
        rows = rows.filter(campaign_id=campaign_id)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        ids = list(rows.order_by("pk").values_list("pk", flat=True)[:size])
        if not ids:
            return []
        Delivery.objects.filter(_claimable(now), pk__in=ids).update(
            state=Delivery.State.CLAIMED, claim_token=token, claimed_at=now
        )
    return list(
        Delivery.objects.filter(claim_token=token, state=Delivery.State.CLAIMED, pk__in=ids)
        .select_related("subscription__mailing_list", "campaign__mailing_list")
        .order_by("pk")
    )


def _mine(delivery: Delivery, token: str, *states: str):
    return Delivery.objects.filter(pk=delivery.pk, claim_token=token, state__in=states)


def _set(delivery: Delivery, token: str, states: tuple[str, ...], **values) -> bool:
    """``_mine(...).update(**values)`` as one plain statement: it runs twice per message, and
    the ORM's query building cost more than the database's work. True when the row was ours."""
    table = Delivery._meta.db_table
    columns = ", ".join(f"{connection.ops.quote_name(name)} = %s" for name in values)
    marks = ", ".join(["%s"] * len(states))
    params = [
        Delivery._meta.get_field(name).get_db_prep_save(value, connection)
        for name, value in values.items()
    ]
    sql = (
        f"UPDATE {connection.ops.quote_name(table)} SET {columns} "  # noqa: S608 - names are ours
        f"WHERE id = %s AND claim_token = %s AND state IN ({marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, delivery.pk, token, *states])
        return cursor.rowcount == 1


class Run:
    """One pass over what is due: claim, send, record; stops when nothing is claimable."""

    def __init__(self, *, campaign_id: int | None = None, transport=None):
        self.campaign_id = campaign_id
        self.token = get_random_string(32)
        self.report = Report()
        self.pacer = Pacer(settings.MAILINGS_RATE)
        self.transport = transport
        self.renderers: dict[int, render.Renderer] = {}
        self.connection_failures = 0
        #: Permanent refusals at MAIL FROM or DATA not yet known to concern the recipient.
        self.held: list[tuple[Delivery, mail.Refused]] = []
        rate = settings.MAILINGS_RATE
        # A batch must be sent well within the claim's lifetime, or other workers take it over.
        self.batch = (
            BATCH if rate <= 0 else max(1, min(BATCH, settings.MAILINGS_CLAIM_SECONDS * rate // 2))
        )

    def __call__(self) -> Report:
        self.report.unknown += mark_unknown()
        own = self.transport is None
        if own:
            self.transport = mail.Transport()
        try:
            while self.connection_failures < MAX_CONNECTION_FAILURES:
                batch = claim(self.token, campaign_id=self.campaign_id, size=self.batch)
                if not batch:
                    break
                for delivery in batch:
                    if self.connection_failures >= MAX_CONNECTION_FAILURES or self.report.stopped:
                        self._release(delivery)
                        continue
                    self.send_one(delivery)
                if self.report.stopped:
                    break
            for delivery, refused in self.held:  # not shown to concern the recipient
                self._retry(delivery, code=refused.code)
            self.held = []
        finally:
            if own:
                self.transport.close()
        self.report.finished = finish_campaigns()
        return self.report

    def _renderer(self, campaign: Campaign) -> render.Renderer:
        if campaign.pk not in self.renderers:
            self.renderers[campaign.pk] = render.Renderer(campaign)
        return self.renderers[campaign.pk]

    def _release(self, delivery: Delivery) -> None:
        _mine(delivery, self.token, Delivery.State.CLAIMED, Delivery.State.HANDING_OVER).update(
            state=Delivery.State.QUEUED, claim_token=""
        )

    def _stop(self, *, stage: str, code: int | None, deliveries: list[Delivery]) -> None:
        """The session is refused: nobody bounced, the rows queued again, the stop reported."""
        for delivery in deliveries:
            self._release(delivery)
        self.held = []
        self.report.stopped = {"stage": stage, "code": code}
        log.error("mailings: the mail server refused the session (%s, %s): run stopped",
                  stage, code)  # fmt: skip
        campaigns = {d.campaign_id for d in deliveries}
        for campaign in Campaign.objects.filter(pk__in=campaigns):
            if services.last_stop(campaign) != self.report.stopped:  # once per outage
                record(actor=ACTOR, action=services.RUN_STOPPED, obj=campaign,
                       detail=self.report.stopped)  # fmt: skip

    def _bounce(self, delivery: Delivery, code: int) -> None:
        states = (Delivery.State.CLAIMED, Delivery.State.HANDING_OVER)
        _mine(delivery, self.token, *states).update(
            state=Delivery.State.BOUNCED, smtp_code=code, attempts=delivery.attempts + 1
        )
        services.suppress(
            delivery.subscription.email, reason=Suppression.Reason.BOUNCED, actor=ACTOR
        )
        self.report.bounced += 1

    def send_one(self, delivery: Delivery) -> None:
        subscription = delivery.subscription
        if subscription.state != Subscription.State.CONFIRMED or subscription.restricted:
            _mine(delivery, self.token, Delivery.State.CLAIMED).update(state=Delivery.State.SKIPPED)
            self.report.skipped += 1
            return
        renderer = self._renderer(delivery.campaign)
        unsubscribe = services.unsubscribe_url(subscription)
        message_id = mail.new_message_id()
        data = None
        if self.transport.smtp:  # prepared bytes; the outbox writes a message object itself
            data = renderer.wire(subscription, unsubscribe=unsubscribe, message_id=message_id)
        message = None
        if data is None:
            message = renderer.message(subscription, unsubscribe=unsubscribe, message_id=message_id)
        sent = data if data is not None else mail.wire(message)
        if not render.unsubscribe_headers_in(sent, unsubscribe):
            # P6: no campaign message leaves without its own unsubscribe link.
            log.error("delivery %s: the message lacks its unsubscribe headers", delivery.pk)
            _mine(delivery, self.token, Delivery.State.CLAIMED).update(state=Delivery.State.FAILED)
            self.report.failed += 1
            return

        def handing_over() -> bool:
            return _set(
                delivery, self.token, (Delivery.State.CLAIMED,),
                state=Delivery.State.HANDING_OVER, claimed_at=timezone.now(),
                message_id=message_id[:200], unsubscribe_headers=True,
            )  # fmt: skip

        try:
            self.transport.connect()  # a new connection is not part of the pace
            self.pacer.wait()
            if message is None:
                self.transport.send_data(
                    renderer.sender, [subscription.email], data, before_commit=handing_over
                )
            else:
                self.transport.send(message, before_commit=handing_over, data=sent)
        except mail.HandoverCancelled:
            self.report.skipped += 1
            return
        except mail.Refused as refused:
            self.connection_failures = 0
            self._refused(delivery, refused)
            return
        except SESSION_ERRORS as exc:
            code = getattr(exc, "smtp_code", None)
            if isinstance(exc, smtplib.SMTPConnectError) and not (code and code >= 500):
                self.connection_failures += 1
                self._retry(delivery, code=None)
                return
            stage = "auth" if isinstance(exc, smtplib.SMTPAuthenticationError) else "connect"
            self._stop(stage=stage, code=code, deliveries=[delivery])
            return
        except mail.Unconfirmed as exc:
            # The final dot went out and no reply came: the server may have taken the message.
            # Sending it again could deliver it twice, so it ends as unknown (staff see it).
            self.connection_failures += 1
            log.warning("delivery %s: no reply after the message was handed over (%s)",
                        delivery.pk, exc)  # fmt: skip
            _mine(delivery, self.token, Delivery.State.HANDING_OVER).update(
                state=Delivery.State.UNKNOWN, attempts=delivery.attempts + 1
            )
            self.report.unknown += 1
            return
        except (smtplib.SMTPException, OSError) as exc:
            self.connection_failures += 1
            log.warning("delivery %s: mail server connection failed (%s)", delivery.pk,
                        type(exc).__name__)  # fmt: skip
            self._retry(delivery, code=None)
            return
        self.connection_failures = 0
        _mine(delivery, self.token, Delivery.State.HANDING_OVER, Delivery.State.UNKNOWN).update(
            state=Delivery.State.SENT, sent_at=timezone.now(), smtp_code=250
        )
        self.report.sent += 1
        # The server took this message: the refusals held before were about their recipients.
        held, self.held = self.held, []
        for earlier, refused in held:
            self._bounce(earlier, refused.code)

    def _refused(self, delivery: Delivery, refused: mail.Refused) -> None:
        if not refused.permanent:
            self._retry(delivery, code=refused.code)
            return
        # About this recipient, or about the whole session (at RCPT: relaying denied for
        # every address)? Held until the server takes another message of this run.
        self.held.append((delivery, refused))
        if refused.stage == "rcpt":
            return  # refused one address at a time: no reason to stop the run
        if sum(1 for _d, r in self.held if r.stage != "rcpt") >= SESSION_REFUSALS:
            self._stop(stage=refused.stage, code=refused.code,
                       deliveries=[d for d, _r in self.held])  # fmt: skip

    def _retry(self, delivery: Delivery, *, code: int | None) -> None:
        attempts = delivery.attempts + 1
        states = (Delivery.State.CLAIMED, Delivery.State.HANDING_OVER)
        if attempts >= settings.MAILINGS_MAX_ATTEMPTS:
            _mine(delivery, self.token, *states).update(
                state=Delivery.State.FAILED, attempts=attempts, smtp_code=code
            )
            self.report.failed += 1
            return
        delay = settings.MAILINGS_RETRY_SECONDS * 2 ** (attempts - 1)
        _mine(delivery, self.token, *states).update(
            state=Delivery.State.QUEUED,
            attempts=attempts,
            smtp_code=code,
            claim_token="",
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
        )
        self.report.retried += 1


OPEN_STATES = (Delivery.State.QUEUED, Delivery.State.CLAIMED, Delivery.State.HANDING_OVER)


def finish_campaigns() -> list[int]:
    """Campaigns whose every delivery has ended are ``sent``; returns their ids."""
    done = []
    for campaign in Campaign.objects.filter(state=Campaign.State.SENDING):
        if campaign.deliveries.filter(state__in=OPEN_STATES).exists():
            continue
        with transaction.atomic():
            updated = Campaign.objects.filter(pk=campaign.pk, state=Campaign.State.SENDING).update(
                state=Campaign.State.SENT, finished_at=timezone.now()
            )
            if updated:
                record(
                    actor=ACTOR,
                    action="mailings.campaign_finished",
                    obj=campaign,
                    detail=services.status_counts(campaign),
                )
                done.append(campaign.pk)
    return done


def deliver(campaign_id: int | None = None) -> Report:
    """Send what is due now (of one campaign, or of every campaign that is sending)."""
    return Run(campaign_id=campaign_id)()
