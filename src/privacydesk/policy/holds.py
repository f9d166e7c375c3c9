"""Legal holds: a data subject or named records kept out of erasure and retention (P14).

Art. 17(3)(b) and (e) GDPR: what a legal obligation or a legal claim needs is not erased while
the need lasts. A hold is placed with a reason by a named person and later released; both are
audited. Erasure plans and the retention sweep leave every row a hold covers alone, and the rows
that row hangs from (its parents), so that nothing a held row needs disappears under it. A
source whose erasure is more than a change of rows (the vault destroys day keys) is told when a
hold starts or stops covering its rows (``Source.on_hold``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from privacydesk.audit.services import record, subject_ref
from privacydesk.policy.models import LegalHold
from privacydesk.spine import registry
from privacydesk.spine.registry import Key, Subject


class HoldError(ValueError):
    """A hold that cannot be placed or released as asked."""


def active() -> QuerySet[LegalHold]:
    return LegalHold.objects.filter(released_at__isnull=True)


def covered(hold: LegalHold) -> dict[str, set[Key]]:
    """The keys one hold covers now, per source (a subject's rows are resolved anew)."""
    if hold.on_subject:
        return {k: set(v) for k, v in registry.find_all([Subject(hold.kind, hold.value)]).items()}
    keys: dict[str, set[Key]] = {}
    for label, key in hold.records:
        keys.setdefault(label, set()).add(str(key))
    return keys


def held_keys(holds: Iterable[LegalHold] | None = None) -> dict[str, set[Key]]:
    """Every key under an active hold, with the parents those rows hang from."""
    keys: dict[str, set[Key]] = {}
    for hold in active() if holds is None else holds:
        for label, found in covered(hold).items():
            keys.setdefault(label, set()).update(found)
    for src in reversed(registry.sources()):  # children first: their parents stay with them
        if src.parent is not None and keys.get(src.label):
            parents = src.parent_keys(sorted(keys[src.label]))
            keys.setdefault(src.parent, set()).update(parents)
    return {label: found for label, found in keys.items() if found}


def subject_holds(subjects: Iterable[Subject]) -> list[LegalHold]:
    """Active holds placed on one of these identifiers."""
    wanted = {(s.kind, s.value.strip().lower()) for s in subjects}
    return [h for h in active() if (h.kind, h.value.strip().lower()) in wanted]


def _notify(keys: Mapping[str, set[Key]], held: bool, actor: str) -> None:
    for src in registry.sources():
        if keys.get(src.label):
            src.on_hold(sorted(keys[src.label]), held, actor=actor)


@transaction.atomic
def place(
    *,
    reason: str,
    actor: str,
    subject: Subject | None = None,
    records: Sequence[tuple[str, Key]] = (),
) -> LegalHold:
    """Place a hold on a data subject or on named records (``(source label, key)`` pairs)."""
    reason = reason.strip()
    if not reason:
        raise HoldError("a legal hold needs a reason")
    if (subject is None) == (not records):
        raise HoldError("a legal hold is on a data subject or on records, not both")
    labels = {s.label for s in registry.sources()}
    for label, _key in records:
        if label not in labels:
            raise HoldError(f"{label} is not a declared source")
    hold = LegalHold.objects.create(
        kind=subject.kind if subject else "",
        value=subject.value.strip() if subject else "",
        records=[[label, str(key)] for label, key in records],
        reason=reason,
        placed_by=actor,
    )
    keys = covered(hold)
    record(
        actor=actor,
        action="hold.placed",
        obj=hold,
        subject=subject_ref(subject.kind, subject.value) if subject else "",
        detail={"sources": {label: len(k) for label, k in sorted(keys.items())}},
    )
    _notify(keys, True, actor)
    return hold


@transaction.atomic
def release(hold: LegalHold, *, actor: str) -> LegalHold:
    """Release a hold; rows no other hold covers return to erasure and retention."""
    hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
    if hold.released_at is not None:
        return hold
    before = held_keys()
    hold.released_at = timezone.now()
    hold.released_by = actor
    hold.save(update_fields=["released_at", "released_by"])
    after = held_keys()
    freed = {label: keys - after.get(label, set()) for label, keys in before.items()}
    record(
        actor=actor,
        action="hold.released",
        obj=hold,
        subject=subject_ref(hold.kind, hold.value) if hold.on_subject else "",
        detail={"sources": {label: len(k) for label, k in sorted(freed.items()) if k}},
    )
    _notify(freed, False, actor)
    return hold


def holds_on_record(label: str, key: Key) -> list[LegalHold]:
    """Active holds that name this record itself (not through its data subject)."""
    return [h for h in active().filter(kind="") if [label, str(key)] in h.records]
