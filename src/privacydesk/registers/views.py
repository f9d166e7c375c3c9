"""Staff pages of the registers: the privacy officer keeps them, the admin reads them.

Thin: rules are the models' ``clean()``, work is in ``services``. A role without the view
permission gets 403; an id that names nothing is 404; a refused value is the form again
with the field named (400), never a 500. Every page that shows personal data is audited.
"""

from __future__ import annotations

from datetime import date, datetime

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from privacydesk.audit.services import actor_for, record, subject_ref
from privacydesk.registers import services
from privacydesk.registers.forms import CHECKLIST_FIELDS, BreachForm, DisclosureForm, ProcessorForm
from privacydesk.registers.models import ART28_CHECKLIST, Breach, Disclosure, Processor

KINDS = {
    "disclosures": (Disclosure, gettext_lazy("Disclosures")),
    "processors": (Processor, gettext_lazy("Processors")),
    "breaches": (Breach, gettext_lazy("Data breaches")),
}


def _lang() -> str:
    return "en" if translation.get_language() == "en" else "nl"


def _need(request: HttpRequest, action: str, model: type[models.Model]) -> None:
    if not request.user.has_perm(f"registers.{action}_{model._meta.model_name}"):
        raise PermissionDenied


def _context(request: HttpRequest, title: str, **extra) -> dict:
    return {**admin.site.each_context(request), "title": title, **extra}


def _show(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, date):
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def _fields(obj: models.Model, names) -> list[tuple[str, str]]:
    rows = []
    for name in names:
        field = obj._meta.get_field(name)
        if getattr(field, "choices", None):
            value = getattr(obj, f"get_{name}_display")()
        else:
            value = getattr(obj, name)
            if isinstance(value, models.Model):
                value = value.get_username() if hasattr(value, "get_username") else str(value)
        rows.append((str(field.verbose_name), _show(value)))
    return rows


# -- overview and exports ---------------------------------------------------------------------
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("registers.view_disclosure"):
        raise PermissionDenied
    sections = [
        {
            "kind": kind,
            "title": title,
            "count": model.objects.count(),
            "url": reverse(f"admin:registers_{kind}"),
            "csv": reverse("admin:registers_export", args=[kind, "csv"]),
            "json": reverse("admin:registers_export", args=[kind, "json"]),
        }
        for kind, (model, title) in KINDS.items()
    ]
    return render(
        request, "registers/home.html", _context(request, _("Registers"), sections=sections)
    )


@require_safe
def export(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    if kind not in KINDS or fmt not in ("csv", "json"):
        raise Http404
    _need(request, "view", KINDS[kind][0])
    body = services.export(kind, fmt, actor=actor_for(request.user))
    content_type = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{kind}.{fmt}"'
    return response


# -- lists -------------------------------------------------------------------------------------
def _list(request, kind: str, columns: list[str], rows: list[tuple[str, list[str]]]):
    model, title = KINDS[kind]
    record(
        actor=actor_for(request.user),
        action=f"registers.{kind}.listed",
        detail={"count": len(rows)},
    )
    can_add = request.user.has_perm(f"registers.add_{model._meta.model_name}")
    return render(
        request,
        "registers/list.html",
        _context(
            request,
            str(title),
            kind=kind,
            columns=columns,
            rows=rows,
            new_url=reverse(f"admin:registers_{kind}_new") if can_add else "",
            csv=reverse("admin:registers_export", args=[kind, "csv"]),
            json=reverse("admin:registers_export", args=[kind, "json"]),
        ),
    )


@require_safe
def disclosures(request: HttpRequest) -> HttpResponse:
    _need(request, "view", Disclosure)
    rows = []
    for d in Disclosure.objects.all():
        told = _("yes") if d.subject_told else (_("withheld") if d.withheld() else _("no"))
        rows.append(
            (
                reverse("admin:registers_disclosure", args=[d.pk]),
                [
                    f"#{d.pk}",
                    d.authority,
                    d.case_number or "—",
                    d.get_legal_ground_display(),
                    _show(d.requested_on),
                    _show(d.answered_on),
                    told,
                ],
            )
        )
    columns = [
        "#",
        _("who asked"),
        _("case number"),
        _("legal ground"),
        _("request"),
        _("answer"),
        _("told"),
    ]
    return _list(request, "disclosures", columns, rows)


@require_safe
def processors(request: HttpRequest) -> HttpResponse:
    _need(request, "view", Processor)
    today = timezone.localdate()
    rows = [
        (
            reverse("admin:registers_processor", args=[p.pk]),
            [
                p.name,
                p.key,
                p.service(_lang()),
                p.location,
                _show(p.agreement_ends_on),
                p.agreement_problem(today) or _("valid"),
            ],
        )
        for p in Processor.objects.all()
    ]
    columns = [_("name"), _("id"), _("service"), _("location"), _("ends on"), _("agreement")]
    return _list(request, "processors", columns, rows)


@require_safe
def breaches(request: HttpRequest) -> HttpResponse:
    _need(request, "view", Breach)
    rows = []
    for b in Breach.objects.all():
        rows.append(
            (
                reverse("admin:registers_breach", args=[b.pk]),
                [
                    f"#{b.pk}",
                    b.title,
                    _show(b.aware_at),
                    _clock_text(b),
                    f"{b.people_min}-{b.people_max}",
                ],
            )
        )
    columns = ["#", _("short description"), _("became aware at"), _("notification"), _("people")]
    return _list(request, "breaches", columns, rows)


def _clock_text(breach: Breach) -> str:
    if breach.ap_notified:
        return _("notified on %(when)s") % {"when": _show(breach.ap_notified_at)}
    if breach.not_notified_reason.strip():
        return _("not notified (reason given)")
    clock = services.countdown(breach)
    if clock.overdue:
        return _("overdue by %(hours)d h %(minutes)d min, no reason recorded (Art. 33(5))") % {
            "hours": clock.hours,
            "minutes": clock.minutes,
        }
    return _("%(hours)d h %(minutes)d min left") % {"hours": clock.hours, "minutes": clock.minutes}


# -- details ----------------------------------------------------------------------------------
def _audit_view(request, action: str, obj, subjects) -> None:
    actor = actor_for(request.user)
    record(actor=actor, action=action, obj=obj, detail={"subjects": len(subjects)})
    for s in subjects:
        record(
            actor=actor, action=f"{action}.subject", obj=obj, subject=subject_ref(s.kind, s.value)
        )


@require_safe
def disclosure(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "view", Disclosure)
    d = get_object_or_404(Disclosure.objects.select_related("approved_by"), pk=pk)
    subjects = list(d.subjects.all())
    _audit_view(request, "registers.disclosure.viewed", d, subjects)
    fields = _fields(
        d,
        [
            "authority", "case_number", "contact_name", "contact_email", "contact_phone",
            "legal_ground", "legal_ground_detail", "requested_on", "answered_on",
            "scope_requested", "scope_given", "approved_by", "approved_at", "subject_told",
            "told_on", "not_told_reason", "not_told_until",
        ],
    )  # fmt: skip
    can_change = request.user.has_perm("registers.change_disclosure")
    return render(
        request,
        "registers/disclosure.html",
        _context(
            request,
            _("Disclosure #%(id)d") % {"id": d.pk},
            obj=d,
            fields=fields,
            subjects=subjects,
            records=list(d.records.all()),
            holds=list(d.holds.all()),
            active_holds=services.active_holds(d),
            withheld=d.withheld(),
            can_change=can_change,
            edit_url=reverse("admin:registers_disclosure_edit", args=[d.pk]) if can_change else "",
        ),
    )


@require_safe
def processor(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "view", Processor)
    p = get_object_or_404(Processor, pk=pk)
    record(actor=actor_for(request.user), action="registers.processor.viewed", obj=p)
    fields = _fields(
        p,
        [
            "key", "name", "service_nl", "service_en", "data_categories", "data_subjects",
            "sub_processors", "location", "third_country", "safeguards", "agreement_signed_on",
            "agreement_ends_on",
        ],
    )  # fmt: skip
    checklist = [(str(label), getattr(p, f"art28_{k}")) for k, label in ART28_CHECKLIST.items()]
    can_change = request.user.has_perm("registers.change_processor")
    return render(
        request,
        "registers/processor.html",
        _context(
            request,
            p.name,
            obj=p,
            fields=fields,
            checklist=checklist,
            problem=p.agreement_problem(),
            edit_url=reverse("admin:registers_processor_edit", args=[p.pk]) if can_change else "",
        ),
    )


@require_safe
def agreement(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "view", Processor)
    p = get_object_or_404(Processor, pk=pk)
    try:
        data = services.agreement_file(p, actor=actor_for(request.user))
    except LookupError:
        raise Http404 from None
    from django.utils.http import content_disposition_header

    response = HttpResponse(data, content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, p.agreement_file_name)
    return response


@require_safe
def breach(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "view", Breach)
    b = get_object_or_404(Breach, pk=pk)
    subjects = list(b.subjects.all())
    _audit_view(request, "registers.breach.viewed", b, subjects)
    lang = request.GET.get("letter") if request.GET.get("letter") in ("nl", "en") else _lang()
    can_change = request.user.has_perm("registers.change_breach")
    return render(
        request,
        "registers/breach.html",
        _context(
            request,
            _("Data breach #%(id)d") % {"id": b.pk},
            obj=b,
            clock=services.countdown(b),
            clock_text=_clock_text(b),
            answers=services.ap_form_answers(b),
            fields=_fields(
                b,
                [
                    "ap_notified",
                    "ap_notified_at",
                    "ap_reference",
                    "not_notified_reason",
                    "people_informed",
                    "people_informed_at",
                    "not_informed_reason",
                ],
            ),
            letter_lang=lang,
            letter=services.letter(b, lang),
            recipients=services.recipients(b, actor=actor_for(request.user)),
            edit_url=reverse("admin:registers_breach_edit", args=[b.pk]) if can_change else "",
        ),
    )


# -- edits ------------------------------------------------------------------------------------
def _form_page(request, form, title: str, cancel: str, status: int = 200) -> HttpResponse:
    return render(
        request,
        "registers/form.html",
        _context(request, title, form=form, cancel=cancel, checklist=CHECKLIST_FIELDS),
        status=status,
    )


def _refused(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@require_http_methods(["GET", "HEAD", "POST"])
def disclosure_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _need(request, "change" if pk else "add", Disclosure)
    d = get_object_or_404(Disclosure, pk=pk) if pk else Disclosure()
    cancel = (
        reverse("admin:registers_disclosure", args=[pk])
        if pk
        else reverse("admin:registers_disclosures")
    )
    title = _("Edit disclosure #%(id)d") % {"id": pk} if pk else _("New disclosure")
    if request.method != "POST":
        initial = {"approved_by": request.user.pk} if not pk else {}
        if pk:
            subjects = list(d.subjects.all())
            # The form shows the contact and the people concerned: a read, audited as one.
            _audit_view(request, "registers.disclosure.edit_viewed", d, subjects)
            initial = {
                "subjects": services.subjects_text(subjects),
                "records": services.records_text(d.records.all()),
            }
        return _form_page(request, DisclosureForm(instance=d, initial=initial), title, cancel)
    form = DisclosureForm(request.POST, instance=d)
    if form.is_valid():
        try:
            saved = services.save_disclosure(
                form.instance,
                subjects=services.parse_subjects(form.cleaned_data["subjects"]),
                records=services.parse_records(form.cleaned_data["records"]),
                place_hold=form.cleaned_data["place_hold"],
                actor=actor_for(request.user),
            )
        except ValidationError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("The disclosure was saved."))
            return redirect("admin:registers_disclosure", saved.pk)
    return _form_page(request, form, title, cancel, status=400)


@require_POST
def disclosure_holds(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "change", Disclosure)
    d = get_object_or_404(Disclosure, pk=pk)
    actor = actor_for(request.user)
    if request.POST.get("action") == "release":
        count = services.release_disclosure_holds(d, actor=actor)
        messages.success(request, _("Legal holds released: %(count)d.") % {"count": count})
    else:
        try:
            placed = services.hold_disclosure(d, actor=actor)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Legal holds placed: %(count)d.") % {"count": len(placed)})
    return redirect("admin:registers_disclosure", d.pk)


@require_http_methods(["GET", "HEAD", "POST"])
def processor_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _need(request, "change" if pk else "add", Processor)
    p = get_object_or_404(Processor, pk=pk) if pk else Processor()
    cancel = (
        reverse("admin:registers_processor", args=[pk])
        if pk
        else reverse("admin:registers_processors")
    )
    title = _("Edit %(name)s") % {"name": p.name} if pk else _("New processor")
    if request.method != "POST":
        return _form_page(request, ProcessorForm(instance=p), title, cancel)
    form = ProcessorForm(request.POST, request.FILES, instance=p)
    if form.is_valid():
        upload = form.cleaned_data.get("agreement")
        try:
            saved = services.save_processor(
                form.instance,
                actor=actor_for(request.user),
                agreement=upload.read() if upload else None,
                agreement_name=upload.name if upload else "",
            )
        except ValidationError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("The processor was saved."))
            return redirect("admin:registers_processor", saved.pk)
    return _form_page(request, form, title, cancel, status=400)


@require_http_methods(["GET", "HEAD", "POST"])
def breach_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _need(request, "change" if pk else "add", Breach)
    b = get_object_or_404(Breach, pk=pk) if pk else Breach()
    cancel = (
        reverse("admin:registers_breach", args=[pk]) if pk else reverse("admin:registers_breaches")
    )
    title = _("Edit data breach #%(id)d") % {"id": pk} if pk else _("New data breach")
    if request.method != "POST":
        initial = {}
        if pk:
            subjects = list(b.subjects.all())
            _audit_view(request, "registers.breach.edit_viewed", b, subjects)  # shows the people
            initial = {"subjects": services.subjects_text(subjects)}
        return _form_page(request, BreachForm(instance=b, initial=initial), title, cancel)
    form = BreachForm(request.POST, instance=b)
    if form.is_valid():
        try:
            saved = services.save_breach(
                form.instance,
                subjects=services.parse_subjects(form.cleaned_data["subjects"]),
                actor=actor_for(request.user),
            )
        except ValidationError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("The data breach was saved."))
            return redirect("admin:registers_breach", saved.pk)
    return _form_page(request, form, title, cancel, status=400)
