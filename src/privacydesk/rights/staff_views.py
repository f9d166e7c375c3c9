"""The privacy officer's pages: the queue with days left, a request with its steps and
history, staff entry of letters and calls. Thin: the work is in ``services``.

The privacy officer works on requests (``rights.change_request``); the admin reads them.
Every page that shows a request is audited.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from privacydesk.audit.models import AuditEntry
from privacydesk.audit.services import actor_for, record
from privacydesk.policy.holds import subject_holds
from privacydesk.rights import deadlines, services
from privacydesk.rights.forms import CorrectionForm, ExtendForm, RefuseForm, StaffRequestForm
from privacydesk.rights.models import CLOSED, Attachment, MailboxMessage, Request
from privacydesk.spine import registry

VIEW = "rights.view_request"

#: The history's entries in words (the audit log keeps the codes).
ACTIONS = {
    "rights.received": gettext_lazy("Received"),
    "rights.verified": gettext_lazy("Address confirmed"),
    "rights.started": gettext_lazy("Carrying out started"),
    "rights.answered": gettext_lazy("Answered"),
    "rights.failed": gettext_lazy("A step failed"),
    "rights.refused": gettext_lazy("Refused"),
    "rights.extended": gettext_lazy("Deadline extended"),
    "rights.letter_sent": gettext_lazy("Letter sent"),
    "rights.package_built": gettext_lazy("Access package made"),
    "rights.package_written": gettext_lazy("Access package written"),
    "rights.package_downloaded": gettext_lazy("Access package downloaded"),
    "rights.viewed": gettext_lazy("Viewed"),
    "rights.attachment_added": gettext_lazy("Attachment added"),
    "rights.attachment_read": gettext_lazy("Attachment read"),
    "rights.corrections_entered": gettext_lazy("Corrections entered"),
    "rights.rectified": gettext_lazy("Corrected"),
    "rights.overdue": gettext_lazy("Marked overdue"),
    "rights.deadline_warning": gettext_lazy("Deadline warning sent"),
    "rights.expired": gettext_lazy("Expired: the address was not confirmed in time"),
    "rights.link_not_sent": gettext_lazy("The confirmation link could not be sent: for staff"),
}
ERASURE = {
    "delete": gettext_lazy("erased"),
    "anonymise": gettext_lazy("anonymised"),
    "keep": gettext_lazy("kept by a legal duty"),
}


def source_name(label: str) -> str:
    """A source's name in the page's language (the model's verbose name), else its label."""
    src = registry.source(label)
    model = getattr(src, "model_class", None)
    return str(model._meta.verbose_name_plural).capitalize() if model else label


def action_name(entry: AuditEntry) -> str:
    if entry.action in ACTIONS:
        return str(ACTIONS[entry.action])
    verb = entry.action.split(".")[1] if entry.action.startswith("plan.") else ""
    if verb:
        from privacydesk.policy.models import Plan

        label = dict(Plan.Verb.choices).get(verb, verb)
        if entry.action.endswith(".found"):
            return _("%(plan)s: data found") % {"plan": label}
        if entry.action.endswith(".step_failed"):
            return _("%(plan)s: step failed") % {"plan": label}
        return _("%(plan)s: step done") % {"plan": label}
    return entry.action


WORK = "rights.change_request"


def _need(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _row(req: Request, link_until=None) -> dict:
    st = deadlines.status(req.deadline)
    return {"req": req, "status": st, "open": not req.is_closed, "link_until": link_until}


#: The queue names the requests that expired unconfirmed in this many last days.
EXPIRED_SHOWN_DAYS = 30


def queue(request: HttpRequest) -> HttpResponse:
    _need(request, VIEW)
    show = request.GET.get("show", "open")
    rows = Request.objects.order_by("due_on", "received_at")
    if show != "all":
        # a closed request whose answer letter is not out yet stays in sight
        rows = rows.exclude(state__in=CLOSED, unsent_letter="")
    rows = list(rows[:500])
    links = services.links_expire_at([r for r in rows if r.state == Request.State.UNVERIFIED])
    rows = [_row(r, links.get(r.pk)) for r in rows]
    kept = MailboxMessage.objects.filter(outcome__in=MailboxMessage.KEPT)
    since = timezone.now() - timedelta(days=EXPIRED_SHOWN_DAYS)
    expired = Request.objects.filter(state=Request.State.EXPIRED, closed_at__gte=since).count()
    record(actor=actor_for(request.user), action="rights.queue_viewed", detail={"count": len(rows)})
    context = {
        **admin.site.each_context(request),
        "title": _("Data-subject requests"),
        "rows": rows,
        "show": show,
        "kept": kept.order_by("-seen_at")[:50],
        "can_work": request.user.has_perm(WORK),
        "expired": expired,
        "expired_days": EXPIRED_SHOWN_DAYS,
        "link_hours": settings.RIGHTS_VERIFY_SECONDS // 3600,
    }
    return render(request, "rights/staff_queue.html", context)


def new(request: HttpRequest) -> HttpResponse:
    _need(request, WORK)
    now = timezone.localtime().replace(second=0, microsecond=0)
    form = StaffRequestForm(
        request.POST or None, request.FILES or None, initial={"received_at": now}
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            actor = actor_for(request.user)
            try:
                req = services.create(
                    kind=data["kind"],
                    channel=data["channel"],
                    actor=actor,
                    email=data["email"],
                    phone=data["phone"],
                    name=data["name"],
                    message=data["message"],
                    language=data["language"],
                    received_at=data["received_at"],
                    verified=True,
                    identity_check=data["identity_check"],
                )
            except services.RightsError as exc:
                form.add_error("received_at", str(exc))
            else:
                scan = data.get("scan")
                if scan is not None:
                    services.attach(
                        req,
                        filename=scan.name,
                        content=scan.read(),
                        content_type=scan.content_type or "",
                        actor=actor,
                    )
                return redirect(reverse("admin:rights_request", args=[req.pk]))
        status = 400
    elif request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405)
    context = {**admin.site.each_context(request), "title": _("Enter a request"), "form": form}
    return render(request, "rights/staff_new.html", context, status=status)


def _history(req: Request) -> list[AuditEntry]:
    plan_ids = [str(p.pk) for p in services.request_plans(req)]
    rows = AuditEntry.objects.filter(object_type="rights.Request", object_id=str(req.pk))
    plan_rows = AuditEntry.objects.filter(object_type="policy.Plan", object_id__in=plan_ids)
    entries = sorted([*rows, *plan_rows], key=lambda e: e.id)
    for entry in entries:
        entry.label = action_name(entry)
        source = entry.detail.get("source") if isinstance(entry.detail, dict) else None
        entry.source_name = source_name(source) if source in _labels() else ""
    return entries


def _labels() -> set[str]:
    return {s.label for s in registry.sources()}


def detail(request: HttpRequest, request_id: int) -> HttpResponse:
    _need(request, VIEW)
    req = get_object_or_404(Request, pk=request_id)
    record(
        actor=actor_for(request.user),
        action="rights.viewed",
        obj=req,
        subject=services.subject_reference(req),
    )
    found = registry.find_all(services.subjects(req)) if services.subjects(req) else {}
    inventory = []
    for label, keys in sorted(found.items()):
        src = registry.source(label)
        inv = src.inventory(keys)
        erasure = "keep" if src.erasure == "keep" or src.keep_reason else src.erasure
        inventory.append(
            {"source": label, **inv, "name": source_name(label), "on_erasure": ERASURE[erasure]}
        )
    steps = services.steps(req)
    for step in steps:
        step.source_name = source_name(step.source) if step.source in _labels() else step.source
    context = {
        **admin.site.each_context(request),
        "title": _("Request #%(id)s") % {"id": req.pk},
        "req": req,
        "status": deadlines.status(req.deadline),
        "steps": steps,
        "history": _history(req),
        "inventory": inventory,
        "holds": subject_holds(services.subjects(req)),
        "can_work": request.user.has_perm(WORK),
        "extend_form": ExtendForm(),
        "refuse_form": RefuseForm(),
        "correction_form": CorrectionForm(),
        "rectifiable": _rectifiable(),
        "recipients": services.recipients(req, lang=translation.get_language())
        if req.kind == Request.Kind.RECTIFICATION
        else [],
        "kinds": Request.Kind.choices,
        "can_change_kind": req.state in services.KIND_CHANGEABLE
        and not services.request_plans(req),
        "can_extend": req.extended_to is None
        and timezone.localdate() <= req.due_on
        and not req.is_closed,
    }
    return render(request, "rights/staff_request.html", context)


def _rectifiable() -> list[tuple[str, list[str]]]:
    found = []
    for src in registry.sources():
        fields = list(getattr(src, "rectifiable", ()) or ())
        if fields:
            found.append((src.label, fields))
    return found


@require_POST
def act(request: HttpRequest, request_id: int, action: str) -> HttpResponse:
    _need(request, WORK)
    req = get_object_or_404(Request, pk=request_id)
    actor = actor_for(request.user)
    back = redirect(reverse("admin:rights_request", args=[req.pk]))
    try:
        if action == "start" or action == "retry":
            services.start(req, actor=actor)
            messages.success(request, _("The request is carried out in the background."))
        elif action == "verify":
            if req.state == Request.State.UNVERIFIED and services.verify(req, actor=actor):
                if req.kind in services.AUTOMATIC:
                    messages.success(
                        request,
                        _(
                            "Marked as verified; the package is made in the background and "
                            "the link mailed."
                        ),
                    )
                else:
                    messages.success(request, _("Marked as verified."))
        elif action == "kind":
            services.change_kind(req, kind=request.POST.get("kind", ""), actor=actor)
            messages.success(request, _("The kind of the request is changed."))
        elif action == "extend":
            form = ExtendForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Give the months and a reason."))
                return back
            services.extend(
                req,
                months=form.cleaned_data["months"],
                reason=form.cleaned_data["reason"],
                actor=actor,
            )
            messages.success(request, _("The deadline is extended; the requester is told."))
        elif action == "refuse":
            form = RefuseForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Give a reason."))
                return back
            services.refuse(req, reason=form.cleaned_data["reason"], actor=actor)
            messages.success(request, _("The request is refused; the requester is told."))
        elif action == "correct":
            form = CorrectionForm(request.POST)
            if not form.is_valid():
                messages.error(request, " ".join(form.non_field_errors()) or _("Check the form."))
                return back
            data = form.cleaned_data
            changes = dict(req.changes)
            if data["source"] and data["field"]:
                changes.setdefault(data["source"], {})[data["field"]] = data["value"]
            services.set_corrections(
                req, changes=changes, new_email=data["new_email"] or req.new_email, actor=actor
            )
            messages.success(request, _("The corrections are stored."))
        else:
            raise Http404
    except services.RightsError as exc:
        messages.error(request, str(exc))
    return back


def attachment(request: HttpRequest, attachment_id: int) -> HttpResponse:
    _need(request, VIEW)
    att = get_object_or_404(Attachment, pk=attachment_id)
    record(
        actor=actor_for(request.user),
        action="rights.attachment_read",
        obj=att.request,
        subject=services.subject_reference(att.request),
    )
    try:
        with att.file.open("rb") as fh:
            content = fh.read()
    except OSError:
        raise Http404 from None
    response = HttpResponse(content, content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, att.filename)
    return response


def raw_message(request: HttpRequest, message_id: int) -> HttpResponse:
    _need(request, VIEW)
    msg = get_object_or_404(MailboxMessage, pk=message_id)
    if not msg.raw:
        raise Http404
    record(actor=actor_for(request.user), action="rights.raw_message_read", obj=msg)
    response = HttpResponse(bytes(msg.raw), content_type="message/rfc822")
    response["Content-Disposition"] = content_disposition_header(True, f"message-{msg.pk}.eml")
    return response
