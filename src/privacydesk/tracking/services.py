"""Taking in tracking events: only what the server's consent record allows (P1, P7).

``accept`` decides per request, before anything is kept: the consent id must name a record
whose newest decision allows tracking (``consent.services.tracking_allowed``), whatever the
browser claims; a Global Privacy Control header, a bot, a flood or a malformed event is
dropped. Accepted events are queued in the web process and written in batches
(``TRACKING_FLUSH_MS``, by a thread of the process; 0 writes within the request); the batch
is checked against the consent records once more, so an event that arrived just before a
withdrawal is not written after it. A withdrawal of tracking erases the visitor's events at
once, as the privacy policy says.
"""

from __future__ import annotations

import atexit
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, transaction
from django.db.models import Count
from django.utils import timezone

from privacydesk.audit.services import record as audit
from privacydesk.audit.services import subject_ref
from privacydesk.consent import services as consent
from privacydesk.consent.addresses import stored_address
from privacydesk.consent.web import Window
from privacydesk.redaction import contains_personal_data
from privacydesk.tracking.models import Event, Visitor

ACTIVITY = "website_tracking"
KINDS = frozenset(Event.Kind.values)
MAX_URL = 2000
MAX_DURATION_MS = 24 * 3600 * 1000
QUEUE_LIMIT = 50_000  # beyond this the database is not keeping up: refuse (503), keep memory

# Obvious automated clients: crawlers, link previews, monitors and HTTP libraries. Browsers
# driven by a person (and headless Chromium in the tests) are not matched.
BOTS = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|preview|monitor|uptime|lighthouse|pingdom|facebookexternal"
    r"|curl/|wget/|python-|httpclient|okhttp|go-http|java/|libwww|scrapy|headless(?!chrome)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Incoming:
    visitor: uuid.UUID
    kind: str
    site: str
    path: str
    target: str
    duration_ms: int | None
    ip_address: str
    at: datetime


# -- cleaning ---------------------------------------------------------------------------------
def clean_url(raw: str) -> tuple[str, str] | None:
    """(host, path with query) of an http(s) URL; query values holding personal data (e-mail
    addresses, phone numbers, IP addresses) are removed with their names, the fragment too."""
    if not isinstance(raw, str) or len(raw) > MAX_URL or not _utf8(raw):
        return None
    try:
        parts = urlsplit(raw.strip())
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not host:
        return None
    site = f"{host}:{port}" if port else host
    kept = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _personal(name) and not _personal(value)
    ]
    path = parts.path or "/"
    if _personal(path):
        path = "/[removed]"
    if kept:
        path = f"{path}?{urlencode(kept)}"
    return site[:200], path[:500]


def _utf8(text: str) -> bool:
    """No lone surrogate (a JSON ``\\udc80`` escape): such text cannot be stored."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# Letters, a few digits and URL punctuation only: no e-mail address (no "@"), no phone number
# or IP address (those need more digits), nothing encoded. Most paths are like this, and need
# not go through the full search of ``redaction``.
_PLAIN = re.compile(r"^[A-Za-z/_.~\-]*(?:\d[A-Za-z/_.~\-]*){0,3}$")


def _personal(text: str) -> bool:
    return not _PLAIN.match(text) and contains_personal_data(text)


# -- flood control ----------------------------------------------------------------------------
_per_visitor = Window()
_per_address = Window()


# -- taking in --------------------------------------------------------------------------------
def parse(data: dict, *, ip_address: str, now: datetime) -> Incoming | None:
    """The event in ``data`` (from the tracker), or None when it is not one."""
    try:
        visitor = uuid.UUID(str(data.get("c", ""))[:40])
    except ValueError:
        return None
    kind = data.get("t")
    if kind not in KINDS:
        return None
    page = clean_url(data.get("u"))
    if page is None:
        return None
    target = ""
    if kind in {Event.Kind.CLICK, Event.Kind.DOWNLOAD}:
        cleaned = clean_url(data.get("x"))
        if cleaned is None:
            return None
        target = f"{cleaned[0]}{cleaned[1]}"[:500]
    duration = None
    if kind == Event.Kind.LEAVE:
        duration = data.get("d")
        if not isinstance(duration, int) or isinstance(duration, bool) or duration < 0:
            return None
        duration = min(duration, MAX_DURATION_MS)
    return Incoming(
        visitor=visitor,
        kind=kind,
        site=page[0],
        path=page[1],
        target=target,
        duration_ms=duration,
        ip_address=stored_address(ip_address, ACTIVITY),
        at=now,
    )


def accept(data: dict, *, user_agent: str, gpc: bool, ip_address: str) -> int:
    """202 when the event is kept, 204 when it is dropped silently, 429 for a flood, 503 when
    the queue is full."""
    if gpc or not user_agent or BOTS.search(user_agent):
        return 204
    if ip_address and _per_address.over(ip_address, settings.TRACKING_ADDRESS_PER_MINUTE):
        return 429
    event = parse(data, ip_address=ip_address, now=timezone.now())
    if event is None:
        return 204
    if _per_visitor.over(event.visitor, settings.TRACKING_VISITOR_PER_MINUTE):
        return 429
    if not _allowed(event.visitor):
        return 204
    if settings.TRACKING_FLUSH_MS == 0:
        write([event])
        return 202
    return 202 if _queue.put(event) else 503


class Answers:
    """The consent records' answer per visitor, kept for ``TRACKING_CONSENT_CACHE_MS`` in this
    process. What is written is checked against the records again in the batch, and this
    process forgets a visitor at once when it records a new decision; so a withdrawal made
    through another process lets at most that long of events be accepted, none be stored."""

    LIMIT = 20_000

    def __init__(self) -> None:
        self.answers: dict[uuid.UUID, tuple[float, bool]] = {}

    def get(self, visitor: uuid.UUID) -> bool:
        now = time.monotonic()
        known = self.answers.get(visitor)
        if known is not None and known[0] > now:
            return known[1]
        allowed = consent.tracking_allowed(visitor)
        if len(self.answers) >= self.LIMIT:
            self.answers = {}
        self.answers[visitor] = (now + settings.TRACKING_CONSENT_CACHE_MS / 1000, allowed)
        return allowed

    def forget(self, visitor: uuid.UUID) -> None:
        self.answers.pop(visitor, None)


_answers = Answers()


def _allowed(visitor: uuid.UUID) -> bool:
    if settings.TRACKING_CONSENT_CACHE_MS == 0:
        return consent.tracking_allowed(visitor)
    return _answers.get(visitor)


# -- writing ----------------------------------------------------------------------------------
def write(events: list[Incoming], *, attempts: int = 5) -> int:
    """Store ``events`` whose consent still allows tracking; the number stored. A database
    that is busy (SQLite's lock held by another writer) is tried again a few times."""
    for attempt in range(attempts):
        try:
            return _write(events)
        except OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    return 0


def _write(events: list[Incoming]) -> int:
    if not consent.tracking_allowed_ids({e.visitor for e in events}):
        return 0
    now = timezone.now()
    with transaction.atomic():
        # Checked again under the consent ids' locks: a withdrawal waits for this batch (and
        # then erases it) or this batch sees the withdrawal.
        consent.lock(*{e.visitor for e in events})
        allowed = consent.tracking_allowed_ids({e.visitor for e in events})
        events = [e for e in events if e.visitor in allowed]
        if not events:
            return 0
        Visitor.objects.bulk_create(
            [Visitor(id=v, first_seen=now, last_seen=now) for v in allowed],
            ignore_conflicts=True,
        )
        Visitor.objects.filter(id__in=allowed).update(last_seen=now)
        Event.objects.bulk_create(
            [
                Event(
                    visitor_id=e.visitor,
                    at=e.at,
                    kind=e.kind,
                    site=e.site,
                    path=e.path,
                    target=e.target,
                    duration_ms=e.duration_ms,
                    ip_address=e.ip_address,
                )
                for e in events
            ],
            batch_size=500,
        )
    return len(events)


class Queue:
    """Accepted events of this process, written by one thread every ``TRACKING_FLUSH_MS``."""

    def __init__(self) -> None:
        self.items: list[Incoming] = []
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.pid = 0

    def put(self, event: Incoming) -> bool:
        import os

        with self.lock:
            if len(self.items) >= QUEUE_LIMIT:
                return False
            self.items.append(event)
            if self.thread is None or self.pid != os.getpid() or not self.thread.is_alive():
                self.pid = os.getpid()
                self.thread = threading.Thread(target=self._run, name="tracking-flush", daemon=True)
                self.thread.start()
        return True

    def take(self) -> list[Incoming]:
        with self.lock:
            items, self.items = self.items, []
        return items

    def drop(self, visitor: uuid.UUID) -> None:
        with self.lock:
            self.items = [e for e in self.items if e.visitor != visitor]

    def flush(self) -> int:
        items = self.take()
        if not items:
            return 0
        try:
            return write(items)
        except (OperationalError, InterfaceError):
            raise  # the database is away: nothing of this batch can be written now
        except Exception:
            # One event the database refuses must not cost the other visitors theirs.
            return self._one_by_one(items)

    @staticmethod
    def _one_by_one(items: list[Incoming]) -> int:
        import logging

        written = refused = 0
        for item in items:
            try:
                written += write([item])
            except (OperationalError, InterfaceError):
                raise
            except Exception:
                refused += 1
        logging.getLogger(__name__).warning("%d tracking events refused by the database", refused)
        return written

    def _run(self) -> None:
        while True:
            time.sleep(settings.TRACKING_FLUSH_MS / 1000)
            try:
                close_old_connections()
                self.flush()
            except Exception:  # the database is away: the next round writes what comes then
                import logging

                logging.getLogger(__name__).exception("tracking events could not be written")


_queue = Queue()
atexit.register(lambda: _queue.flush())


def flush() -> int:
    """Write what this process has queued now (tests, shutdown)."""
    return _queue.flush()


# -- consent changes --------------------------------------------------------------------------
def on_decision(sender, *, consent_id: uuid.UUID, record, previous, **kwargs) -> None:
    """Tracking withdrawn (or refused after it was given): the visitor's data go at once."""
    _answers.forget(consent_id)
    if record.tracking:
        return
    _queue.drop(consent_id)
    erased = erase_visitor(consent_id)
    if erased:
        audit(
            actor="system:tracking",
            action="tracking.erased_on_withdrawal",
            subject=subject_ref("visitor_id", str(consent_id)),
            detail={"events": erased},
        )


def erase_visitor(consent_id: uuid.UUID) -> int:
    events = Event.objects.filter(visitor_id=consent_id).count()
    Visitor.objects.filter(id=consent_id).delete()
    return events


# -- figures ----------------------------------------------------------------------------------
def stats() -> dict:
    """Event counts by kind and consent decisions by kind (``privacydesk tracking stats``)."""
    events = {kind: 0 for kind in Event.Kind.values}
    for row in Event.objects.values("kind").annotate(n=Count("id")):
        events[row["kind"]] = row["n"]
    return {
        "events": events,
        "visitors": Visitor.objects.count(),
        "consent": consent.counts_by_kind(),
    }
