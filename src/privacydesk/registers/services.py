"""The registers' work: saving entries whole or not at all, holds, warnings, letters, exports.

Views and the CLI call these; each save validates the whole entry (``Model.full_clean``) and
writes the row with its people, records and holds in one transaction, so a refused value
leaves nothing half-saved. Every change and every read of personal data is audited.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from privacydesk.audit.services import record, subject_ref
from privacydesk.policy import holds
from privacydesk.registers import files
from privacydesk.registers.models import (
    ART28_CHECKLIST,
    NOTIFY_WITHIN,
    Breach,
    BreachSubject,
    Disclosure,
    DisclosureRecord,
    DisclosureSubject,
    Processor,
)
from privacydesk.spine import mail, registry
from privacydesk.spine.registry import SUBJECT_KINDS, Subject
from privacydesk.spine.roles import PRIVACY_OFFICER

#: Days before an agreement ends when the privacy officer is warned (each warning once).
AGREEMENT_WARNINGS = (30, 7)
#: Hours left of the 72 at which the privacy officer is e-mailed about an undecided breach;
#: 0 is the deadline passing.
BREACH_REMINDERS = (72, 48, 24, 12, 4, 0)
KINDS = ("disclosures", "processors", "breaches")


# -- identifiers and records as typed ----------------------------------------------------------
def parse_subjects(text: str) -> list[Subject]:
    """One identifier per line: ``kind:value`` or a bare e-mail address."""
    found: list[Subject] = []
    errors = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        kind, sep, value = line.partition(":")
        if sep and kind.strip() in SUBJECT_KINDS:
            subject = Subject(kind.strip(), value.strip())  # type: ignore[arg-type]
        elif "@" in line and ":" not in line:
            subject = Subject("email", line)
        else:
            errors.append(line)
            continue
        if subject.value and subject not in found:
            found.append(subject)
    if errors:
        raise ValidationError(
            {
                "subjects": _(
                    "Not an identifier: %(lines)s. Write an e-mail address, or kind:value "
                    "with kind one of %(kinds)s."
                )
                % {"lines": "; ".join(errors), "kinds": ", ".join(SUBJECT_KINDS)}
            }
        )
    return found


def parse_records(text: str) -> list[tuple[str, str]]:
    """One record per line: ``source label:key`` (``vault.RecoveryJob:12``)."""
    labels = {s.label for s in registry.sources()}
    found: list[tuple[str, str]] = []
    errors = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        label, sep, key = line.rpartition(":")
        if not sep or label not in labels or not key.strip():
            errors.append(line)
            continue
        if (label, key.strip()) not in found:
            found.append((label, key.strip()))
    if errors:
        raise ValidationError(
            {
                "records": _(
                    "Not a record: %(lines)s. Write source:key, with a source such as %(example)s."
                )
                % {"lines": "; ".join(errors), "example": "vault.RecoveryJob:12"}
            }
        )
    return found


def subjects_text(rows: Iterable) -> str:
    return "\n".join(f"{r.kind}:{r.value}" for r in rows)


def records_text(rows: Iterable) -> str:
    return "\n".join(f"{r.source}:{r.key}" for r in rows)


# -- disclosures (P8) ------------------------------------------------------------------------
@transaction.atomic
def save_disclosure(
    disclosure: Disclosure,
    *,
    subjects: Sequence[Subject],
    records: Sequence[tuple[str, str]],
    place_hold: bool,
    actor: str,
) -> Disclosure:
    """Save a disclosure with the people and records it concerned; optionally hold them."""
    creating = disclosure.pk is None
    disclosure.full_clean()
    if creating:
        disclosure.created_by = actor
    disclosure.save()
    disclosure.subjects.all().delete()
    DisclosureSubject.objects.bulk_create(
        DisclosureSubject(disclosure=disclosure, kind=s.kind, value=s.value.strip())
        for s in subjects
    )
    disclosure.records.all().delete()
    DisclosureRecord.objects.bulk_create(
        DisclosureRecord(disclosure=disclosure, source=label, key=key) for label, key in records
    )
    record(
        actor=actor,
        action="registers.disclosure.created" if creating else "registers.disclosure.changed",
        obj=disclosure,
        detail={
            "legal_ground": disclosure.legal_ground,
            "subjects": len(subjects),
            "records": len(records),
        },
    )
    for s in subjects:
        record(
            actor=actor,
            action="registers.disclosure.subject",
            obj=disclosure,
            subject=subject_ref(s.kind, s.value),
        )
    if place_hold:
        hold_disclosure(disclosure, actor=actor)
    return disclosure


def _hold_reason(disclosure: Disclosure) -> str:
    return f"disclosure #{disclosure.pk}: {disclosure.get_legal_ground_display()}"[:200]


@transaction.atomic
def hold_disclosure(disclosure: Disclosure, *, actor: str) -> list:
    """A legal hold on the disclosure's records (one) and on each person concerned."""
    if active_holds(disclosure):
        return []
    placed = []
    with translation.override("en"):
        reason = _hold_reason(disclosure)
    records = [(r.source, r.key) for r in disclosure.records.all()]
    if records:
        placed.append(holds.place(reason=reason, actor=actor, records=records))
    for s in disclosure.subjects.all():
        placed.append(holds.place(reason=reason, actor=actor, subject=Subject(s.kind, s.value)))
    if not placed:
        raise ValidationError(
            {"place_hold": _("Name the people or records concerned to place a legal hold.")}
        )
    disclosure.holds.add(*placed)
    return placed


def active_holds(disclosure: Disclosure) -> list:
    return list(disclosure.holds.filter(released_at__isnull=True))


@transaction.atomic
def release_disclosure_holds(disclosure: Disclosure, *, actor: str) -> int:
    released = 0
    for hold in active_holds(disclosure):
        holds.release(hold, actor=actor)
        released += 1
    return released


# -- processors (P9) --------------------------------------------------------------------------
@transaction.atomic
def save_processor(
    processor: Processor,
    *,
    actor: str,
    agreement: bytes | None = None,
    agreement_name: str = "",
) -> Processor:
    creating = processor.pk is None
    processor.full_clean()
    if agreement is not None and len(agreement) > files.MAX_SIZE:
        raise ValidationError({"agreement": _("The file is larger than 20 MB.")})
    if not creating:
        before = Processor.objects.select_for_update().get(pk=processor.pk)
        if before.agreement_ends_on != processor.agreement_ends_on:
            # A new end date gets its own warnings.
            processor.warned_30_for = processor.warned_7_for = None
    processor.save()
    if agreement is not None:
        processor.agreement_file = files.seal(agreement, processor_id=processor.pk)
        processor.agreement_file_name = (agreement_name or "agreement")[-200:]
        processor.agreement_file_size = len(agreement)
        processor.agreement_file_sha256 = files.sha256(agreement)
        processor.save(
            update_fields=[
                "agreement_file",
                "agreement_file_name",
                "agreement_file_size",
                "agreement_file_sha256",
            ]
        )
    record(
        actor=actor,
        action="registers.processor.created" if creating else "registers.processor.changed",
        obj=processor,
        detail={"key": processor.key, "agreement_file": agreement is not None},
    )
    return processor


@dataclass(frozen=True)
class NamedProcessorProblem:
    """A processor an activity of the privacy model names, without a valid agreement."""

    activity: str
    key: str
    #: None: the register does not hold this processor; else the agreement's problem (English).
    problem: str | None


def named_processor_problems(model=None, today: date | None = None) -> list:
    """Every processor an activity names that the register lacks or has no valid agreement for.

    The register is the one source of truth (P9): a processor the privacy model's own
    ``processors:`` list describes but the register does not hold has no agreement on record.
    """
    from privacydesk.policy.services import current_model

    model = model or current_model()
    today = today or timezone.localdate()
    by_key = {p.key: p for p in Processor.objects.all()}
    found = []
    for activity in model.activities:
        for key in activity.processors:
            processor = by_key.get(key)
            if processor is None:
                found.append(NamedProcessorProblem(activity.id, key, None))
                continue
            with translation.override("en"):
                problem = processor.agreement_problem(today)
            if problem:
                found.append(NamedProcessorProblem(activity.id, key, problem))
    return found


def agreement_file(processor: Processor, *, actor: str) -> bytes:
    """The decrypted agreement (audited)."""
    if not processor.agreement_file:
        raise LookupError("no agreement file")
    data = files.open_sealed(processor.agreement_file, processor_id=processor.pk)
    record(actor=actor, action="registers.processor.agreement_read", obj=processor)
    return data


def privacy_officer_addresses() -> list[str]:
    users = get_user_model().objects.filter(groups__name=PRIVACY_OFFICER, is_active=True)
    return sorted({u.email for u in users if u.email})


def _mail_officers(subject: str, template: str, context: dict) -> bool:
    to = privacy_officer_addresses()
    if not to:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        body = render_to_string(template, context)
    mail.send(to, subject, body)
    return True


def warn_agreements(*, today: date | None = None) -> int:
    """E-mail the privacy officer 30 and 7 days before an agreement ends; each warning once.

    With no active privacy officer with an e-mail address nothing is marked sent: the
    warnings go out on a later run, once there is someone to send them to.
    """
    today = today or timezone.localdate()
    sent = 0
    if not privacy_officer_addresses():
        return 0
    horizon = today + timedelta(days=max(AGREEMENT_WARNINGS))
    due = Processor.objects.filter(agreement_ends_on__isnull=False, agreement_ends_on__gte=today)
    for pk in due.filter(agreement_ends_on__lte=horizon).values_list("pk", flat=True):
        with transaction.atomic():
            p = Processor.objects.select_for_update().get(pk=pk)
            days = (p.agreement_ends_on - today).days
            field = "warned_7_for" if days <= 7 else "warned_30_for"
            if getattr(p, field) == p.agreement_ends_on:
                continue
            p.warned_30_for = p.agreement_ends_on  # a 7-day warning makes the 30-day one moot
            if field == "warned_7_for":
                p.warned_7_for = p.agreement_ends_on
            p.save(update_fields=["warned_30_for", "warned_7_for"])
            with translation.override(settings.LANGUAGE_CODE):
                subject = _("Processor agreement with %(name)s ends in %(days)d days") % {
                    "name": p.name,
                    "days": days,
                }
            if _mail_officers(
                subject, "registers/agreement_warning.txt", {"processor": p, "days": days}
            ):
                sent += 1
            record(
                actor="system:registers",
                action="registers.processor.warned",
                obj=p,
                detail={"days": days},
            )
    return sent


# -- breaches (Art. 33(5)) ------------------------------------------------------------------------
@transaction.atomic
def save_breach(breach: Breach, *, subjects: Sequence[Subject], actor: str) -> Breach:
    creating = breach.pk is None
    breach.full_clean()
    if creating:
        breach.created_by = actor
    breach.save()
    breach.subjects.all().delete()
    BreachSubject.objects.bulk_create(
        BreachSubject(breach=breach, kind=s.kind, value=s.value.strip()) for s in subjects
    )
    record(
        actor=actor,
        action="registers.breach.created" if creating else "registers.breach.changed",
        obj=breach,
        detail={"ap_notified": breach.ap_notified, "subjects": len(subjects)},
    )
    return breach


@dataclass(frozen=True)
class Countdown:
    deadline: datetime
    hours: int
    minutes: int
    overdue: bool
    decided: bool


def countdown(breach: Breach, now: datetime | None = None) -> Countdown:
    left = breach.remaining(now)
    seconds = abs(int(left.total_seconds()))
    return Countdown(
        deadline=breach.deadline,
        hours=seconds // 3600,
        minutes=seconds % 3600 // 60,
        overdue=left.total_seconds() < 0,
        decided=breach.decided,
    )


def unexplained_breaches(*, now: datetime | None = None) -> list[Breach]:
    """Breaches not notified to the AP whose 72 hours have passed with no reason recorded.

    Art. 33(5) wants a reason for every breach not notified. ``Breach.clean`` asks for one
    when a breach is saved after its 72 hours; this finds the ones saved earlier and left.
    """
    now = now or timezone.now()
    overdue = Breach.objects.filter(ap_notified=False, aware_at__lt=now - NOTIFY_WITHIN)
    return [b for b in overdue.order_by("pk") if not b.not_notified_reason.strip()]


def open_breach_lines(*, now: datetime | None = None) -> list[str]:
    """One line per undecided breach with its 72-hour clock, in the active language."""
    lines = []
    for breach in Breach.objects.filter(ap_notified=False).order_by("aware_at", "pk"):
        if breach.decided:
            continue
        clock = countdown(breach, now)
        if clock.overdue:
            lines.append(
                _(
                    "Breach #%(id)d: the 72 hours have passed, the AP was not notified and "
                    "no reason is recorded (Art. 33(5))"
                )
                % {"id": breach.pk}
            )
        else:
            lines.append(
                _("Breach #%(id)d: %(hours)d h %(minutes)d min left to notify the AP")
                % {"id": breach.pk, "hours": clock.hours, "minutes": clock.minutes}
            )
    return lines


def remind_breaches(*, now: datetime | None = None) -> int:
    """E-mail the privacy officer as an undecided breach's 72 hours run out; each step once.

    With no privacy officer to write to, no step is marked sent (a later run sends it)."""
    now = now or timezone.now()
    sent = 0
    if not privacy_officer_addresses():
        return 0
    for pk in Breach.objects.filter(ap_notified=False).values_list("pk", flat=True):
        with transaction.atomic():
            b = Breach.objects.select_for_update().get(pk=pk)
            if b.decided:
                continue
            hours_left = b.remaining(now).total_seconds() / 3600
            reached = [h for h in BREACH_REMINDERS if hours_left <= h]
            new = [h for h in reached if h not in b.reminders_sent]
            if not new:
                continue
            step = min(new)  # the latest step reached; the earlier ones are not sent late
            b.reminders_sent = sorted(set(b.reminders_sent) | set(reached), reverse=True)
            b.save(update_fields=["reminders_sent"])
            clock = countdown(b, now)
            with translation.override(settings.LANGUAGE_CODE):
                if clock.overdue:
                    subject = _("Data breach #%(id)d: the 72 hours have passed") % {"id": b.pk}
                else:
                    subject = _("Data breach #%(id)d: %(hours)d hours left to notify the AP") % {
                        "id": b.pk,
                        "hours": clock.hours,
                    }
            if _mail_officers(
                subject, "registers/breach_reminder.txt", {"breach": b, "clock": clock}
            ):
                sent += 1
            record(
                actor="system:registers",
                action="registers.breach.reminded",
                obj=b,
                detail={"step_hours": step},
            )
    return sent


@dataclass(frozen=True)
class Recipient:
    subject: Subject
    sources: dict[str, int]  # where the registry holds data about them

    @property
    def found(self) -> bool:
        return bool(self.sources)


def recipients(breach: Breach, *, actor: str) -> list[Recipient]:
    """The people to write to (Art. 34), each looked up in the registry (audited per person)."""
    found = []
    for s in breach.subjects.all():
        subject = Subject(s.kind, s.value)  # type: ignore[arg-type]
        keys = registry.find_all([subject])
        # The breach's own list and the audit log (references to our handling, such as this
        # look-up) say nothing about whether we hold their data.
        own = {"registers.BreachSubject", "audit.AuditEntry"}
        sources = {label: len(k) for label, k in sorted(keys.items()) if label not in own}
        record(
            actor=actor,
            action="registers.breach.recipient_found",
            obj=breach,
            subject=subject_ref(s.kind, s.value),
            detail={"sources": sorted(sources)},
        )
        found.append(Recipient(subject, sources))
    return found


def letter(breach: Breach, lang: str) -> str:
    """The Art. 34 letter to the people concerned, in ``lang`` (``nl`` or ``en``)."""
    from privacydesk.policy.services import current_model

    model = current_model()
    with translation.override(lang):
        return render_to_string(
            f"registers/breach_letter_{lang}.txt",
            {"breach": breach, "controller": model.controller, "natures": natures(breach)},
        ).strip()


def natures(breach: Breach) -> list[str]:
    labels = dict(Breach.Nature.choices)
    return [str(labels[n]) for n in breach.nature if n in labels]


def ap_form_answers(breach: Breach) -> list[tuple[str, str]]:
    """The answers to the AP's notification form (Meldformulier), in its order, ready to paste."""

    def when(value: datetime | None) -> str:
        if value is None:
            return _("unknown")
        return timezone.localtime(value).strftime("%d-%m-%Y %H:%M")

    def text(value: str) -> str:
        return value.strip() or "—"

    yes, no = _("yes"), _("no")
    return [
        (_("Summary of the incident"), f"{breach.title}. {breach.summary}".strip()),
        (
            _("When did the breach happen?"),
            _("from %(start)s until %(end)s")
            % {"start": when(breach.occurred_at), "end": when(breach.occurred_until)}
            if breach.occurred_at or breach.occurred_until
            else _("unknown"),
        ),
        (_("When was the breach discovered?"), when(breach.discovered_at)),
        (_("When did you become aware of it?"), when(breach.aware_at)),
        (_("What happened to the data?"), ", ".join(natures(breach))),
        (_("Which kinds of personal data are involved?"), text(breach.data_kinds)),
        (
            _("Special categories or criminal data?"),
            yes if breach.special_categories else no,
        ),
        (
            _("Number of records concerned"),
            str(breach.records_count) if breach.records_count is not None else _("unknown"),
        ),
        (
            _("Number of people: minimum and maximum"),
            _("%(min)d to %(max)d") % {"min": breach.people_min, "max": breach.people_max},
        ),
        (_("Which groups of people?"), text(breach.people_kinds)),
        (
            _("Were the data encrypted, hashed or otherwise unintelligible?"),
            f"{breach.get_encrypted_display()}. {breach.encryption_detail}".strip(". ")
            if breach.encryption_detail
            else str(breach.get_encrypted_display()),
        ),
        (_("Security measures in place before the breach"), text(breach.measures_before)),
        (_("Likely consequences for the people"), text(breach.consequences)),
        (_("Measures taken and planned after the breach"), text(breach.measures_after)),
        (
            _("Have the people been informed?"),
            f"{breach.get_people_informed_display()}"
            + (f" ({when(breach.people_informed_at)})" if breach.people_informed_at else "")
            + (f": {breach.not_informed_reason}" if breach.not_informed_reason else ""),
        ),
        (_("Authorities in other countries"), text(breach.other_countries)),
    ]


# -- exports ----------------------------------------------------------------------------------
def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    return value.isoformat()


def disclosure_rows() -> list[dict]:
    return [
        {
            "id": d.pk,
            "authority": d.authority,
            "case_number": d.case_number,
            "contact_name": d.contact_name,
            "legal_ground": d.legal_ground,
            "legal_ground_detail": d.legal_ground_detail,
            "requested_on": _iso(d.requested_on),
            "answered_on": _iso(d.answered_on),
            "scope_requested": d.scope_requested,
            "scope_given": d.scope_given,
            "approved_by": d.approved_by.get_username() if d.approved_by else "",
            "approved_at": _iso(d.approved_at),
            "subjects": d.subjects.count(),
            "records": d.records.count(),
            "subject_told": d.subject_told,
            "told_on": _iso(d.told_on),
            "not_told_reason": d.not_told_reason,
            "not_told_until": _iso(d.not_told_until),
            "legal_holds_active": d.holds.filter(released_at__isnull=True).count(),
        }
        for d in Disclosure.objects.select_related("approved_by").order_by("id")
    ]


def processor_rows() -> list[dict]:
    today = timezone.localdate()
    rows = []
    for p in Processor.objects.order_by("id"):
        row = {
            "id": p.pk,
            "key": p.key,
            "name": p.name,
            "service_nl": p.service_nl,
            "service_en": p.service_en,
            "data_categories": p.data_categories,
            "data_subjects": p.data_subjects,
            "sub_processors": p.sub_processors,
            "location": p.location,
            "third_country": p.third_country,
            "safeguards": p.safeguards,
            "agreement_signed_on": _iso(p.agreement_signed_on),
            "agreement_ends_on": _iso(p.agreement_ends_on),
        }
        row.update({f"art28_{k}": getattr(p, f"art28_{k}") for k in ART28_CHECKLIST})
        with translation.override("en"):
            row["agreement_problem"] = p.agreement_problem(today)
        row["agreement_file_sha256"] = p.agreement_file_sha256
        rows.append(row)
    return rows


def breach_rows() -> list[dict]:
    return [
        {
            "id": b.pk,
            "title": b.title,
            "summary": b.summary,
            "occurred_at": _iso(b.occurred_at),
            "occurred_until": _iso(b.occurred_until),
            "discovered_at": _iso(b.discovered_at),
            "aware_at": _iso(b.aware_at),
            "deadline": _iso(b.deadline),
            "nature": ";".join(b.nature),
            "data_kinds": b.data_kinds,
            "special_categories": b.special_categories,
            "records_count": b.records_count,
            "people_min": b.people_min,
            "people_max": b.people_max,
            "people_kinds": b.people_kinds,
            "encrypted": b.encrypted,
            "encryption_detail": b.encryption_detail,
            "consequences": b.consequences,
            "measures_before": b.measures_before,
            "measures_after": b.measures_after,
            "ap_notified": b.ap_notified,
            "ap_notified_at": _iso(b.ap_notified_at),
            "ap_reference": b.ap_reference,
            "not_notified_reason": b.not_notified_reason,
            "people_informed": b.people_informed,
            "people_informed_at": _iso(b.people_informed_at),
            "not_informed_reason": b.not_informed_reason,
            "other_countries": b.other_countries,
            "subjects": b.subjects.count(),
        }
        for b in Breach.objects.order_by("id")
    ]


_ROWS = {"disclosures": disclosure_rows, "processors": processor_rows, "breaches": breach_rows}


def export(kind: str, fmt: str, *, actor: str, via: str = "web") -> str:
    """One register as CSV (a header row of the JSON keys) or JSON (a list of objects)."""
    if kind not in _ROWS or fmt not in ("csv", "json"):
        raise ValueError(f"unknown export {kind}/{fmt}")
    rows = _ROWS[kind]()
    record(
        actor=actor,
        action="registers.exported",
        detail={"kind": kind, "format": fmt, "rows": len(rows), "via": via},
    )
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    out = io.StringIO()
    columns = list(COLUMNS[kind])
    for row in rows:
        if list(row) != columns:
            raise ValueError(f"the {kind} export's rows do not match its columns")
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


#: The columns of each register's export, in order: the header of its CSV whether the
#: register is empty or not (``export`` refuses a row with other keys).
COLUMNS = {
    "disclosures": (
        "id", "authority", "case_number", "contact_name", "legal_ground",
        "legal_ground_detail", "requested_on", "answered_on", "scope_requested", "scope_given",
        "approved_by", "approved_at", "subjects", "records", "subject_told", "told_on",
        "not_told_reason", "not_told_until", "legal_holds_active",
    ),
    "processors": (
        "id", "key", "name", "service_nl", "service_en", "data_categories", "data_subjects",
        "sub_processors", "location", "third_country", "safeguards", "agreement_signed_on",
        "agreement_ends_on", *(f"art28_{k}" for k in ART28_CHECKLIST), "agreement_problem",
        "agreement_file_sha256",
    ),
    "breaches": (
        "id", "title", "summary", "occurred_at", "occurred_until", "discovered_at", "aware_at",
        "deadline", "nature", "data_kinds", "special_categories", "records_count",
        "people_min", "people_max", "people_kinds", "encrypted", "encryption_detail",
        "consequences", "measures_before", "measures_after", "ap_notified", "ap_notified_at",
        "ap_reference", "not_notified_reason", "people_informed", "people_informed_at",
        "not_informed_reason", "other_countries", "subjects",
    ),
}  # fmt: skip
