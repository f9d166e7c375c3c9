"""Staff pages of the CRM (DESIGN.md section 7). Thin: the work is in ``services`` and
``importer``.

Sales and the administrator write; the technician and the privacy officer read. Every page
that shows a contact writes an audit entry (the list: how many were shown; a contact: who).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from privacydesk.audit.services import actor_for
from privacydesk.crm import importer, newsletter, services
from privacydesk.crm.forms import (
    ContactForm,
    ImportForm,
    InteractionForm,
    InvoiceForm,
    OrganisationForm,
)
from privacydesk.crm.models import Contact, Invoice, Organisation

VIEW = "crm.view_contact"
WRITE = "crm.change_contact"
PER_PAGE = 50


def _require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _context(request: HttpRequest, title: str, **extra) -> dict:
    return {
        **admin.site.each_context(request),
        "title": title,
        "contacts_title": _("Contacts"),
        "can_write": request.user.has_perm(WRITE),
        **extra,
    }


def _contact_url(contact: Contact) -> str:
    return reverse("admin:crm_contact", args=[contact.pk])


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# -- contacts --------------------------------------------------------------------------------
@require_http_methods(["GET", "HEAD"])
def contacts(request: HttpRequest) -> HttpResponse:
    """Search by name, e-mail, phone or organisation; without a query, every contact."""
    _require(request, VIEW)
    query = request.GET.get("q", "")[: services.SEARCH_MAX].strip()
    rows = services.search(query) if query else Contact.objects.select_related("organisation")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    services.audit_listed(
        actor=actor_for(request.user), count=len(page.object_list), searched=bool(query)
    )
    return render(
        request,
        "crm/contacts.html",
        _context(request, _("Contacts"), page=page, query=query),
    )


@require_http_methods(["GET", "HEAD", "POST"])
def contact_add(request: HttpRequest) -> HttpResponse:
    _require(request, "crm.add_contact")
    form = ContactForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                contact = services.create_contact(form.cleaned_data, actor=actor_for(request.user))
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("The contact is saved."))
                return redirect(_contact_url(contact))
        status = 400
    return render(
        request,
        "crm/contact_form.html",
        _context(request, _("New contact"), form=form),
        status=status,
    )


@require_http_methods(["GET", "HEAD"])
def contact_detail(request: HttpRequest, contact_id: int) -> HttpResponse:
    _require(request, VIEW)
    contact = get_object_or_404(Contact.objects.select_related("organisation"), pk=contact_id)
    return _render_contact(request, contact)


def _render_contact(
    request: HttpRequest,
    contact: Contact,
    *,
    interaction_form: InteractionForm | None = None,
    invoice_form: InvoiceForm | None = None,
    status: int = 200,
) -> HttpResponse:
    found = services.contact_file(contact, user=request.user, actor=actor_for(request.user))
    user = request.user
    context = _context(
        request,
        contact.name,
        contact=contact,
        file=found,
        interaction_form=interaction_form
        or (InteractionForm() if user.has_perm("crm.add_interaction") else None),
        invoice_form=invoice_form or (InvoiceForm() if user.has_perm("crm.add_invoice") else None),
        can_mark_paid=user.has_perm("crm.change_invoice"),
    )
    return render(request, "crm/contact.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def contact_edit(request: HttpRequest, contact_id: int) -> HttpResponse:
    _require(request, WRITE)
    contact = get_object_or_404(Contact.objects.select_related("organisation"), pk=contact_id)
    actor = actor_for(request.user)
    status = 200
    if request.method == "POST":
        form = ContactForm(request.POST, instance=Contact.objects.get(pk=contact.pk))
        if form.is_valid():
            try:
                changed = services.update_contact(contact, form.cleaned_data, actor=actor)
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                if changed:
                    messages.success(request, _("The contact is saved."))
                else:
                    messages.info(request, _("Nothing changed."))
                return redirect(_contact_url(contact))
        status = 400
    else:
        form = ContactForm(instance=contact)
        services.record_viewed_for_edit(contact, actor=actor)
    return render(
        request,
        "crm/contact_form.html",
        _context(request, _("Edit contact"), form=form, contact=contact),
        status=status,
    )


@require_POST
def interaction_add(request: HttpRequest, contact_id: int) -> HttpResponse:
    _require(request, "crm.add_interaction")
    contact = get_object_or_404(Contact.objects.select_related("organisation"), pk=contact_id)
    form = InteractionForm(request.POST)
    if form.is_valid():
        try:
            services.add_interaction(
                contact,
                form.cleaned_data,
                staff_member=request.user,
                actor=actor_for(request.user),
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The interaction is saved."))
            return redirect(_contact_url(contact) + "#crm-interactions")
    return _render_contact(request, contact, interaction_form=form, status=400)


@require_POST
def invoice_add(request: HttpRequest, contact_id: int) -> HttpResponse:
    _require(request, "crm.add_invoice")
    contact = get_object_or_404(Contact.objects.select_related("organisation"), pk=contact_id)
    form = InvoiceForm(request.POST)
    if form.is_valid():
        try:
            services.add_invoice(contact, form.cleaned_data, actor=actor_for(request.user))
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The invoice is saved."))
            return redirect(_contact_url(contact) + "#crm-invoices")
    return _render_contact(request, contact, invoice_form=form, status=400)


@require_POST
def invoice_paid(request: HttpRequest, invoice_id: int) -> HttpResponse:
    _require(request, "crm.change_invoice")
    invoice = get_object_or_404(Invoice, pk=invoice_id)
    services.set_paid(invoice, request.POST.get("paid") == "1", actor=actor_for(request.user))
    messages.success(request, _("The invoice is saved."))
    if invoice.contact_id:
        return redirect(reverse("admin:crm_contact", args=[invoice.contact_id]) + "#crm-invoices")
    return redirect(reverse("admin:crm_contacts"))


@require_POST
def newsletter_soft_opt_in(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Put a paying customer on the public newsletter under the soft opt-in."""
    _require(request, WRITE)
    if not newsletter.available():
        raise Http404
    contact = get_object_or_404(Contact.objects.select_related("organisation"), pk=contact_id)
    outcome = newsletter.add_from_contact_page(contact, actor=actor_for(request.user))
    level, text = _SOFT_OPT_IN_MESSAGES[outcome]
    messages.add_message(request, level, text())
    return redirect(_contact_url(contact) + "#crm-newsletter")


_SOFT_OPT_IN_MESSAGES = {
    newsletter.SUBSCRIBED: (
        messages.SUCCESS,
        lambda: _("Added to the newsletter under the soft opt-in of an existing customer."),
    ),
    newsletter.ALREADY: (messages.INFO, lambda: _("This address already gets the newsletter.")),
    newsletter.SUPPRESSED: (
        messages.ERROR,
        lambda: _("Not added: the address is on the suppression list and is never mailed again."),
    ),
    newsletter.UNSUBSCRIBED: (
        messages.ERROR,
        lambda: _("Not added: this address unsubscribed from the newsletter."),
    ),
    newsletter.NOT_CUSTOMER: (
        messages.ERROR,
        lambda: _(
            "Not added: the contact has no paid invoice, so is not a paying customer; a lead "
            "needs their own consent on the signup form."
        ),
    ),
    newsletter.NO_LIST: (
        messages.ERROR,
        lambda: _("Not added: the newsletter list does not exist yet."),
    ),
    newsletter.UNMAILABLE: (
        messages.ERROR,
        lambda: _("Not added: the newsletter cannot be sent to this address."),
    ),
    newsletter.RESTRICTED: (
        messages.ERROR,
        lambda: _("Not added: the contact's data are restricted (Art. 18 GDPR), stored only."),
    ),
}


# -- merging ---------------------------------------------------------------------------------
@require_http_methods(["GET", "HEAD", "POST"])
def contact_merge(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Step 1: find the duplicate; step 2: compare both and choose the one that stays."""
    _require(request, WRITE)
    _require(request, "crm.delete_contact")
    contact = get_object_or_404(Contact.objects.select_related("organisation"), pk=contact_id)
    actor = actor_for(request.user)
    data = request.POST if request.method == "POST" else request.GET
    other = _other_contact(data.get("duplicate"), contact)
    if request.method == "POST":
        keep = request.POST.get("keep")
        if other is None or keep not in (str(contact.pk), str(other.pk)):
            messages.error(request, _("Choose the duplicate and the contact that stays."))
            return redirect(reverse("admin:crm_contact_merge", args=[contact.pk]))
        survivor, duplicate = (contact, other) if keep == str(contact.pk) else (other, contact)
        try:
            survivor = services.merge(survivor, duplicate, actor=actor)
        except services.MergeError:
            messages.error(request, _("These contacts can no longer be merged."))
            return redirect(reverse("admin:crm_contacts"))
        messages.success(
            request,
            _("The contacts are merged: the interactions and invoices are now under this one."),
        )
        return redirect(_contact_url(survivor))
    query = request.GET.get("q", "")[: services.SEARCH_MAX].strip()
    candidates = []
    if other is None:
        if query:
            candidates = list(services.search(query).exclude(pk=contact.pk)[:20])
        else:
            candidates = services.likely_duplicates(contact)
        services.audit_listed(actor=actor, count=len(candidates), searched=True)
    else:
        services.record_viewed_for_merge(contact, other, actor=actor)
    return render(
        request,
        "crm/merge.html",
        _context(
            request,
            _("Merge duplicate contacts"),
            contact=contact,
            other=other,
            candidates=candidates,
            query=query,
            contact_counts=_counts(contact),
            other_counts=_counts(other) if other else None,
        ),
    )


def _counts(contact: Contact) -> tuple[int, int]:
    return contact.interactions.count(), contact.invoices.count()


def _other_contact(value: str | None, contact: Contact) -> Contact | None:
    if not value or not value.isdigit() or len(value) > 18:
        return None
    other = Contact.objects.select_related("organisation").filter(pk=int(value)).first()
    return other if other is not None and other.pk != contact.pk else None


# -- organisations ---------------------------------------------------------------------------
@require_http_methods(["GET", "HEAD", "POST"])
def organisations(request: HttpRequest) -> HttpResponse:
    _require(request, "crm.view_organisation")
    can_add = request.user.has_perm("crm.add_organisation")
    form = OrganisationForm(request.POST or None) if can_add else None
    status = 200
    if request.method == "POST":
        if not can_add:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.create_organisation(form.cleaned_data, actor=actor_for(request.user))
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("The organisation is saved."))
                return redirect(reverse("admin:crm_organisations"))
        status = 400
    page = Paginator(Organisation.objects.order_by("name", "id"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "crm/organisations.html",
        _context(
            request,
            _("Organisations"),
            page=page,
            form=form,
            can_edit=request.user.has_perm("crm.change_organisation"),
        ),
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def organisation_edit(request: HttpRequest, organisation_id: int) -> HttpResponse:
    _require(request, "crm.change_organisation")
    organisation = get_object_or_404(Organisation, pk=organisation_id)
    status = 200
    if request.method == "POST":
        form = OrganisationForm(request.POST, instance=Organisation.objects.get(pk=organisation.pk))
        if form.is_valid():
            try:
                services.update_organisation(
                    organisation, form.cleaned_data, actor=actor_for(request.user)
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("The organisation is saved."))
                return redirect(reverse("admin:crm_organisations"))
        status = 400
    else:
        form = OrganisationForm(instance=organisation)
    return render(
        request,
        "crm/organisation_form.html",
        _context(request, _("Edit organisation"), form=form, organisation=organisation),
        status=status,
    )


# -- import ----------------------------------------------------------------------------------
@csrf_exempt  # checked below, once the size is known to be within the limit
def import_contacts(request: HttpRequest) -> HttpResponse:
    """The CSV import: the upload form, and after a POST the report, row by row."""
    _require(request, "crm.add_contact")
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    if request.method == "POST":
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > importer.MAX_BYTES + 64 * 1024:
            # Refused before the body is read: nothing of it is stored anywhere.
            return _import_page(request, ImportForm(), error=importer.too_large(), status=413)
    return _import_checked(request)


@csrf_protect
def _import_checked(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _import_page(request, ImportForm())
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _import_page(request, form, status=400)
    uploaded = form.cleaned_data["file"]
    try:
        if uploaded.size > importer.MAX_BYTES:
            raise importer.Unusable(importer.too_large())
        report = importer.run(uploaded.read(), actor=actor_for(request.user), source="web")
    except importer.Unusable as exc:
        return _import_page(request, form, error=str(exc), status=400)
    finally:
        uploaded.close()
    return _import_page(request, ImportForm(), report=report)


def _import_page(request, form, *, report=None, error: str = "", status: int = 200):
    return render(
        request,
        "crm/import.html",
        _context(
            request,
            _("Import contacts"),
            form=form,
            report=report,
            error=error,
            max_mb=importer.MAX_BYTES // 1000 // 1000,
            newsletter_column=newsletter.available(),
            newsletter_list=newsletter.public_list_slug(),
        ),
        status=status,
    )
