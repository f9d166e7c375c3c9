"""Data-subject requests: intake, verification, deadlines, and carrying them out (P14).

Every request reaches the data through the personal-data registry and the plans of
``policy.plans`` only (one plan per verb and request, key ``rights-request:<id>:<verb>``, its
steps persisted one per source); this module knows no app's model. Each kind of request is
one or two plans:

- access (Art. 15): ``export`` and the access package (``package.py``);
- portability (Art. 20): ``export``, of the fields the person provided;
- rectification (Art. 16): ``rectify`` with the corrections stored on the request;
- restriction (Art. 18): ``restrict``;
- objection (Art. 21): ``object`` (suppression, tracking profile removed);
- erasure (Art. 17): ``erase``, then ``object`` so marketing never adds the address again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from privacydesk.audit.services import record, subject_ref
from privacydesk.policy import plans
from privacydesk.policy.models import Plan, PlanStep
from privacydesk.rights import deadlines, letters
from privacydesk.rights.models import Attachment, Request
from privacydesk.spine import mail, registry
from privacydesk.spine.registry import Subject

VERIFY_SALT = "privacydesk.rights.verify"
PACKAGE_SALT = "privacydesk.rights.package"
#: A run that has not finished after this long was left by a dead worker and is resumed.
STALE_RUN = timedelta(minutes=30)

VERBS: dict[str, tuple[str, ...]] = {
    Request.Kind.ACCESS: (Plan.Verb.EXPORT,),
    Request.Kind.PORTABILITY: (Plan.Verb.EXPORT,),
    Request.Kind.RECTIFICATION: (Plan.Verb.RECTIFY,),
    Request.Kind.RESTRICTION: (Plan.Verb.RESTRICT,),
    Request.Kind.OBJECTION: (Plan.Verb.OBJECT,),
    Request.Kind.ERASURE: (Plan.Verb.ERASE, Plan.Verb.OBJECT),
}


class RightsError(ValueError):
    """A request cannot do what was asked (the message says why, in English for the CLI)."""


# -- identifiers --------------------------------------------------------------------------
def subjects(req: Request) -> list[Subject]:
    """The identifiers the request names (the corrected address after a rectification)."""
    found = []
    if req.email:
        found.append(Subject("email", req.email))
    if req.phone:
        found.append(Subject("phone", req.phone))
    return found


def subject_reference(req: Request) -> str:
    """The pseudonymous reference the audit log files the request under."""
    if req.email:
        return subject_ref("email", req.email)
    if req.phone:
        return subject_ref("phone", req.phone)
    return f"rights.Request:{req.pk}"


def value_ref(value: object) -> str:
    """A keyed reference to a value (old and new values of a rectification in the audit log)."""
    key = settings.PSEUDONYM_KEYS[0]
    digest = hmac.new(key, f"value:{value}".encode(), hashlib.sha256).hexdigest()
    return f"v:{digest[:32]}"


def client_reference(address: str) -> str:
    """A keyed reference to a client address: enough for a rate limit, never the address."""
    key = settings.PSEUDONYM_KEYS[0]
    return hmac.new(key, f"client:{address}".encode(), hashlib.sha256).hexdigest()[:64]


# -- intake -------------------------------------------------------------------------------
def create(
    *,
    kind: str,
    channel: str,
    actor: str,
    email: str = "",
    phone: str = "",
    name: str = "",
    message: str = "",
    language: str = "nl",
    received_at: datetime | None = None,
    verified: bool = False,
    identity_check: str = "",
    client_ref: str = "",
    from_ok: bool = True,
) -> Request:
    """Record a request received at ``received_at`` (now by default): its legal start."""
    if kind not in Request.Kind.values:
        raise RightsError(_("Unknown kind %(kind)s.") % {"kind": kind})
    if channel not in Request.Channel.values:
        raise RightsError(_("Unknown channel %(channel)s.") % {"channel": channel})
    received_at = received_at or timezone.now()
    if timezone.is_naive(received_at):
        received_at = timezone.make_aware(received_at)
    if received_at > timezone.now() + timedelta(minutes=5):
        raise RightsError(_("A request cannot be received in the future."))
    now = timezone.now()
    if not email and not phone:
        state = Request.State.NEEDS_STAFF
    elif verified:
        state = Request.State.OPEN
    else:
        state = Request.State.UNVERIFIED
    req = Request.objects.create(
        kind=kind,
        channel=channel,
        email=email.strip(),
        phone=phone.strip(),
        name=name.strip(),
        message=message,
        language=language if language in ("nl", "en") else "nl",
        received_at=received_at,
        due_on=deadlines.due_on(received_at),
        state=state,
        verified_at=now if verified and state == Request.State.OPEN else None,
        identity_check=identity_check,
        client_ref=client_ref,
        mailbox_from_ok=from_ok,
        created_by=actor,
    )
    record(
        actor=actor,
        action="rights.received",
        obj=req,
        subject=subject_reference(req),
        detail={"kind": kind, "channel": channel, "verified": state == Request.State.OPEN},
    )
    return req


#: States in which staff may still change what a request asks for (nothing was carried out).
KIND_CHANGEABLE = (Request.State.UNVERIFIED, Request.State.NEEDS_STAFF, Request.State.OPEN)


@transaction.atomic
def change_kind(req: Request, *, kind: str, actor: str) -> Request:
    """Staff correct what a request asks for (the mailbox guesses it from the words)."""
    req = Request.objects.select_for_update().get(pk=req.pk)
    if kind not in Request.Kind.values:
        raise RightsError(_("Unknown kind %(kind)s.") % {"kind": kind})
    if req.state not in KIND_CHANGEABLE or request_plans(req):
        raise RightsError(_("The kind can only be changed before the request is carried out."))
    if req.kind == kind:
        return req
    old, req.kind = req.kind, kind
    req.save(update_fields=["kind"])
    record(
        actor=actor,
        action="rights.kind_changed",
        obj=req,
        subject=subject_reference(req),
        detail={"from": old, "to": kind},
    )
    return req


def attach(req: Request, *, filename: str, content: bytes, content_type: str, actor: str):
    from django.core.files.base import ContentFile

    safe = "".join(c for c in filename if c.isprintable() and c not in "/\\")[:200] or "file"
    att = Attachment(request=req, filename=safe, content_type=content_type[:100], size=len(content))
    att.file.save(f"{req.pk}-{secrets.token_hex(6)}.bin", ContentFile(content), save=False)
    att.save()
    record(actor=actor, action="rights.attachment_added", obj=req, detail={"size": len(content)})
    return att


def verification_token(req: Request) -> str:
    return signing.dumps({"r": req.pk, "e": value_ref(req.email.lower())}, salt=VERIFY_SALT)


def verification_path(req: Request) -> str:
    from django.urls import reverse
    from django.utils import translation

    with translation.override(req.language):
        return reverse("rights:verify", kwargs={"token": verification_token(req)})


def request_for_token(token: str) -> Request | None:
    """The unverified or verified request a link names, None for a bad or expired link."""
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=settings.RIGHTS_VERIFY_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    try:
        req = Request.objects.filter(pk=int(data.get("r"))).first()
    except (TypeError, ValueError, OverflowError):
        return None
    if req is None or value_ref(req.email.lower()) != data.get("e"):
        return None
    return req


#: What the worker carries out on its own once the requester confirmed the address: access
#: and portability only read, and what they hand over goes to the confirmed address through
#: a signed, expiring link (withheld disclosures stay out, ``registers/privacy.py``). Every
#: other kind waits for the privacy officer: erasure cannot be undone, and whether the
#: person is who they say (Art. 12(6): reasonable doubts may call for more proof) and whether
#: a legal hold or a legal duty keeps data is for a person to judge; rectification needs the
#: corrections, restriction and objection a look at what they stop.
AUTOMATIC = (Request.Kind.ACCESS, Request.Kind.PORTABILITY)


@transaction.atomic
def verify(req: Request, *, actor: str) -> bool:
    """The requester proved control of the address; False when it was verified before.

    An access or portability request is then queued for the worker (:data:`AUTOMATIC`), which
    builds the package and mails the link; the others wait in the privacy officer's queue."""
    updated = Request.objects.filter(pk=req.pk, state=Request.State.UNVERIFIED).update(
        state=Request.State.OPEN, verified_at=timezone.now()
    )
    if updated:
        req.refresh_from_db()
        record(actor=actor, action="rights.verified", obj=req, subject=subject_reference(req))
        if req.kind in AUTOMATIC:
            start(req, actor="system:rights")
            req.refresh_from_db()
    return bool(updated)


#: The letters that carry the confirmation link.
LINK_LETTERS = ("verify", "acknowledgement")


def links_sent_at(reqs) -> dict[int, datetime]:
    """Per request, when its confirmation link was last mailed (absent: never)."""
    from privacydesk.audit.models import AuditEntry

    entries = AuditEntry.objects.filter(
        action="rights.letter_sent",
        object_type=Request._meta.label,
        object_id__in=[str(r.pk) for r in reqs],
    ).values_list("object_id", "at", "detail")
    sent: dict[int, datetime] = {}
    for pk, at, detail in entries:
        if isinstance(detail, dict) and detail.get("letter") in LINK_LETTERS:
            sent[int(pk)] = max(at, sent.get(int(pk), at))
    return sent


def links_expire_at(reqs) -> dict[int, datetime]:
    """Per request, when its confirmation link stops working: its lifetime after it was
    mailed (for a mailbox message polled late, that is after it arrived)."""
    lifetime = timedelta(seconds=settings.RIGHTS_VERIFY_SECONDS)
    return {pk: at + lifetime for pk, at in links_sent_at(reqs).items()}


def _unconfirmed(now: datetime) -> tuple[list[Request], list[Request]]:
    """Unverified requests older than a link's lifetime: (those whose link has expired,
    those whose link could never be mailed)."""
    lifetime = timedelta(seconds=settings.RIGHTS_VERIFY_SECONDS)
    candidates = list(
        Request.objects.filter(state=Request.State.UNVERIFIED, received_at__lt=now - lifetime)
    )
    sent = links_sent_at(candidates)
    expired = [r for r in candidates if r.pk in sent and sent[r.pk] + lifetime < now]
    unsent = [r for r in candidates if r.pk not in sent and r.received_at + lifetime < now]
    return expired, unsent


def unconfirmed_past_link(*, now: datetime | None = None) -> list[Request]:
    """Unverified requests whose confirmation link was mailed and has expired, and those
    whose link could not be mailed within a link's lifetime."""
    expired, unsent = _unconfirmed(now or timezone.now())
    return expired + unsent


def expire_unverified(*, now: datetime | None = None, actor: str = "system:rights") -> int:
    """Close the requests nobody confirmed within the link's lifetime (``RIGHTS_VERIFY_HOURS``).

    Until the address is confirmed there is no request to answer: the form can be filled in
    with anyone's address. Nothing is mailed (the address may not be the requester's); the
    queue shows the expired requests, and the rights-requests retention applies from now. A
    request whose link could not be mailed at all (the mail server refused it all along) is
    not expired but handed to staff (``needs_staff``): the requester never had a chance."""
    now = now or timezone.now()
    expired, unsent = _unconfirmed(now)
    closed = 0
    for req in expired:
        with transaction.atomic():
            if Request.objects.filter(pk=req.pk, state=Request.State.UNVERIFIED).update(
                state=Request.State.EXPIRED, closed_at=now
            ):
                record(
                    actor=actor,
                    action="rights.expired",
                    obj=req,
                    subject=subject_reference(req),
                    detail={"hours": settings.RIGHTS_VERIFY_SECONDS // 3600},
                )
                closed += 1
    for req in unsent:
        with transaction.atomic():
            if Request.objects.filter(pk=req.pk, state=Request.State.UNVERIFIED).update(
                state=Request.State.NEEDS_STAFF
            ):
                record(
                    actor=actor,
                    action="rights.link_not_sent",
                    obj=req,
                    subject=subject_reference(req),
                )
    return closed


def send_verification(req: Request, *, base: str | None = None, outcome: str = "verify") -> bool:
    link = f"{base or settings.SITE_URL}{verification_path(req)}"
    hours = settings.RIGHTS_VERIFY_SECONDS // 3600
    return letters.send(outcome, req, actor="system:rights", context={"link": link, "hours": hours})


# -- deadlines ----------------------------------------------------------------------------
@transaction.atomic
def extend(req: Request, *, months: int, reason: str, actor: str, today=None) -> Request:
    """Art. 12(3): extend by one or two months, with a reason, told within the first month."""
    req = Request.objects.select_for_update().get(pk=req.pk)
    reason = reason.strip()
    today = today or timezone.localdate()
    if not reason:
        raise RightsError(_("An extension needs a reason."))
    if req.extended_to is not None:
        raise RightsError(_("The deadline was extended before."))
    if today > req.due_on:
        raise RightsError(_("An extension must be told within the first month."))
    if req.is_closed:
        raise RightsError(_("The request is closed."))
    req.extended_to = deadlines.extended(req.due_on, months)
    req.extension_reason = reason
    req.warned_7_at = req.warned_2_at = None
    req.save(update_fields=["extended_to", "extension_reason", "warned_7_at", "warned_2_at"])
    record(
        actor=actor,
        action="rights.extended",
        obj=req,
        subject=subject_reference(req),
        detail={"months": months, "to": req.extended_to.isoformat()},
    )
    transaction.on_commit(lambda: _extension_notice(req.pk, actor))
    return req


def _extension_notice(pk: int, actor: str) -> None:
    req = Request.objects.get(pk=pk)
    if letters.send("extension", req, actor=actor):
        Request.objects.filter(pk=pk).update(extension_notified_at=timezone.now())


@transaction.atomic
def refuse(req: Request, *, reason: str, actor: str) -> Request:
    """Art. 12(4): refuse with a reason; the letter names the complaint and the court."""
    req = Request.objects.select_for_update().get(pk=req.pk)
    reason = reason.strip()
    if not reason:
        raise RightsError(_("A refusal needs a reason."))
    if req.is_closed:
        raise RightsError(_("The request is closed."))
    now = timezone.now()
    req.state = Request.State.REFUSED
    req.refusal_reason = reason
    req.answered_at = req.closed_at = now
    req.save(update_fields=["state", "refusal_reason", "answered_at", "closed_at"])
    record(actor=actor, action="rights.refused", obj=req, subject=subject_reference(req))
    transaction.on_commit(lambda: send_answer(req, actor=actor, outcome="refusal"))
    return req


def _authority() -> dict:
    from privacydesk.policy.services import current_model

    return {"authority": current_model().supervisory_authority}


def warn_deadlines(*, today=None) -> dict:
    """E-mail the privacy officers once at 7 and once at 2 days before a deadline; mark overdue."""
    today = today or timezone.localdate()
    sent = {"7": 0, "2": 0, "overdue": 0}
    # An address nobody confirmed is no request to answer yet (a form anyone can fill in).
    open_states = [
        Request.State.NEEDS_STAFF,
        Request.State.OPEN,
        Request.State.PROCESSING,
        Request.State.FAILED,
    ]
    for req in Request.objects.filter(state__in=open_states):
        st = deadlines.status(req.deadline, today=today)
        now = timezone.now()
        if st.overdue:
            if Request.objects.filter(pk=req.pk, overdue_at__isnull=True).update(overdue_at=now):
                record(
                    actor="system:rights",
                    action="rights.overdue",
                    obj=req,
                    subject=subject_reference(req),
                )
                sent["overdue"] += 1
                _warn_staff(req, st.days_left)
            continue
        if st.warning is None:
            continue
        column = f"warned_{st.warning}_at"
        # Claimed by one update, so two workers never send the same warning.
        if Request.objects.filter(pk=req.pk, **{f"{column}__isnull": True}).update(**{column: now}):
            if st.warning == 2:  # the 7-day warning is not sent after the 2-day one
                Request.objects.filter(pk=req.pk, warned_7_at__isnull=True).update(warned_7_at=now)
            if _warn_staff(req, st.days_left):
                sent[str(st.warning)] += 1
            else:
                Request.objects.filter(pk=req.pk).update(**{column: None})
    return sent


def _warn_staff(req: Request, days_left: int) -> bool:
    import smtplib

    from django.contrib.auth import get_user_model
    from django.utils import translation

    from privacydesk.spine.roles import PRIVACY_OFFICER

    users = get_user_model().objects.filter(groups__name=PRIVACY_OFFICER, is_active=True)
    addresses = sorted({u.email for u in users if u.email})
    if not addresses:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        ctx = {"req": req, "days_left": days_left, "site": settings.SITE_URL}
        subject = " ".join(letters.render_text("rights/warning_subject.txt", ctx).split())
        body = letters.render_text("rights/warning.txt", ctx)
    try:
        mail.send(addresses, subject, body)
    except (smtplib.SMTPException, OSError, mail.UnsafeHeader):
        return False
    record(
        actor="system:rights",
        action="rights.deadline_warning",
        obj=req,
        detail={"days_left": days_left},
    )
    return True


# -- carrying out -------------------------------------------------------------------------
def plan_key(req: Request, verb: str) -> str:
    return f"rights-request:{req.pk}:{verb}"


def request_plans(req: Request) -> list[Plan]:
    keys = [plan_key(req, verb) for verb in VERBS[req.kind]]
    found = {p.key: p for p in Plan.objects.filter(key__in=keys)}
    return [found[k] for k in keys if k in found]


def steps(req: Request) -> list[PlanStep]:
    return [s for p in request_plans(req) for s in p.steps.order_by("position")]


@transaction.atomic
def start(req: Request, *, actor: str) -> Request:
    """Queue the request for the worker (the plans run there); audited."""
    req = Request.objects.select_for_update().get(pk=req.pk)
    if req.state not in (Request.State.OPEN, Request.State.FAILED):
        raise RightsError(
            _("A request in state %(state)s cannot be carried out.")
            % {"state": req.get_state_display()}
        )
    if req.kind == Request.Kind.RECTIFICATION and not (req.changes or req.new_email):
        raise RightsError(_("Enter the corrections first."))
    req.state = Request.State.PROCESSING
    req.save(update_fields=["state"])
    record(actor=actor, action="rights.started", obj=req, subject=subject_reference(req))
    from privacydesk.rights.tasks import run_request

    transaction.on_commit(lambda: run_request.enqueue(req.pk, actor))
    return req


def _claim(req: Request) -> bool:
    """Claim the run of a request (one runner at a time; a stale claim is taken over)."""
    now = timezone.now()
    free = Request.objects.filter(pk=req.pk, state=Request.State.PROCESSING)
    from django.db.models import Q

    free = free.filter(Q(running_since__isnull=True) | Q(running_since__lt=now - STALE_RUN))
    return bool(free.update(running_since=now))


@dataclass
class Outcome:
    """What carrying out a request did, per plan."""

    request: Request
    runs: dict[str, plans.PlanRun] = field(default_factory=dict)
    package: str = ""


def carry_out(req: Request, *, actor: str) -> Outcome | None:
    """Run (or resume) the request's plans, then answer it. None: another runner has it.

    A step that raises marks the request failed (its plan keeps the failed step, which the
    next run retries) and raises :class:`policy.plans.StepFailed`.
    """
    if req.state in (Request.State.OPEN, Request.State.FAILED):
        Request.objects.filter(pk=req.pk).update(state=Request.State.PROCESSING)
        req.refresh_from_db()
    if not _claim(req):
        return None
    outcome = Outcome(req)
    try:
        for verb in VERBS[req.kind]:
            outcome.runs[verb] = _run_plan(req, verb, actor=actor)
        if req.kind in (Request.Kind.ACCESS, Request.Kind.PORTABILITY):
            from privacydesk.rights import package

            outcome.package = package.build(req, outcome.runs[Plan.Verb.EXPORT], actor=actor)
    except Exception:
        Request.objects.filter(pk=req.pk).update(state=Request.State.FAILED, running_since=None)
        record(actor=actor, action="rights.failed", obj=req, subject=subject_reference(req))
        raise
    now = timezone.now()
    Request.objects.filter(pk=req.pk).update(
        state=Request.State.ANSWERED, answered_at=now, closed_at=now, running_since=None
    )
    req.refresh_from_db()
    record(
        actor=actor,
        action="rights.answered",
        obj=req,
        subject=subject_reference(req),
        detail={"kind": req.kind},
    )
    send_answer(req, actor=actor, run=outcome)
    return outcome


def send_answer(
    req: Request, *, actor: str, outcome: str | None = None, run: Outcome | None = None
) -> bool:
    """Mail the answer letter (default: the one of the request's kind).

    A letter that could not be sent (the mail server refused it or is down) is not lost: the
    request keeps it as ``unsent_letter``, the queue and its page show it, and the worker
    sends it again (:func:`resend_letters`). A requester who cannot be mailed (no address,
    an untrusted From) is answered by staff by other means and flagged the same way."""
    outcome = outcome or req.kind
    if not req.email or not req.mailbox_from_ok:
        return False  # staff answer by post or phone: the request waited for them all along
    context = _authority() if outcome == "refusal" else answer_context(req, run)
    sent = letters.send(outcome, req, actor=actor, context=context)
    if sent:
        Request.objects.filter(pk=req.pk, unsent_letter=outcome).update(unsent_letter="")
        req.unsent_letter = ""
    else:
        Request.objects.filter(pk=req.pk).update(unsent_letter=outcome)
        req.unsent_letter = outcome
        record(
            actor=actor,
            action="rights.letter_not_sent",
            obj=req,
            subject=subject_reference(req),
            detail={"letter": outcome},
        )
    return sent


def resend_letters(*, actor: str = "system:rights") -> int:
    """Send again every answer letter that could not be sent before; how many went out."""
    sent = 0
    for req in Request.objects.exclude(unsent_letter="").filter(mailbox_from_ok=True):
        if not req.email:
            continue
        if send_answer(req, actor=actor, outcome=req.unsent_letter):
            sent += 1
    return sent


def _run_plan(req: Request, verb: str, *, actor: str) -> plans.PlanRun:
    key = plan_key(req, verb)
    subs = subjects(req)
    if verb == Plan.Verb.RECTIFY:
        rectified = Subject("email", req.new_email) if req.new_email else None
        run = plans.run(verb, subs, key=key, actor=actor, changes=req.changes, rectified=rectified)
        _audit_rectification(req, actor)
        return run
    return plans.run(verb, subs, key=key, actor=actor)


def _audit_rectification(req: Request, actor: str) -> None:
    detail: dict = {"changes": {}}
    for label, values in sorted(req.changes.items()):
        detail["changes"][label] = {name: value_ref(v) for name, v in sorted(values.items())}
    if req.new_email:
        detail["identifier"] = {
            "old": subject_ref("email", req.email),
            "new": subject_ref("email", req.new_email),
        }
    record(
        actor=actor,
        action="rights.rectified",
        obj=req,
        subject=subject_reference(req),
        detail=detail,
    )


def set_corrections(req: Request, *, changes: dict, new_email: str, actor: str) -> Request:
    """Store what a rectification writes (per source label: field -> new value)."""
    if req.kind != Request.Kind.RECTIFICATION:
        raise RightsError(_("Only a rectification request takes corrections."))
    labels = {s.label: s for s in registry.sources()}
    for label, values in changes.items():
        if label not in labels:
            raise RightsError(_("%(source)s is not a declared source.") % {"source": label})
        allowed = set(
            getattr(labels[label], "rectifiable", ()) or getattr(labels[label], "fields", ())
        )
        unknown = set(values) - allowed
        if unknown:
            raise RightsError(
                _("%(source)s: cannot correct %(fields)s.")
                % {"source": label, "fields": ", ".join(sorted(unknown))}
            )
    req.changes = changes
    req.new_email = new_email.strip()
    req.save(update_fields=["changes", "new_email"])
    record(
        actor=actor,
        action="rights.corrections_entered",
        obj=req,
        subject=subject_reference(req),
        detail={"sources": sorted(changes)},
    )
    return req


def resume_unfinished(*, actor: str = "system:rights") -> int:
    """Carry on every request a dead worker left half-way (its claim is stale)."""
    from django.db.models import Q

    stale = timezone.now() - STALE_RUN
    resumed = 0
    for req in Request.objects.filter(state=Request.State.PROCESSING).filter(
        Q(running_since__isnull=True) | Q(running_since__lt=stale)
    ):
        try:
            if carry_out(req, actor=actor) is not None:
                resumed += 1
        except plans.StepFailed:
            continue
    return resumed


# -- what the answer says -----------------------------------------------------------------
def activities_for(labels) -> list:
    """The privacy model's activities (in the page's language) of these sources."""
    from django.utils import translation

    from privacydesk.policy.services import activity_view, current_model

    model = current_model()
    lang = translation.get_language() or "nl"
    lang = lang if lang in ("nl", "en") else "nl"
    wanted = []
    for label in labels:
        activity = registry.source(label).activity
        if activity not in wanted:
            wanted.append(activity)
    return [activity_view(model, model.activity(a), lang) for a in wanted]


def kept_explained(req: Request) -> list[dict]:
    """What an erasure kept and why: legal duty (with the activity's legal ground) or hold."""
    from privacydesk.policy import labels as policy_labels
    from privacydesk.policy.services import current_model

    model = current_model()
    found = []
    for step in steps(req):
        if step.plan.verb != Plan.Verb.ERASE:
            continue
        src = registry.source(step.source)
        activity = model.activity(src.activity)
        lang = req.language
        kept_by_duty = step.status == PlanStep.Status.KEPT or (
            step.status == PlanStep.Status.DONE and step.rows < len(step.keys) and src.keep_reason
        )
        if kept_by_duty or step.held_keys:
            found.append(
                {
                    "source": step.source,
                    "rows": len(step.keys) + len(step.held_keys),
                    "held": len(step.held_keys),
                    "why": "hold" if step.held_keys else "duty",
                    "reason": src.keep_reason,
                    "activity": activity.name.get(lang),
                    "legal_basis": policy_labels.legal_basis(activity.legal_basis, lang),
                    "retention": activity.retention.reason.get(lang),
                }
            )
    return found


def answer_context(req: Request, outcome: Outcome | None = None) -> dict:
    ctx: dict = {**_authority(), "steps": steps(req)}
    if req.kind == Request.Kind.ERASURE:
        ctx["kept"] = kept_explained(req)
    if req.kind in (Request.Kind.ACCESS, Request.Kind.PORTABILITY) and req.package:
        ctx["link"] = package_url(req)
        ctx["days"] = settings.RIGHTS_PACKAGE_SECONDS // 86400
    if req.kind == Request.Kind.RECTIFICATION:
        ctx["recipients"] = recipients(req)
    return ctx


def recipients(req: Request, *, lang: str | None = None) -> list[str]:
    """Art. 19: the recipients to tell of a rectification, erasure or restriction (in ``lang``,
    default the requester's language)."""
    from django.utils import translation

    with translation.override(lang or req.language):
        # the sources that hold the person's data: the plan's steps once it ran, else a find
        labels = [s.source for s in steps(req)]
        if not labels and subjects(req):
            labels = list(registry.find_all(subjects(req)))
        elif not labels:
            labels = [s.label for s in registry.sources()]
        seen: list[str] = []
        for view in activities_for(labels):
            for name in [*view.recipients, *view.processors]:
                if name not in seen:
                    seen.append(name)
    return seen


def package_token(req: Request) -> str:
    return signing.dumps({"r": req.pk, "p": req.package}, salt=PACKAGE_SALT)


def package_url(req: Request, *, base: str | None = None) -> str:
    from django.urls import reverse
    from django.utils import translation

    with translation.override(req.language):
        path = reverse("rights:package", kwargs={"token": package_token(req)})
    return f"{base or settings.SITE_URL}{path}"


def request_for_package(token: str) -> Request | None:
    try:
        data = signing.loads(token, salt=PACKAGE_SALT, max_age=settings.RIGHTS_PACKAGE_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    try:
        req = Request.objects.filter(pk=int(data.get("r"))).first()
    except (TypeError, ValueError, OverflowError):
        return None
    if req is None or not req.package or req.package != data.get("p"):
        return None
    return req
