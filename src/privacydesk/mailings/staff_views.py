"""The newsletter's staff pages (DESIGN.md section 7): sales and the admin write, the other
roles read. Every page that shows subscribers' addresses writes an audit entry."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from privacydesk.audit.services import actor_for, record
from privacydesk.mailings import render as rendering
from privacydesk.mailings import services
from privacydesk.mailings.forms import CampaignForm, TestSendForm
from privacydesk.mailings.models import (
    Campaign,
    ConsentProof,
    Delivery,
    MailingList,
    Suppression,
)

VIEW = "mailings.view_campaign"
WRITE = "mailings.change_campaign"
SEND = "mailings.send_campaign"
PER_PAGE = 100


def _need(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _context(request: HttpRequest, title: str, **extra) -> dict:
    return {**admin.site.each_context(request), "title": title, **extra}


@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    _need(request, VIEW)
    lists = [
        (mailing_list, services.list_counts(mailing_list))
        for mailing_list in MailingList.objects.order_by("slug")
    ]
    campaigns = Campaign.objects.select_related("mailing_list").order_by("-id")[:50]
    return render(
        request,
        "mailings/staff_overview.html",
        _context(
            request, _("Newsletter"),
            lists=lists, campaigns=campaigns, can_write=request.user.has_perm(WRITE),
            suppressed=Suppression.objects.count(),
        ),
    )  # fmt: skip


@require_safe
def subscribers(request: HttpRequest, slug: str) -> HttpResponse:
    _need(request, VIEW)
    mailing_list = get_object_or_404(MailingList, slug=slug)
    rows = mailing_list.subscriptions.order_by("-created_at", "-pk")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    ids = [s.pk for s in page.object_list]
    proofs: dict[int, ConsentProof] = {}
    for proof in ConsentProof.objects.filter(subscription_id__in=ids).order_by("pk"):
        proofs[proof.subscription_id] = proof  # the newest proof per subscription
    record(
        actor=actor_for(request.user),
        action="mailings.subscribers_viewed",
        obj=mailing_list,
        detail={"page": page.number, "count": len(ids)},
    )
    return render(
        request,
        "mailings/staff_subscribers.html",
        _context(
            request, _("Subscribers of %(list)s") % {"list": mailing_list.title(get_language())},
            mailing_list=mailing_list, page=page,
            rows=[(s, proofs.get(s.pk)) for s in page.object_list],
            counts=services.list_counts(mailing_list),
        ),
    )  # fmt: skip


def campaign_new(request: HttpRequest) -> HttpResponse:
    _need(request, VIEW)
    if not request.user.has_perm("mailings.add_campaign"):
        raise PermissionDenied
    lists = MailingList.objects.order_by("slug")
    form = CampaignForm(request.POST or None)
    chosen = request.POST.get("list") or request.GET.get("list") or ""
    status = 200
    if request.method == "POST":
        if form.is_valid() and lists.filter(slug=chosen).exists():
            campaign = services.create_campaign(
                chosen,
                subject=form.cleaned_data["subject"],
                markdown=form.cleaned_data["markdown"],
                actor=actor_for(request.user),
            )
            return redirect("admin:mailings_campaign", campaign.pk)
        if not lists.filter(slug=chosen).exists():
            form.add_error(None, _("Choose a mailing list."))
        status = 400
    return render(
        request,
        "mailings/staff_campaign_new.html",
        _context(request, _("New campaign"), form=form, lists=lists, chosen=chosen),
        status=status,
    )


def campaign(request: HttpRequest, campaign_id: int) -> HttpResponse:
    _need(request, VIEW)
    obj = get_object_or_404(Campaign.objects.select_related("mailing_list"), pk=campaign_id)
    can_write = request.user.has_perm(WRITE)
    form = None
    status = 200
    if obj.state == Campaign.State.DRAFT and can_write:
        form = CampaignForm(
            request.POST or None, initial={"subject": obj.subject, "markdown": obj.markdown}
        )
        if request.method == "POST":
            if form.is_valid():
                services.update_campaign(
                    obj, subject=form.cleaned_data["subject"],
                    markdown=form.cleaned_data["markdown"], actor=actor_for(request.user),
                )  # fmt: skip
                messages.success(request, _("The campaign was saved."))
                return redirect("admin:mailings_campaign", obj.pk)
            status = 400
    elif request.method == "POST":
        raise PermissionDenied
    return _render_campaign(request, obj, form=form, status=status)


def _render_campaign(request, obj, *, form=None, test_form=None, status=200) -> HttpResponse:
    lang = get_language()
    renderer = rendering.Renderer(obj)
    text, _html = renderer.parts(lang, "consent")
    deliveries = obj.deliveries.select_related("subscription").order_by("pk")
    shown_state = request.GET.get("state", "")
    if shown_state in Delivery.State.values:
        deliveries = deliveries.filter(state=shown_state)
    else:
        shown_state = ""
    page = Paginator(deliveries, PER_PAGE).get_page(request.GET.get("page"))
    if page.object_list:
        record(
            actor=actor_for(request.user),
            action="mailings.deliveries_viewed",
            obj=obj,
            detail={"page": page.number, "count": len(page.object_list)},
        )
    can_write = request.user.has_perm(WRITE)
    counts = services.status_counts(obj)
    return render(
        request,
        "mailings/staff_campaign.html",
        _context(
            request, _("Campaign #%(id)s") % {"id": obj.pk},
            campaign=obj, form=form,
            test_form=test_form or (TestSendForm() if can_write else None),
            can_send=request.user.has_perm(SEND) and obj.state == Campaign.State.DRAFT,
            preview_text=text.replace(rendering.PLACEHOLDER, "…"),
            preview=dict(
                campaign=obj, list_title=obj.mailing_list.title(lang),
                body_html=mark_safe(renderer.body_html),  # noqa: S308 - sanitised by nh3
                controller=renderer.controller,
                unsubscribe="#", soft_opt_in=False, test=False,
            ),
            counts=_labelled(counts), page=page, shown_state=shown_state,
            unknown=counts[Delivery.State.UNKNOWN], stopped=services.last_stop(obj),
            recipients=(
                services.mailable(obj.mailing_list).count() if obj.state == "draft" else None
            ),
        ),
        status=status,
    )  # fmt: skip


def _labelled(counts: dict[str, int]) -> list[tuple[str, int]]:
    return [(label, counts.get(value, 0)) for value, label in Delivery.State.choices]


@require_POST
def campaign_test(request: HttpRequest, campaign_id: int) -> HttpResponse:
    _need(request, WRITE)
    obj = get_object_or_404(Campaign.objects.select_related("mailing_list"), pk=campaign_id)
    form = TestSendForm(request.POST)
    if not form.is_valid():
        return _render_campaign(request, obj, test_form=form, status=400)
    try:
        services.send_test(obj, form.cleaned_data["address"], actor=actor_for(request.user),
                           lang=get_language())  # fmt: skip
    except Exception as exc:  # shown on the page, never a 500
        form.add_error("address", _("The test could not be sent (%(error)s).")
                       % {"error": type(exc).__name__})  # fmt: skip
        return _render_campaign(request, obj, test_form=form, status=400)
    messages.success(request, _("The test message was sent."))
    return redirect("admin:mailings_campaign", obj.pk)


@require_POST
def campaign_send(request: HttpRequest, campaign_id: int) -> HttpResponse:
    _need(request, SEND)
    obj = get_object_or_404(Campaign, pk=campaign_id)
    if obj.state != Campaign.State.DRAFT:
        messages.warning(request, _("This campaign was already sent."))
    else:
        count = services.queue_campaign(obj.pk, actor=actor_for(request.user))
        messages.success(
            request, _("The campaign is queued for %(count)d recipients.") % {"count": count}
        )
    return redirect("admin:mailings_campaign", obj.pk)


@require_safe
def suppression(request: HttpRequest) -> HttpResponse:
    _need(request, "mailings.view_suppression")
    rows = Suppression.objects.order_by("-created_at")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    counts = dict(rows.values_list("reason").annotate(n=Count("pk")).values_list("reason", "n"))
    record(
        actor=actor_for(request.user),
        action="mailings.suppression_viewed",
        detail={"page": page.number, "count": len(page.object_list)},
    )
    reasons = [(label, counts.get(value, 0)) for value, label in Suppression.Reason.choices]
    return render(
        request,
        "mailings/staff_suppression.html",
        _context(request, _("Suppression list"), page=page, reasons=reasons, total=rows.count()),
    )
