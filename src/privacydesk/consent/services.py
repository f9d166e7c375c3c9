"""Consent decisions and their proof (P7, P13, P15; AVG art. 7(1), Telecommunicatiewet art. 11.7a).

The banner (``static/consent/banner.js``) shows what :func:`banner_config` returns and sends
each decision to :func:`decide`, which appends a :class:`ConsentRecord` and anchors its hash in
the audit log. Whether tracking is allowed is always read here, from the newest record of a
consent id (:func:`tracking_allowed`), never from what a browser says. A consent is valid for
12 months and only for the banner version it was given under: the version is a hash of the
banner's texts in both languages and of the declared cookies, so a change of either asks again.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import connections, transaction
from django.db.models import Count, Max
from django.dispatch import Signal
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from privacydesk.audit.models import AuditEntry
from privacydesk.audit.services import record, subject_ref
from privacydesk.consent.models import ConsentRecord
from privacydesk.consent.web import Window
from privacydesk.policy import services as policy

GENESIS = "0" * 64
VALID_FOR = relativedelta(months=12)
CATEGORIES = ("necessary", "analytics", "tracking")
ACTIONS = ("accept_all", "reject_all", "save")
LANGS = ("nl", "en")

#: Sent after every decision: ``consent_id``, ``record`` (the new one), ``previous`` (or None).
#: The tracking app erases a visitor's data when tracking is withdrawn.
decided = Signal()


class StaleBanner(ValueError):
    """The decision names a banner version that is not the current one: show it again."""


# -- the banner ---------------------------------------------------------------------------
def banner_texts() -> dict[str, str]:
    """Every text of the banner, in the active language."""
    return {
        "title": _("Cookies on this website"),
        "intro": _(
            "We use necessary cookies to make this site work. With your consent we also use "
            "cookies for statistics and to recognise you on a later visit, so that you need "
            "not fill in the same details again when you download something. Refusing is as "
            "easy as accepting, and you can change your choice at any time."
        ),
        "accept": _("Accept all"),
        "reject": _("Reject all"),
        "settings": _("Settings"),
        "save": _("Save my choice"),
        "close": _("Close"),
        "statement": _("Cookie statement"),
        "necessary": _("Necessary"),
        "necessary_text": _("Needed for the site to work and to remember your choice. Always on."),
        "analytics": _("Analytics"),
        "analytics_text": _("Statistics about how the site is used."),
        "tracking": _("Tracking"),
        "tracking_text": _(
            "Page views, clicks and time on a page linked to your visits, so that download "
            "forms only ask what we do not know yet."
        ),
        "gpc": _(
            "Your browser sends a Global Privacy Control signal. We take it as a refusal of "
            "tracking: tracking stays off."
        ),
        "receipt": _("Your consent number"),
        "choice": _("Your choice"),
        "given": _("Recorded on"),
        "none": _("Necessary cookies only"),
        "failed": _("Your choice could not be saved. Please try again."),
        "reopen": _("Cookie settings"),
    }


_VERSION: dict[int, str] = {}


def _version_of(model) -> str:
    texts = {}
    for lang in LANGS:
        with translation.override(lang):
            texts[lang] = banner_texts()
    cookies = [c.model_dump(mode="json") for c in model.cookies]
    canonical = json.dumps({"texts": texts, "cookies": cookies}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def banner_version() -> str:
    """The hash of the banner texts (nl and en) and the declared cookies (computed once per
    process and privacy model: ``current_model`` returns a new object when the file changes)."""
    model = policy.current_model()
    if id(model) not in _VERSION:
        _VERSION.clear()
        _VERSION[id(model)] = _version_of(model)
    return _VERSION[id(model)]


def banner_config(lang: str, absolute: Callable[[str], str]) -> dict:
    """What the banner script needs: texts, version, links and endpoints as absolute URLs
    (``absolute`` makes them so), because the page showing it may be on another site."""
    with translation.override(lang):
        tracking = _has_tracking()
        return {
            "lang": lang,
            "version": banner_version(),
            "texts": banner_texts(),
            "statement": absolute(reverse("policy:cookies")),
            "decide": absolute(reverse("consent:decide")),
            "collect": absolute(reverse("tracking:collect")) if tracking else "",
            "tracker": absolute(static("tracking/t.js")) if tracking else "",
            "css": absolute(static("consent/banner.css")),
        }


def _has_tracking() -> bool:
    from django.apps import apps

    return apps.is_installed("privacydesk.tracking")


# -- decisions -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Decision:
    action: str
    analytics: bool
    tracking: bool
    version: str
    language: str
    gpc: bool
    consent_id: uuid.UUID | None = None


def canonical(rec: ConsentRecord) -> bytes:
    fields = {
        "consent_id": str(rec.consent_id),
        "at": rec.at.isoformat(),
        "kind": rec.kind,
        "analytics": rec.analytics,
        "tracking": rec.tracking,
        "gpc": rec.gpc,
        "policy_version": rec.policy_version,
        "banner_version": rec.banner_version,
        "language": rec.language,
        "origin": rec.origin,
        "ua_hash": rec.ua_hash,
        "ip_address": rec.ip_address,
        "prev_hash": rec.prev_hash,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def compute_hash(rec: ConsentRecord) -> str:
    return hashlib.sha256(canonical(rec)).hexdigest()


def _kind(decision: Decision, analytics: bool, tracking: bool, previous) -> str:
    if previous is not None and (
        (previous.analytics and not analytics) or (previous.tracking and not tracking)
    ):
        return ConsentRecord.Kind.WITHDRAWAL
    return {
        "accept_all": ConsentRecord.Kind.ACCEPT_ALL,
        "reject_all": ConsentRecord.Kind.REJECT_ALL,
    }.get(decision.action, ConsentRecord.Kind.CUSTOM)


_per_network = Window()
_per_consent_id = Window()


def flooded(decision: Decision, *, ip_address: str) -> bool:
    """Count this decision; True when its network (IPv4 /24, IPv6 /48) or its consent id sent
    more than ``CONSENT_NETWORK_PER_MINUTE`` / ``CONSENT_ID_PER_MINUTE`` this minute."""
    from privacydesk.consent.addresses import truncate

    network = truncate(ip_address) if ip_address else ""
    if network and _per_network.over(network, settings.CONSENT_NETWORK_PER_MINUTE):
        return True
    return decision.consent_id is not None and _per_consent_id.over(
        decision.consent_id, settings.CONSENT_ID_PER_MINUTE
    )


def decide(
    decision: Decision,
    *,
    user_agent: str,
    ip_address: str,
    origin: str,
    now: datetime | None = None,
) -> ConsentRecord:
    """Append the visitor's decision; a new consent id when none (or an unknown one) is given.

    Global Privacy Control refuses tracking whatever was clicked. ``ip_address`` is stored as
    the privacy model's ``consent_records`` activity says (truncated).
    """
    from privacydesk.consent.addresses import stored_address

    if decision.action not in ACTIONS:
        raise ValueError(f"unknown action {decision.action!r}")
    if decision.version != banner_version():
        raise StaleBanner(decision.version)
    analytics, tracking = decision.analytics, decision.tracking
    if decision.action == "accept_all":
        analytics = tracking = True
    elif decision.action == "reject_all":
        analytics = tracking = False
    if decision.gpc:
        tracking = False
    now = now or timezone.now()
    with transaction.atomic():
        previous = None
        consent_id = decision.consent_id
        if consent_id is not None:
            lock(consent_id)
            previous = (
                ConsentRecord.objects.select_for_update()
                .filter(consent_id=consent_id)
                .order_by("-id")
                .first()
            )
            if previous is None:
                consent_id = None  # an id we never issued: start a new one
        if consent_id is None:
            consent_id = uuid.uuid4()
        rec = ConsentRecord(
            consent_id=consent_id,
            at=now,
            kind=_kind(decision, analytics, tracking, previous),
            analytics=analytics,
            tracking=tracking,
            gpc=decision.gpc,
            policy_version=policy.current_version_number() or None,
            banner_version=decision.version,
            language=decision.language if decision.language in LANGS else "nl",
            origin=origin[:200],
            ua_hash=hashlib.sha256(user_agent.encode("utf-8", "replace")).hexdigest(),
            ip_address=stored_address(ip_address, "consent_records"),
            prev_hash=previous.hash if previous is not None else GENESIS,
        )
        rec.hash = compute_hash(rec)
        rec.save(force_insert=True)
        record(
            actor="visitor:consent",
            action="consent.recorded",
            obj=rec,
            subject=subject_ref("visitor_id", str(consent_id)),
            detail={"hash": rec.hash, "kind": rec.kind},
        )
        decided.send(sender=ConsentRecord, consent_id=consent_id, record=rec, previous=previous)
    return rec


def lock(*consent_ids: uuid.UUID) -> None:
    """Serialise decisions and the writing of tracking events per consent id, until the end
    of the transaction: a batch of events checked before a withdrawal is written before it,
    and is then erased with the rest. (PostgreSQL: advisory locks, taken in one order;
    SQLite lets one writer at a time anyway.)"""
    conn = connections[ConsentRecord.objects.db]
    if conn.vendor != "postgresql":
        return
    keys = sorted({int.from_bytes(cid.bytes[:8], "big", signed=True) for cid in consent_ids})
    with conn.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


# -- what is allowed -------------------------------------------------------------------------
def latest(consent_id: uuid.UUID) -> ConsentRecord | None:
    return ConsentRecord.objects.filter(consent_id=consent_id).order_by("-id").first()


def is_valid(rec: ConsentRecord | None, *, now: datetime | None = None) -> bool:
    """A decision still holds: given under the current banner, less than 12 months ago."""
    if rec is None:
        return False
    now = now or timezone.now()
    return rec.banner_version == banner_version() and rec.at + VALID_FOR > now


def tracking_allowed(consent_id: uuid.UUID, *, now: datetime | None = None) -> bool:
    """The server's answer, from the newest record: tracking accepted and the consent valid.

    One indexed query in plain SQL: this runs for every tracking event."""
    now = now or timezone.now()
    conn = connections[ConsentRecord.objects.db]
    field = ConsentRecord._meta.get_field("consent_id")
    with conn.cursor() as cursor:
        cursor.execute(
            _ALLOWED_SQL,
            [
                banner_version(),
                conn.ops.adapt_datetimefield_value(now - VALID_FOR),
                field.get_db_prep_value(consent_id, conn),
            ],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


_ALLOWED_SQL = (
    "SELECT tracking AND banner_version = %s AND at > %s FROM consent_consentrecord "
    "WHERE consent_id = %s ORDER BY id DESC LIMIT 1"
)


def tracking_allowed_ids(ids: Iterable[uuid.UUID], *, now: datetime | None = None) -> set:
    """Of ``ids``, those whose newest record allows tracking (one query for a batch)."""
    ids = set(ids)
    if not ids:
        return set()
    newest = (
        ConsentRecord.objects.filter(consent_id__in=ids)
        .values("consent_id")
        .annotate(last=Max("id"))
        .values_list("last", flat=True)
    )
    now = now or timezone.now()
    version = banner_version()
    rows = ConsentRecord.objects.filter(id__in=list(newest)).values_list(
        "consent_id", "tracking", "banner_version", "at"
    )
    return {
        cid
        for cid, tracking, ver, at in rows
        if tracking and ver == version and at + VALID_FOR > now
    }


# -- proof --------------------------------------------------------------------------------
def records_of(consent_id: uuid.UUID) -> list[ConsentRecord]:
    return list(ConsentRecord.objects.filter(consent_id=consent_id).order_by("id"))


def verify(records: list[ConsentRecord], consent_id: uuid.UUID | None = None) -> list[str]:
    """Problems with these records of one consent id (oldest first): empty when intact.

    Each record must fit its own hash, follow its predecessor's hash and match the hash
    anchored for it in the audit log when it was recorded. And every record anchored in the
    audit log for this consent id must still be there, unless its erasure is in the audit
    log too (an erasure request, the retention sweep): a record deleted behind the
    application's back, a withdrawal say, is found.
    """
    if consent_id is None and records:
        consent_id = records[0].consent_id
    problems = []
    label = ConsentRecord._meta.label
    anchors = {
        entry.object_id: entry.detail.get("hash")
        for entry in AuditEntry.objects.filter(
            action="consent.recorded",
            object_type=label,
            object_id__in=[str(r.pk) for r in records],
        )
    }
    previous = None
    for rec in records:
        if compute_hash(rec) != rec.hash:
            problems.append(f"record {rec.pk}: content does not match its hash")
        if anchors.get(str(rec.pk)) != rec.hash:
            problems.append(f"record {rec.pk}: hash differs from the one in the audit log")
        if previous is not None and rec.prev_hash != previous.hash:
            problems.append(f"record {rec.pk}: does not follow record {previous.pk}")
        previous = rec
    if consent_id is not None:
        problems.extend(_missing(consent_id, {str(r.pk) for r in records}))
    return problems


def _missing(consent_id: uuid.UUID, present: set[str]) -> list[str]:
    """Records of ``consent_id`` anchored in the audit log, gone, and not erased by it."""
    from privacydesk.audit.services import subject_refs

    label = ConsentRecord._meta.label
    anchored = dict(
        AuditEntry.objects.filter(
            action="consent.recorded",
            object_type=label,
            subject_ref__in=subject_refs("visitor_id", str(consent_id)),
        ).values_list("object_id", "id")
    )
    gone = {pk: entry for pk, entry in anchored.items() if pk not in present}
    if not gone:
        return []
    erased: set[str] = set()
    erasures = AuditEntry.objects.filter(
        action="consent.erased", object_type=label, id__gt=min(gone.values())
    ).values_list("detail", flat=True)
    for detail in erasures.iterator():
        erased.update(str(pk) for pk in (detail or {}).get("records", ()))
        if erased >= gone.keys():
            break
    return [
        f"record {pk}: in the audit log, but removed without an erasure"
        for pk in sorted(gone, key=int)
        if pk not in erased
    ]


def counts_by_kind() -> dict[str, int]:
    """Decisions by kind, and how many were made with Global Privacy Control on."""
    counts = {kind: 0 for kind in ConsentRecord.Kind.values}
    for row in ConsentRecord.objects.values("kind").annotate(n=Count("id")):
        counts[row["kind"]] = row["n"]
    counts["gpc"] = ConsentRecord.objects.filter(gpc=True).count()
    return counts
