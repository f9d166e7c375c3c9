"""The CRM's work: contacts found, shown, written and merged, each step audited (P3, P5, P10).

Views and the import call these functions; they take the acting staff member as an audit actor
(``user:<id>``) and never write a name or an address into the audit log, only references
(``subject_ref``) and primary keys.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone, translation

from privacydesk.audit.services import link_subject, record
from privacydesk.crm import newsletter
from privacydesk.crm.models import Contact, Interaction, Invoice, Organisation
from privacydesk.crm.validators import normalise_email, normalise_text
from privacydesk.spine import registry
from privacydesk.spine.registry import Subject

SEARCH_MAX = 200


class MergeError(ValueError):
    """Two contacts that cannot be merged (the same one twice)."""


# -- search ------------------------------------------------------------------------------
def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def search_text_for(contact: Contact) -> str:
    parts = [contact.name, contact.email, contact.phone, _digits(contact.phone)]
    if contact.organisation_id:
        parts.append(contact.organisation.name)
    return "\n".join(p for p in parts if p).casefold()


def search(query: str) -> QuerySet[Contact]:
    """Contacts whose name, e-mail, phone or organisation contains ``query``, in any case.

    Every word must match (``jan acme`` finds Jan of Acme); a phone number matches with or
    without its spaces and dashes.
    """
    rows = Contact.objects.select_related("organisation")
    # Control characters (a NUL byte among them, which PostgreSQL refuses) match nothing.
    query = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in query)
    for word in query.casefold().split()[:10]:
        condition = Q(search_text__contains=word)
        digits = _digits(word)
        if digits and len(digits) >= 3 and digits != word:
            condition |= Q(search_text__contains=digits)
        rows = rows.filter(condition)
    return rows.order_by("name", "id")


def likely_duplicates(contact: Contact, limit: int = 20) -> list[Contact]:
    """Other contacts that may be the same person: the same organisation, the last word of
    the name, the same phone number or the same address before the ``@``."""
    condition = Q(pk__in=[])
    words = [w for w in contact.name.casefold().split() if len(w) >= 3]
    if words:
        condition |= Q(search_text__contains=words[-1])
    if contact.organisation_id:
        condition |= Q(organisation_id=contact.organisation_id)
    digits = _digits(contact.phone)
    if len(digits) >= 6:
        condition |= Q(search_text__contains=digits)
    local = contact.email.rpartition("@")[0].casefold()
    if len(local) >= 3:
        condition |= Q(search_text__contains=local + "@")
    rows = Contact.objects.select_related("organisation").filter(condition).exclude(pk=contact.pk)
    return list(rows.order_by("name", "id")[:limit])


# -- writing -----------------------------------------------------------------------------
def _clean_values(values: dict) -> dict:
    cleaned = dict(values)
    for name in ("name", "phone", "function"):
        if name in cleaned:
            cleaned[name] = normalise_text(cleaned[name] or "")
    if "email" in cleaned:
        cleaned["email"] = normalise_email(cleaned["email"] or "")
    return cleaned


def last_contact_of(contact: Contact) -> date:
    """The date of the latest interaction or invoice; the day the contact was made before
    there is either."""
    dates = []
    if contact.pk:
        dates = [
            contact.interactions.aggregate(d=Max("date"))["d"],
            contact.invoices.aggregate(d=Max("date"))["d"],
        ]
    dates = [d for d in dates if d is not None]
    if dates:
        return max(dates)
    return timezone.localdate(contact.created_at) if contact.created_at else timezone.localdate()


def _refresh(contact: Contact) -> None:
    contact.search_text = search_text_for(contact)
    contact.last_contact_on = last_contact_of(contact)
    Contact.objects.filter(pk=contact.pk).update(
        search_text=contact.search_text, last_contact_on=contact.last_contact_on
    )


@transaction.atomic
def create_contact(values: dict, *, actor: str) -> Contact:
    contact = Contact(**_clean_values(values), last_contact_on=timezone.localdate())
    contact.search_text = search_text_for(contact)
    contact.full_clean()
    contact.save()
    record(actor=actor, action="crm.contact.created", obj=contact, subject=contact.subject())
    return contact


@transaction.atomic
def update_contact(contact: Contact, values: dict, *, actor: str) -> list[str]:
    """Write the changed fields; returns their names (audited, without the values)."""
    values = _clean_values(values)
    old_email = contact.email
    changed = [k for k, v in values.items() if getattr(contact, k) != v]
    if not changed:
        return []
    for name, value in values.items():
        setattr(contact, name, value)
    contact.full_clean()
    contact.save()
    _refresh(contact)
    record(
        actor=actor,
        action="crm.contact.changed",
        obj=contact,
        subject=contact.subject(),
        detail={"fields": sorted(changed)},
    )
    if "email" in changed and old_email.lower() != contact.email.lower():
        # The person's history stays findable under the new address.
        link_subject(("email", old_email), ("email", contact.email), actor=actor)
    return changed


@transaction.atomic
def add_interaction(contact: Contact, values: dict, *, staff_member, actor: str) -> Interaction:
    interaction = Interaction(contact=contact, staff_member=staff_member, **values)
    interaction.full_clean()
    interaction.save()
    _refresh(contact)
    record(
        actor=actor,
        action="crm.interaction.added",
        obj=interaction,
        subject=contact.subject(),
        detail={"kind": interaction.kind},
    )
    return interaction


@transaction.atomic
def add_invoice(contact: Contact, values: dict, *, actor: str) -> Invoice:
    """An invoice to ``contact``, with the customer as invoiced copied into it."""
    invoice = Invoice(
        contact=contact,
        organisation=values.pop("organisation", None) or contact.organisation,
        customer_name=contact.name,
        customer_email=contact.email,
        **values,
    )
    invoice.full_clean()
    invoice.save()
    _refresh(contact)
    record(actor=actor, action="crm.invoice.added", obj=invoice, subject=contact.subject())
    return invoice


@transaction.atomic
def set_paid(invoice: Invoice, paid: bool, *, actor: str) -> Invoice:
    if invoice.paid != paid:
        invoice.paid = paid
        invoice.save(update_fields=["paid"])
        record(actor=actor, action="crm.invoice.paid", obj=invoice, detail={"paid": paid})
    return invoice


@transaction.atomic
def create_organisation(values: dict, *, actor: str) -> Organisation:
    values = dict(values)
    values["name"] = normalise_text(values.get("name", ""))
    organisation = Organisation(**values)
    organisation.full_clean()
    organisation.save()
    record(actor=actor, action="crm.organisation.created", obj=organisation)
    return organisation


@transaction.atomic
def update_organisation(organisation: Organisation, values: dict, *, actor: str) -> None:
    values = dict(values)
    values["name"] = normalise_text(values.get("name", organisation.name))
    changed = [k for k, v in values.items() if getattr(organisation, k) != v]
    if not changed:
        return
    for name, value in values.items():
        setattr(organisation, name, value)
    organisation.full_clean()
    organisation.save()
    if "name" in changed:
        for contact in organisation.contacts.select_related("organisation"):
            _refresh(contact)
    record(
        actor=actor,
        action="crm.organisation.changed",
        obj=organisation,
        detail={"fields": sorted(changed)},
    )


# -- reading -----------------------------------------------------------------------------
@dataclass
class ContactFile:
    """Everything held about one person, for the contact page (Art. 15 in one place)."""

    contact: Contact
    interactions: list[Interaction]
    invoices: list[Invoice]
    vault_jobs: list = field(default_factory=list)
    vault_shown: bool = False
    #: The newsletter section (``crm.newsletter.Section``); None without the newsletter app.
    newsletter: newsletter.Section | None = None


def contact_file(contact: Contact, *, user, actor: str) -> ContactFile:
    """The contact with its interactions, invoices, newsletter subscriptions and (for roles
    that see the vault) the recovery jobs under the same address; the view is audited."""
    found = ContactFile(
        contact=contact,
        interactions=list(contact.interactions.select_related("staff_member")),
        invoices=list(
            Invoice.objects.filter(
                Q(contact=contact) | Q(customer_email__ieq=contact.email)
            ).select_related("organisation")
        ),
    )
    found.vault_shown, found.vault_jobs = vault_jobs_for(contact.email, user=user)
    found.newsletter = newsletter.section_for(
        contact, invoices=found.invoices, user=user, lang=translation.get_language()
    )
    detail = {}
    if found.vault_shown:
        detail["vault_jobs"] = len(found.vault_jobs)
    if found.newsletter is not None:
        detail["subscriptions"] = len(found.newsletter.subscriptions)
    record(
        actor=actor,
        action="crm.contact.viewed",
        obj=contact,
        subject=contact.subject(),
        detail=detail,
    )
    return found


def vault_jobs_for(email: str, *, user) -> tuple[bool, list]:
    """Recovery jobs for this address, as the vault's registry declaration finds them.

    Only roles that see the vault's metadata get them, and a technician only their own jobs
    (DESIGN.md section 7); ``(False, [])`` for the others.
    """
    from privacydesk.vault.models import RecoveryJob
    from privacydesk.vault.staff_views import VIEW, own_jobs_only

    if not user.has_perm(VIEW):
        return False, []
    keys = registry.source("vault.RecoveryJob").find(Subject("email", email), {})
    jobs = RecoveryJob.objects.filter(pk__in=[int(k) for k in keys])
    if own_jobs_only(user):
        jobs = jobs.filter(technician=user)
    return True, list(jobs.order_by("-intake_date", "-id"))


def audit_listed(*, actor: str, count: int, searched: bool) -> None:
    record(
        actor=actor,
        action="crm.contacts.listed",
        detail={"count": count, "searched": searched},
    )


# -- merging -----------------------------------------------------------------------------
@transaction.atomic
def merge(survivor: Contact, duplicate: Contact, *, actor: str) -> Contact:
    """Fold ``duplicate`` into ``survivor``: its interactions and invoices move, the fields the
    survivor lacks (phone, function, organisation) are taken over, the duplicate is deleted.

    The audit trail names both people by reference only, and links the duplicate's address to
    the survivor's so the person's history is found under either.
    """
    if survivor.pk == duplicate.pk:
        raise MergeError("a contact cannot be merged with itself")
    # Lock both rows in a fixed order so two merges of the same pair cannot interleave.
    locked = {
        c.pk: c
        for c in Contact.objects.select_for_update()
        .filter(pk__in=[survivor.pk, duplicate.pk])
        .order_by("pk")
    }
    if len(locked) != 2:
        raise MergeError("one of the contacts no longer exists")
    survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
    moved_interactions = duplicate.interactions.update(contact=survivor)
    moved_invoices = duplicate.invoices.update(contact=survivor)
    taken = []
    for name in ("phone", "function", "organisation"):
        if not getattr(survivor, name) and getattr(duplicate, name):
            setattr(survivor, name, getattr(duplicate, name))
            taken.append(name)
    duplicate_ref = duplicate.subject()
    duplicate_pk = duplicate.pk
    duplicate_email = duplicate.email
    duplicate.delete()
    survivor.save()
    _refresh(survivor)
    record(
        actor=actor,
        action="crm.contact.merged",
        obj=survivor,
        subject=survivor.subject(),
        detail={
            "duplicate": f"crm.Contact:{duplicate_pk}",
            "duplicate_subject": duplicate_ref,
            "interactions": moved_interactions,
            "invoices": moved_invoices,
            "fields_taken": taken,
        },
    )
    if duplicate_email.lower() != survivor.email.lower():
        link_subject(("email", duplicate_email), ("email", survivor.email), actor=actor)
    return survivor


def by_email(emails: Iterable[str]) -> dict[str, Contact]:
    """Existing contacts by case-folded address."""
    wanted = {e.lower() for e in emails if e}
    found: dict[str, Contact] = {}
    rows = Contact.objects.select_related("organisation")
    batch: list[str] = []
    for email in sorted(wanted):
        batch.append(email)
        if len(batch) == 500:
            found.update(_by_email_batch(rows, batch))
            batch = []
    if batch:
        found.update(_by_email_batch(rows, batch))
    return found


def _by_email_batch(rows: QuerySet[Contact], batch: list[str]) -> dict[str, Contact]:
    from django.db.models.functions import Lower

    matches = rows.annotate(email_lower=Lower("email")).filter(email_lower__in=batch)
    return {c.email.lower(): c for c in matches}


def record_viewed_for_edit(contact: Contact, *, actor: str) -> None:
    record(
        actor=actor,
        action="crm.contact.viewed",
        obj=contact,
        subject=contact.subject(),
        detail={"page": "edit"},
    )


def record_viewed_for_merge(contact: Contact, other: Contact, *, actor: str) -> None:
    for shown in (contact, other):
        record(
            actor=actor,
            action="crm.contact.viewed",
            obj=shown,
            subject=shown.subject(),
            detail={"page": "merge"},
        )
