"""The newsletter's rules (P6): who may be mailed, with which proof, and who never again.

The public contract other apps build on (the CRM calls these; tracking's gated downloads call
``request_signup``):

- :func:`is_suppressed` — is this address on the suppression list?
- :func:`suppress` — put an address on it (unsubscribed, bounced, objected, ...): every
  subscription of the address ends at once and nothing queued for it is sent.
- :func:`add_soft_opt_in` — an existing paying customer on a list without confirmation mail
  (Telecommunicatiewet art. 11.7 lid 3); ``None`` when the address is suppressed.
- :func:`request_signup` — a double opt-in request: records the proof and mails the signed,
  expiring confirmation link; nothing is mailed until the link is used.
- :func:`subscriptions_for` — every subscription of an address (the CRM's contact page).

The suppression list holds keyed hashes only (``audit.subject_ref``: HMAC under the pseudonym
keys, never ``SECRET_KEY``), looked up under every key and linked reference
(``audit.subject_refs``), so it survives key rotation, a corrected address and the erasure of
everything else about the person (Art. 17(3)(b), 21(3)).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone, translation

from privacydesk.audit.services import record, subject_ref, subject_refs
from privacydesk.mailings.models import (
    Campaign,
    ConsentProof,
    Delivery,
    MailingList,
    Subscription,
    Suppression,
)
from privacydesk.redaction import truncate_ip
from privacydesk.spine import mail

log = logging.getLogger(__name__)

MAX_EMAIL = 254
MAX_NAME = 150
_CONFIRM_SALT = "privacydesk.mailings.confirm"
_UNSUBSCRIBE_SALT = "privacydesk.mailings.unsubscribe"
SUPPRESSION_REASONS = {choice for choice, _label in Suppression.Reason.choices}


class MailingError(ValueError):
    """A request the newsletter cannot carry out; the message says why (no personal data)."""


class UnknownList(MailingError):
    pass


class InvalidAddress(MailingError):
    pass


# -- addresses and names -----------------------------------------------------------------------
def normalise_email(value: str) -> str:
    """The address as stored and compared: stripped, lower case; :class:`InvalidAddress` if not
    one valid address of at most 254 characters."""
    if not isinstance(value, str):
        raise InvalidAddress("not an e-mail address")
    address = value.strip().lower()
    if not address or len(address) > MAX_EMAIL or not mail.is_header_safe(address):
        raise InvalidAddress("not an e-mail address")
    try:
        validate_email(address)
    except ValidationError:
        raise InvalidAddress("not an e-mail address") from None
    return address


def clean_name(value: str) -> str:
    """A name for a From/To header and a greeting: no control characters, at most 150."""
    name = (value or "").strip()
    if len(name) > MAX_NAME:
        raise MailingError("name is too long")
    if not mail.is_header_safe(name) or "<" in name or ">" in name:
        raise MailingError("name holds characters that are not allowed")
    return name


def get_list(slug: str) -> MailingList:
    try:
        return MailingList.objects.get(slug=slug)
    except MailingList.DoesNotExist:
        raise UnknownList(f"no mailing list {slug!r}") from None


# -- suppression ---------------------------------------------------------------------------------
def is_suppressed(email: str) -> bool:
    """True when the address is on the suppression list (under any pseudonym key)."""
    try:
        address = normalise_email(email)
    except InvalidAddress:
        return False
    return Suppression.objects.filter(ref__in=subject_refs("email", address)).exists()


@transaction.atomic
def suppress(email: str, *, reason: str, actor: str) -> None:
    """Never mail ``email`` again: its keyed hash goes on the suppression list, every
    subscription of it ends, and what is queued for it is skipped (a worker about to hand a
    message over finds its claim gone and drops it)."""
    if reason not in SUPPRESSION_REASONS:
        raise MailingError(f"unknown suppression reason {reason!r}")
    address = normalise_email(email)
    ref = subject_ref("email", address)
    Suppression.objects.get_or_create(ref=ref, defaults={"reason": reason, "actor": actor})
    now = timezone.now()
    ended = _end(Subscription.objects.filter(email=address), now)
    ConsentProof.objects.filter(email=address, ended_at__isnull=True).update(ended_at=now)
    record(
        actor=actor,
        action="mailings.suppressed",
        object_type="mailings.suppression",
        object_id=ref,
        subject=ref,
        detail={"reason": reason, "subscriptions_ended": ended},
    )


def _end(subscriptions, now) -> int:
    """End these subscriptions (unsubscribed now) and skip what is queued for them."""
    ended = list(
        subscriptions.exclude(state=Subscription.State.UNSUBSCRIBED).values_list("pk", flat=True)
    )
    Subscription.objects.filter(pk__in=ended).update(
        state=Subscription.State.UNSUBSCRIBED, unsubscribed_at=now
    )
    ConsentProof.objects.filter(subscription_id__in=ended, ended_at__isnull=True).update(
        ended_at=now
    )
    Delivery.objects.filter(
        subscription_id__in=list(subscriptions.values_list("pk", flat=True)),
        state__in=[Delivery.State.QUEUED, Delivery.State.CLAIMED],
    ).update(state=Delivery.State.SKIPPED, claim_token="")
    return len(ended)


# -- objection (Art. 21), through a data-subject request -----------------------------------------
@transaction.atomic
def end_on_objection(subscriptions, *, actor: str) -> int:
    """An objection (Art. 21(2), (3)) found these subscriptions: each ends at once (state
    unsubscribed, its proof's consent ended, nothing queued for it sent). Returns how many
    were still running."""
    ended = _end(subscriptions, timezone.now())
    if ended:
        record(
            actor=actor,
            action="mailings.ended_on_objection",
            object_type=Subscription._meta.label,
            detail={"subscriptions_ended": ended},
        )
    return ended


def suppress_objected(addresses, *, actor: str) -> int:
    """An objection or an erasure named these addresses: each goes on the suppression list
    (reason ``objected``; kept as it was when already there), so it is never mailed, signed
    up or soft-opted-in again. Returns how many addresses are on the list for it."""
    count = 0
    for value in addresses:
        try:
            address = normalise_email(value)
        except InvalidAddress:
            continue  # not an address anyone could mail
        suppress(address, reason=Suppression.Reason.OBJECTED, actor=actor)
        count += 1
    return count


# -- proof and tokens --------------------------------------------------------------------------
def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _policy_version() -> int | None:
    from privacydesk.policy.services import current_version_number

    try:
        return current_version_number()
    except Exception:  # no published version yet (a fresh installation before migrate)
        return None


def confirm_token(subscription: Subscription) -> str:
    value = f"{subscription.pk}.{subscription.mailing_list.slug}.{subscription.link_version}"
    return signing.TimestampSigner(salt=_CONFIRM_SALT).sign(value)


def unsubscribe_token(subscription: Subscription) -> str:
    """A personal, lasting token: the subscription and the keyed hash of its address, so the
    link unsubscribes even after the subscription row was erased."""
    ref = subject_ref("email", subscription.email).partition("#")[2]
    value = f"{subscription.pk}.{subscription.mailing_list.slug}.{ref}"
    return signing.Signer(salt=_UNSUBSCRIBE_SALT).sign(value)


def absolute(path: str) -> str:
    """An absolute URL under the public base URL (``SITE_URL``)."""
    return settings.SITE_URL.rstrip("/") + path


def _lang_path(path: str, lang: str) -> str:
    return path if lang == settings.LANGUAGE_CODE else f"/{lang}{path}"


def confirm_url(subscription: Subscription, lang: str | None = None) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        path = reverse(
            "mailings:confirm",
            kwargs={"slug": subscription.mailing_list.slug, "token": confirm_token(subscription)},
        )
    return absolute(_lang_path(path, lang or subscription.language))


_SIGNED_SLOT = "SIGNED-VALUE-SLOT"
_UNSUBSCRIBE_PREFIXES: dict[tuple[str, str, str], str] = {}


def unsubscribe_url(subscription: Subscription, lang: str | None = None) -> str:
    """The personal unsubscribe link (made for every message of a campaign: the URL around
    the token is worked out once per list and language)."""
    lang = lang or subscription.language
    slug = subscription.mailing_list.slug
    key = (settings.SITE_URL, slug, lang)
    if key not in _UNSUBSCRIBE_PREFIXES:
        with translation.override(settings.LANGUAGE_CODE):
            path = reverse("mailings:unsubscribe", kwargs={"slug": slug, "token": _SIGNED_SLOT})
        _UNSUBSCRIBE_PREFIXES[key] = absolute(_lang_path(path, lang))
    return _UNSUBSCRIBE_PREFIXES[key].replace(_SIGNED_SLOT, unsubscribe_token(subscription))


class BadToken(MailingError):
    """The link is not one of ours, was made for another list, or is no longer current."""


class ExpiredToken(MailingError):
    """The confirmation link is older than ``MAILINGS_CONFIRM_HOURS``."""


def _subscription_from(value: str, slug: str) -> tuple[Subscription | None, list[str]]:
    parts = value.split(".")
    if len(parts) != 3 or parts[1] != slug or not parts[0].isdigit():
        raise BadToken("the link was not made for this list")
    subscription = (
        Subscription.objects.select_related("mailing_list")
        .filter(pk=int(parts[0]), mailing_list__slug=slug)
        .first()
    )
    return subscription, parts


# -- signing up --------------------------------------------------------------------------------
@dataclass(frozen=True)
class SignupText:
    """What the form showed: the exact consent text and its version."""

    text: str
    version: str


def request_signup(
    list_slug: str,
    email: str,
    *,
    name: str = "",
    form_url: str,
    text_shown: str,
    text_version: str,
    ip: str | None,
    language: str,
) -> Subscription | None:
    """Record a double opt-in request and e-mail the confirmation link (after commit).

    The caller answers the same whatever happens here (no address enumeration): a suppressed
    or already confirmed address gets no mail, and ``None`` or the existing subscription is
    returned only for the caller's own bookkeeping. Raises :class:`InvalidAddress` /
    :class:`MailingError` for input a form should have refused.
    """
    mailing_list = get_list(list_slug)
    address = normalise_email(email)
    name = clean_name(name)
    language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    if is_suppressed(address):
        return None
    now = timezone.now()
    with transaction.atomic():
        subscription, created = Subscription.objects.select_for_update().get_or_create(
            mailing_list=mailing_list,
            email=address,
            defaults={
                "name": name,
                "state": Subscription.State.PENDING,
                "basis": Subscription.Basis.CONSENT,
                "language": language,
                "created_at": now,
            },
        )
        if subscription.state == Subscription.State.CONFIRMED:
            return subscription
        if not created:  # pending again, or unsubscribed without suppression: a new consent
            subscription.state = Subscription.State.PENDING
            subscription.basis = Subscription.Basis.CONSENT
            subscription.name = name or subscription.name
            subscription.language = language
            subscription.link_version += 1
            subscription.unsubscribed_at = None
            subscription.save()
        proof = ConsentProof.objects.create(
            subscription=subscription,
            mailing_list=mailing_list,
            email=address,
            basis=Subscription.Basis.CONSENT,
            requested_at=now,
            form_url=form_url[:500],
            text_shown=text_shown,
            text_sha256=text_sha256(text_shown),
            text_version=text_version[:40],
            policy_version=_policy_version(),
            ip_truncated=truncate_ip(ip),
            language=language,
            source="signup form",
        )
        ref = subject_ref("email", address)
        record(
            actor="anonymous",
            action="mailings.signup_requested",
            obj=subscription,
            subject=ref,
            detail={"list": mailing_list.slug, "proof": proof.pk},
        )
        sub_id = subscription.pk
        transaction.on_commit(lambda: _send_confirmation(sub_id))
    return subscription


def _send_confirmation(subscription_id: int) -> bool:
    from django.template.loader import render_to_string

    subscription = Subscription.objects.select_related("mailing_list").get(pk=subscription_id)
    lang = subscription.language
    context = {
        "subscription": subscription,
        "list_title": subscription.mailing_list.title(lang),
        "link": confirm_url(subscription),
        "hours": settings.MAILINGS_CONFIRM_HOURS,
    }
    with translation.override(lang):
        subject = render_to_string("mailings/confirm_subject.txt", context).strip()
        body = render_to_string("mailings/confirm.txt", context)
    try:
        mail.send(subscription.email, subject, body, from_name=subscription.mailing_list.sender)
    except Exception as exc:  # the page's answer stands; the person may sign up again
        log.warning("a confirmation e-mail could not be sent (%s)", type(exc).__name__)
        return False
    return True


@dataclass(frozen=True)
class Confirmation:
    subscription: Subscription
    already: bool


def check_confirm_token(slug: str, token: str) -> Subscription:
    """The pending subscription the confirmation ``token`` names, or :class:`BadToken` /
    :class:`ExpiredToken`."""
    max_age = timedelta(hours=settings.MAILINGS_CONFIRM_HOURS)
    signer = signing.TimestampSigner(salt=_CONFIRM_SALT)
    try:
        value = signer.unsign(token, max_age=max_age)
    except signing.SignatureExpired:
        raise ExpiredToken("the confirmation link has expired") from None
    except signing.BadSignature:
        raise BadToken("the link is not valid") from None
    subscription, parts = _subscription_from(value, slug)
    if subscription is None or str(subscription.link_version) != parts[2]:
        raise BadToken("the link is no longer valid")
    if subscription.state == Subscription.State.UNSUBSCRIBED:
        raise BadToken("the subscription has ended")
    return subscription


@transaction.atomic
def confirm(slug: str, token: str, *, ip: str | None) -> Confirmation:
    """Confirm a signup from its link (a POST from the confirmation page)."""
    subscription = check_confirm_token(slug, token)
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.state == Subscription.State.CONFIRMED:
        return Confirmation(subscription, already=True)
    if is_suppressed(subscription.email):
        raise BadToken("the subscription has ended")
    now = timezone.now()
    subscription.state = Subscription.State.CONFIRMED
    subscription.confirmed_at = now
    subscription.save(update_fields=["state", "confirmed_at"])
    proof = subscription.proofs.filter(confirmed_at__isnull=True).order_by("-pk").first()
    if proof is not None:
        proof.confirmed_at = now
        proof.confirm_ip_truncated = truncate_ip(ip)
        proof.save(update_fields=["confirmed_at", "confirm_ip_truncated"])
    record(
        actor="anonymous",
        action="mailings.confirmed",
        obj=subscription,
        subject=subject_ref("email", subscription.email),
        detail={"list": slug},
    )
    return Confirmation(subscription, already=False)


def check_unsubscribe_token(slug: str, token: str) -> tuple[Subscription | None, str]:
    """The subscription (or None when erased) and the keyed hash the link carries."""
    try:
        value = signing.Signer(salt=_UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        raise BadToken("the link is not valid") from None
    subscription, parts = _subscription_from(value, slug)
    ref = f"email#{parts[2]}"
    if subscription is not None and ref not in subject_refs("email", subscription.email):
        subscription = None  # the row was erased and its id reused, or the address corrected
    return subscription, ref


@transaction.atomic
def unsubscribe(slug: str, token: str, *, how: str) -> bool:
    """One-click unsubscribe (RFC 8058) or the page's button: the address is suppressed.

    Returns False when it already was. Works after the subscription was erased: the token's
    keyed hash goes on the suppression list itself.
    """
    subscription, ref = check_unsubscribe_token(slug, token)
    if subscription is not None:
        already = subscription.state == Subscription.State.UNSUBSCRIBED and is_suppressed(
            subscription.email
        )
        if not already:
            suppress(subscription.email, reason=Suppression.Reason.UNSUBSCRIBED, actor="anonymous")
        record(
            actor="anonymous",
            action="mailings.unsubscribed",
            obj=subscription,
            subject=subject_ref("email", subscription.email),
            detail={"list": slug, "how": how},
        )
        return not already
    _obj, created = Suppression.objects.get_or_create(
        ref=ref, defaults={"reason": Suppression.Reason.UNSUBSCRIBED, "actor": "anonymous"}
    )
    if created:
        record(
            actor="anonymous",
            action="mailings.suppressed",
            object_type="mailings.suppression",
            object_id=ref,
            subject=ref,
            detail={"reason": "unsubscribed", "subscriptions_ended": 0},
        )
    return created


# -- soft opt-in (Telecommunicatiewet 11.7 lid 3) ----------------------------------------------
@transaction.atomic
def add_soft_opt_in(
    list_slug: str, email: str, *, name: str = "", source: str, actor: str
) -> Subscription | None:
    """Put an existing paying customer on a list under the soft opt-in.

    Allowed only for the company's own similar products and services, with the opt-out
    offered at collection and in every message (every campaign carries the unsubscribe link
    and headers). A lead who only downloaded content is not a customer: use
    :func:`request_signup`. Returns ``None`` for a suppressed address or one that
    unsubscribed; an existing confirmed subscription is returned unchanged.
    """
    mailing_list = get_list(list_slug)
    address = normalise_email(email)
    name = clean_name(name)
    if not source.strip():
        raise MailingError("a soft opt-in needs its source (the customer relation)")
    if is_suppressed(address):
        return None
    now = timezone.now()
    subscription, created = Subscription.objects.select_for_update().get_or_create(
        mailing_list=mailing_list,
        email=address,
        defaults={
            "name": name,
            "state": Subscription.State.CONFIRMED,
            "basis": Subscription.Basis.SOFT_OPT_IN,
            "created_at": now,
            "confirmed_at": now,
        },
    )
    if not created:
        if subscription.state == Subscription.State.CONFIRMED:
            return subscription
        if subscription.state == Subscription.State.UNSUBSCRIBED:
            return None
        subscription.state = Subscription.State.CONFIRMED
        subscription.basis = Subscription.Basis.SOFT_OPT_IN
        subscription.confirmed_at = now
        subscription.name = name or subscription.name
        subscription.save()
    ConsentProof.objects.create(
        subscription=subscription,
        mailing_list=mailing_list,
        email=address,
        basis=Subscription.Basis.SOFT_OPT_IN,
        requested_at=now,
        confirmed_at=now,
        source=source[:120],
        policy_version=_policy_version(),
        text_version="Tw 11.7 lid 3",
    )
    record(
        actor=actor,
        action="mailings.soft_opt_in",
        obj=subscription,
        subject=subject_ref("email", address),
        detail={"list": mailing_list.slug},
    )
    return subscription


def subscriptions_for(email: str) -> list[Subscription]:
    """Every subscription of ``email`` (any list, any state), newest first."""
    try:
        address = normalise_email(email)
    except InvalidAddress:
        return []
    return list(
        Subscription.objects.filter(email=address)
        .select_related("mailing_list")
        .order_by("-created_at")
    )


def subscribers(list_slug: str) -> list[Subscription]:
    """Every subscription of a list, oldest first."""
    mailing_list = get_list(list_slug)
    return list(mailing_list.subscriptions.order_by("created_at", "pk"))


def mailable(mailing_list: MailingList):
    """The subscriptions a campaign goes to: confirmed and not restricted (Art. 18)."""
    return mailing_list.subscriptions.filter(state=Subscription.State.CONFIRMED, restricted=False)


# -- campaigns ---------------------------------------------------------------------------------
def create_campaign(list_slug: str, *, subject: str, markdown: str, actor: str) -> Campaign:
    mailing_list = get_list(list_slug)
    subject = (subject or "").strip()
    if not subject:
        raise MailingError("a campaign needs a subject")
    if not mail.is_header_safe(subject):
        raise MailingError("the subject holds a line break or control character")
    if len(subject) > 200:
        raise MailingError("the subject is longer than 200 characters")
    if not (markdown or "").strip():
        raise MailingError("a campaign needs a text")
    with transaction.atomic():
        campaign = Campaign.objects.create(
            mailing_list=mailing_list, subject=subject, markdown=markdown, created_by=actor
        )
        record(actor=actor, action="mailings.campaign_created", obj=campaign)
    return campaign


def update_campaign(campaign: Campaign, *, subject: str, markdown: str, actor: str) -> Campaign:
    if campaign.state != Campaign.State.DRAFT:
        raise MailingError("only a draft can be changed")
    if not mail.is_header_safe(subject or "") or not (subject or "").strip():
        raise MailingError("the subject is empty or holds a line break")
    campaign.subject = subject.strip()[:200]
    campaign.markdown = markdown
    campaign.save(update_fields=["subject", "markdown"])
    record(actor=actor, action="mailings.campaign_changed", obj=campaign)
    return campaign


def queue_campaign(campaign_id: int, *, actor: str) -> int:
    """Create one queued delivery per mailable, unsuppressed subscriber and start the worker.

    Idempotent: a campaign that is already sending or sent is left alone (returns 0).
    """
    from privacydesk.mailings import tasks

    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update().select_related("mailing_list").get(pk=campaign_id)
        )
        if campaign.state != Campaign.State.DRAFT:
            return 0
        suppressed = set(Suppression.objects.values_list("ref", flat=True))
        rows = []
        for sub_id, address in mailable(campaign.mailing_list).values_list("pk", "email"):
            if suppressed and subject_refs("email", address) & suppressed:
                continue
            rows.append(Delivery(campaign=campaign, subscription_id=sub_id))
        Delivery.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
        campaign.state = Campaign.State.SENDING
        campaign.queued_at = timezone.now()
        campaign.save(update_fields=["state", "queued_at"])
        record(
            actor=actor,
            action="mailings.campaign_queued",
            obj=campaign,
            detail={"recipients": len(rows)},
        )
        transaction.on_commit(lambda: tasks.deliver.enqueue(campaign.pk))
    return len(rows)


def send_test(campaign: Campaign, address: str, *, actor: str, lang: str | None = None) -> str:
    """Send the campaign once to ``address`` (marked as a test; no delivery row)."""
    from privacydesk.mailings import render

    address = normalise_email(address)
    message = render.message_for(
        campaign, to=address, name="", unsubscribe="", lang=lang or settings.LANGUAGE_CODE,
        test=True,
    )  # fmt: skip
    message.send()
    record(actor=actor, action="mailings.test_sent", obj=campaign)
    return message.extra_headers["Message-ID"]


RUN_STOPPED = "mailings.run_stopped"


def last_stop(campaign: Campaign) -> dict | None:
    """Why the last sending run of a campaign stopped for the whole session (``{"stage",
    "code"}``: the sign-in, the sender or the content refused), while it matters: None once a
    message of the campaign was accepted after it, or when the campaign is not sending."""
    from privacydesk.audit.models import AuditEntry

    if campaign.state != Campaign.State.SENDING:
        return None
    entry = (
        AuditEntry.objects.filter(
            action=RUN_STOPPED, object_type=Campaign._meta.label, object_id=str(campaign.pk)
        )
        .order_by("-id")
        .first()
    )
    if entry is None or campaign.deliveries.filter(sent_at__gt=entry.at).exists():
        return None
    return entry.detail


def status_counts(campaign: Campaign) -> dict[str, int]:
    counts = {state: 0 for state, _label in Delivery.State.choices}
    for row in campaign.deliveries.values("state").annotate(n=Count("pk")):
        counts[row["state"]] = row["n"]
    return counts


def list_counts(mailing_list: MailingList) -> dict[str, int]:
    rows = mailing_list.subscriptions.values("state").annotate(n=Count("pk"))
    counts = {state: 0 for state, _label in Subscription.State.choices}
    counts.update({row["state"]: row["n"] for row in rows})
    return counts


def expire_pending(now=None) -> int:
    """Delete signups never confirmed once their link has expired (and their proof): an
    address someone typed without its owner's consent is not kept."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.MAILINGS_CONFIRM_HOURS + 24)
    stale = (
        Subscription.objects.filter(state=Subscription.State.PENDING)
        .annotate(last=Max("proofs__requested_at"))
        .filter(Q(last__lt=cutoff) | Q(last__isnull=True, created_at__lt=cutoff))
    )
    ids = list(stale.values_list("pk", flat=True))
    ConsentProof.objects.filter(subscription_id__in=ids, confirmed_at__isnull=True).delete()
    deleted, _ = Subscription.objects.filter(pk__in=ids).delete()
    return len(ids) if deleted else 0
