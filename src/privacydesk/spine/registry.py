"""The personal-data registry: the spine of every data-subject request and of retention (P1, P14).

Each app declares, in its own ``privacy.py``, which of its models (or other stores) hold
personal data, the processing activity they belong to (whose retention applies), and how their
rows reach a data subject: by their own lookups, or through a *parent* declaration they point
to with a foreign key (a vault item through its job, a TOTP device through its user). The
plans in ``plans.py`` drive every request and the retention sweep from these declarations;
they know no model by name.

The protocol has one verb per right, each acting on primary keys that the find phase resolved
before anything changed (so no step can lose another's rows):

- ``find(subject, parents)`` the keys of the rows about ``subject``;
- ``export(keys)`` (Art. 15, 20), ``rectify(keys, changes)`` (Art. 16),
  ``restrict(keys)`` (Art. 18), ``erase(keys)`` (Art. 17), ``expired(cutoff)`` and
  ``expire(keys)`` (retention, Art. 5(1)(e)) and ``inventory(keys)``, "what is held"
  (Art. 15(1)(b)). ``keep`` (a legal duty to keep) holds against a request's erasure only:
  when the retention that duty sets has passed, ``expire`` removes the rows (invoices after
  their fiscal term). A source without ``expire`` is expired by its ``erase``;
- ``revealed(keys)`` (optional): further identifiers of the same person that the found rows
  hold (a download profile found by e-mail address names its visitor's consent id). The find
  phase then looks for those too, so a request by e-mail address also finds the visitor, their
  events and their consent records, which know no address;
- ``on_hold(keys, held, actor=...)`` is told when a legal hold starts or stops covering rows;
- ``object(subjects, keys)`` (Art. 21, and after an erasure): stop processing for marketing
  and profiling for good. A marketing source puts the identifiers on its suppression list
  (even when it holds no row for them), a tracking source removes the profile. The default
  does nothing and returns 0, "nothing to object to" (:func:`object_to`).

Models with fields that look personal but are not (a server's host name, a role's name) are
declared *exempt* with a reason, so the coverage check (``undeclared_models``) can insist that
every model is one or the other. Declaring a model twice is an error.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Literal, Protocol

from django.apps import apps
from django.db import models

from privacydesk.spine import lookups  # noqa: F401  (registers ``__ieq``)

SubjectKind = Literal["email", "phone", "visitor_id", "customer_number"]
SUBJECT_KINDS: tuple[str, ...] = ("email", "phone", "visitor_id", "customer_number")
Erasure = Literal["delete", "anonymise", "keep"]
Key = str  # a row's primary key (or a store's own name for an entry), as text
BATCH = 500  # keys per query: well below every database's limit on parameters


class DeclarationError(ValueError):
    """A declaration is incomplete, names an unknown parent, or repeats another one."""


@dataclass(frozen=True)
class Subject:
    """One data subject, as a request identifies them."""

    kind: SubjectKind
    value: str

    def __post_init__(self) -> None:
        if self.kind not in SUBJECT_KINDS:
            raise ValueError(f"unknown subject kind {self.kind!r}")
        if not self.value.strip():
            raise ValueError("a subject needs a value")


class Source(Protocol):
    """Anything that holds personal data: a model declaration or a custom store (the outbox)."""

    label: str
    activity: str
    parent: str | None
    erasure: Erasure
    keep_reason: str

    def find(self, subject: Subject, parents: Mapping[str, Sequence[Key]]) -> list[Key]: ...
    def parent_keys(self, keys: Sequence[Key]) -> list[Key]: ...
    def identifier_fields(self) -> Mapping[str, str]: ...
    def export(self, keys: Sequence[Key]) -> list[dict]: ...
    def rectify(self, keys: Sequence[Key], changes: Mapping[str, Any]) -> int: ...
    def restrict(self, keys: Sequence[Key]) -> int: ...
    def erase(self, keys: Sequence[Key]) -> int: ...
    def expired(self, cutoff: datetime) -> list[Key]: ...
    def expire(self, keys: Sequence[Key]) -> int: ...
    def inventory(self, keys: Sequence[Key]) -> dict: ...
    def on_hold(self, keys: Sequence[Key], held: bool, *, actor: str) -> None: ...
    def object(self, subjects: Sequence[Subject], keys: Sequence[Key]) -> int: ...


def handles_objection(src: Source) -> bool:
    """Whether a source acts on an objection (it has an ``object`` verb of its own)."""
    if isinstance(src, ModelData):
        return src.objector is not None
    return callable(getattr(src, "object", None))


def object_to(src: Source, subjects: Sequence[Subject], keys: Sequence[Key]) -> int:
    """Tell ``src`` of an objection; a source without the verb has nothing to object to (0)."""
    if not handles_objection(src):
        return 0
    return src.object(subjects, keys)


def expire(src: Source, keys: Sequence[Key]) -> int:
    """Remove rows whose retention has passed: the source's ``expire``, else its ``erase``."""
    expire_rows = getattr(src, "expire", None)
    if callable(expire_rows):
        return expire_rows(keys)
    return src.erase(keys)


def revealed(src: Source, keys: Sequence[Key]) -> list[Subject]:
    """Identifiers of the same person that ``src``'s rows ``keys`` hold (none by default)."""
    reveal = getattr(src, "revealed", None)
    if not keys or not callable(reveal):
        return []
    return list(reveal(keys))


def provided_fields(src: Source) -> tuple[str, ...] | None:
    """The fields the data subject provided (Art. 20); None: every exported field."""
    return getattr(src, "provided", None)


_IDENTIFIER_LOOKUP = re.compile(r"^(\w+?)(?:__i?exact|__ieq)?$")


@dataclass
class ModelData:
    """A model's personal data.

    ``lookups`` map a subject kind to an ORM lookup (``{"email": "email__ieq"}``) or to a
    function of the value returning a ``Q``. An address is looked up with ``__ieq``
    (``spine.lookups``: ``LOWER(col) = LOWER(value)``) on a column with an expression index
    ``models.Index(Lower(col))``, so a request reads the person's rows, not the whole table
    (``__iexact`` matches the same rows but no index). ``parent`` names the declaration this
    model's rows hang from and ``parent_field`` the foreign key to it: its rows about a
    subject are then also those of the subject's parent rows, found before the parent is
    changed.
    ``retention_field`` is the date the activity's retention runs from; ``retention_filter``
    narrows which rows it applies to (e.g. only closed accounts). ``erasure`` is ``delete``,
    ``anonymise`` (set ``anonymised`` values, keep the row) or ``keep`` (a legal duty to keep,
    explained in ``keep_reason``). ``restrict_field`` is a boolean field (or a lookup through
    the parent, e.g. ``job__restricted``) that marks a row as restricted (Art. 18): stored, not
    used; the code that uses the rows skips restricted ones. ``eraser`` replaces the strategy's
    own erasure when erasing means more than changing rows (the vault destroys keys and blobs);
    ``hold_hook`` is told when a legal hold starts or stops covering rows. ``objector`` is the
    ``object`` verb (Art. 21): called with the request's identifiers and this model's rows
    about them (possibly none), it stops marketing or profiling for good and returns how many
    rows or entries it changed. ``provided`` names the fields the person provided themselves
    (portability, Art. 20); unset means every exported field. ``reveals`` maps a subject
    kind to a field whose values are further identifiers of the person the rows are about
    (``{"visitor_id": "visitor_id"}``): the find phase looks for those as well
    (:func:`find_all`). ``identifiers`` names
    the field that holds each kind of identifier, where the lookups do not say it plainly; a
    corrected identifier is written there.
    """

    model: str
    activity: str
    fields: tuple[str, ...]
    lookups: dict[str, str | Callable[[str], models.Q]] = field(default_factory=dict)
    parent: str | None = None
    parent_field: str | None = None
    retention_field: str | None = None
    retention_filter: dict[str, Any] = field(default_factory=dict)
    erasure: Erasure = "delete"
    anonymised: dict[str, Any] = field(default_factory=dict)
    keep_reason: str = ""
    restrict_field: str | None = None
    rectifiable: tuple[str, ...] = ()
    identifiers: dict[str, str] | None = None
    exporter: Callable[[models.Model], dict] | None = None
    eraser: Callable[[models.QuerySet], int] | None = None
    hold_hook: Callable[[models.QuerySet, bool, str], None] | None = None
    objector: Callable[[Sequence[Subject], models.QuerySet], int] | None = None
    provided: tuple[str, ...] | None = None
    reveals: dict[str, str] | None = None

    def __post_init__(self) -> None:
        if self.erasure == "anonymise" and not self.anonymised:
            raise DeclarationError(f"{self.model}: anonymise needs the 'anonymised' values")
        if self.erasure == "keep" and not self.keep_reason:
            raise DeclarationError(f"{self.model}: keep needs a keep_reason")
        if (self.parent is None) != (self.parent_field is None):
            raise DeclarationError(f"{self.model}: parent and parent_field go together")

    @property
    def label(self) -> str:
        return self.model

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    # -- finding ----------------------------------------------------------------------------
    def _manager(self) -> models.Manager:
        return self.model_class._default_manager

    def _own(self, subject: Subject) -> models.Q | None:
        lookup = self.lookups.get(subject.kind)
        if lookup is None:
            return None
        value = subject.value.strip()
        return lookup(value) if callable(lookup) else models.Q(**{lookup: value})

    def find(self, subject: Subject, parents: Mapping[str, Sequence[Key]] = {}) -> list[Key]:
        """Keys of rows about ``subject``: by own lookups, or under the parent's found rows."""
        keys: set[Key] = set()
        own = self._own(subject)
        if own is not None:
            keys.update(str(pk) for pk in self._manager().filter(own).values_list("pk", flat=True))
        if self.parent is not None:
            for batch in _batches(parents.get(self.parent, ())):
                rows = self._manager().filter(**{f"{self.parent_field}__in": batch})
                keys.update(str(pk) for pk in rows.values_list("pk", flat=True))
        return sorted(keys)

    def rows(self, keys: Sequence[Key]) -> models.QuerySet:
        to_python = self.model_class._meta.pk.to_python
        return self._manager().filter(pk__in=[to_python(k) for k in keys])

    def _each_batch(self, keys: Sequence[Key]) -> Iterable[models.QuerySet]:
        for batch in _batches(keys):
            yield self.rows(batch)

    def parent_keys(self, keys: Sequence[Key]) -> list[Key]:
        if self.parent_field is None:
            return []
        found: set[Key] = set()
        for rows in self._each_batch(keys):
            values = rows.values_list(f"{self.parent_field}_id", flat=True)
            found.update(str(v) for v in values if v is not None)
        return sorted(found)

    def revealed(self, keys: Sequence[Key]) -> list[Subject]:
        """The identifiers named in ``reveals`` that these rows hold."""
        found: set[Subject] = set()
        for kind, field_name in (self.reveals or {}).items():
            for rows in self._each_batch(keys):
                for value in rows.values_list(field_name, flat=True):
                    if value is not None and str(value).strip():
                        found.add(Subject(kind, str(value)))
        return sorted(found, key=lambda s: (s.kind, s.value))

    def identifier_fields(self) -> dict[str, str]:
        """The model's own field that holds each kind of identifier (rectified with it)."""
        if self.identifiers is not None:
            return dict(self.identifiers)
        own = {f.name for f in self.model_class._meta.concrete_fields}
        found = {}
        for kind, lookup in self.lookups.items():
            match = isinstance(lookup, str) and _IDENTIFIER_LOOKUP.match(lookup)
            if match and match.group(1) in own:
                found[kind] = match.group(1)
        return found

    # -- the verbs --------------------------------------------------------------------------
    def export_row(self, obj: models.Model) -> dict:
        if self.exporter is not None:
            return self.exporter(obj)
        row = {"id": obj.pk}
        for name in self.fields:
            row[name] = _jsonable(getattr(obj, name))
        return row

    def export(self, keys: Sequence[Key]) -> list[dict]:
        keys = shown(self.label, keys)
        return [self.export_row(obj) for rows in self._each_batch(keys) for obj in rows]

    def rectify(self, keys: Sequence[Key], changes: Mapping[str, Any]) -> int:
        if not changes:
            return 0
        unknown = set(changes) - set(self.rectifiable or self.fields)
        if unknown:
            raise ValueError(f"{self.model}: cannot rectify {', '.join(sorted(unknown))}")
        count = 0
        for rows in self._each_batch(keys):
            for obj in rows:
                for name, value in changes.items():
                    setattr(obj, name, value)
                obj.full_clean()
                obj.save(update_fields=list(changes))
                count += 1
        return count

    @property
    def restricts_itself(self) -> bool:
        return self.restrict_field is not None and "__" not in self.restrict_field

    def restrict(self, keys: Sequence[Key]) -> int:
        """Mark rows restricted; 0 where restriction does not apply or goes through the parent."""
        if not self.restricts_itself:
            return 0
        field_name = self.restrict_field
        return sum(rows.update(**{field_name: True}) for rows in self._each_batch(keys))

    def erase(self, keys: Sequence[Key]) -> int:
        if self.erasure == "keep":
            return 0
        return sum(self._erase(rows) for rows in self._each_batch(keys))

    def expire(self, keys: Sequence[Key]) -> int:
        """The retention sweep's erasure: the declared one, and for rows kept by a legal duty
        (``keep``) deletion, since the duty ends with the retention it sets."""
        if self.erasure != "keep":
            return self.erase(keys)
        total = 0
        for rows in self._each_batch(keys):
            if self.eraser is not None:
                total += self.eraser(rows)
            else:
                total += rows.count()
                rows.delete()
        return total

    def expired(self, cutoff: datetime) -> list[Key]:
        if self.retention_field is None:
            return []
        rows = self._manager().filter(**self.retention_filter)
        rows = rows.filter(**{f"{self.retention_field}__lt": cutoff})
        return sorted(str(pk) for pk in rows.values_list("pk", flat=True))

    def inventory(self, keys: Sequence[Key]) -> dict:
        keys = shown(self.label, keys)
        restricted = 0
        if self.restrict_field is not None:
            restricted = sum(
                rows.filter(**{self.restrict_field: True}).count()
                for rows in self._each_batch(keys)
            )
        return {
            "rows": len(keys),
            "fields": list(self.fields),
            "restricted": restricted,
            "erasure": self.erasure,
        }

    def on_hold(self, keys: Sequence[Key], held: bool, *, actor: str) -> None:
        if self.hold_hook is not None:
            for rows in self._each_batch(keys):
                self.hold_hook(rows, held, actor)

    def object(self, subjects: Sequence[Subject], keys: Sequence[Key]) -> int:
        """Art. 21: the declaration's ``objector``; without one, nothing to object to."""
        if self.objector is None:
            return 0
        rows = self.rows(keys) if keys else self._manager().none()
        return self.objector(list(subjects), rows)

    def _erase(self, rows: models.QuerySet) -> int:
        if self.eraser is not None:
            return self.eraser(rows)
        if self.erasure == "anonymise":
            count = 0
            for obj in rows:
                for name, value in self.anonymised.items():
                    setattr(obj, name, value(obj) if callable(value) else value)
                obj.save(update_fields=list(self.anonymised))
                count += 1
            return count
        # Count this model's rows only (a cascade is a declaration's own business).
        count = rows.count()
        rows.delete()
        return count


@dataclass(frozen=True)
class Exempt:
    """A model whose personal-looking fields are not personal data, and why."""

    model: str
    reason: str


_SOURCES: dict[str, Source] = {}
_EXEMPT: dict[str, Exempt] = {}
#: Functions ``(label, keys) -> keys`` naming rows the data subject may not be shown yet.
Withholder = Callable[[str, Sequence[Key]], Iterable[Key]]
_WITHHOLDERS: list[Withholder] = []


def withhold(fn: Withholder) -> Withholder:
    """Register a withholder: an app that knows some rows must not reach their subject yet.

    A disclosure to an authority the person may not learn of (Art. 23 GDPR, art. 41 UAVG)
    leaves traces in other apps' sources (the legal hold it placed, audit entries naming it);
    those sources cannot know that, so the registers app tells the registry which of their
    rows to leave out of ``export`` and ``inventory`` (the access package, "what is held").
    """
    _WITHHOLDERS.append(fn)
    return fn


def withheld(label: str, keys: Sequence[Key]) -> set[Key]:
    """The keys among ``keys`` of source ``label`` that some withholder keeps back."""
    if not keys:
        return set()
    discover()
    found: set[Key] = set()
    for fn in _WITHHOLDERS:
        found.update(str(k) for k in fn(label, keys))
    return found


def shown(label: str, keys: Sequence[Key]) -> list[Key]:
    """``keys`` without the withheld ones, in their order."""
    hidden = withheld(label, keys)
    return [k for k in keys if str(k) not in hidden] if hidden else list(keys)


def register(*sources: Source) -> None:
    """Declare sources; a label declared before (or exempted) is a mistake, not a replacement."""
    for source in sources:
        if source.label in _SOURCES or source.label in _EXEMPT:
            raise DeclarationError(f"{source.label} is declared twice")
        _SOURCES[source.label] = source


def exempt(model: str, reason: str) -> None:
    if model in _EXEMPT or model in _SOURCES:
        raise DeclarationError(f"{model} is declared twice")
    _EXEMPT[model] = Exempt(model, reason)


def discover() -> None:
    """Import every installed app's ``privacy`` module (idempotent)."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("privacy")


def sources() -> list[Source]:
    """Every declaration, parents before their children (registry order otherwise)."""
    discover()
    return _parents_first(list(_SOURCES.values()))


def source(label: str) -> Source:
    discover()
    return _SOURCES[label]


def find_all(
    subjects: Iterable[Subject],
    *,
    guard: Callable[[Source], contextlib.AbstractContextManager] | None = None,
) -> dict[str, list[Key]]:
    """The find phase: every source's keys for these subjects, parents resolved first.

    Identifiers the found rows reveal (``revealed``: the consent id of a download profile
    found by e-mail address) are looked for in a further pass, until no new one turns up.
    ``guard(source)``, when given, wraps each source's finding (the plans use it to name the
    source whose find raised)."""
    found: dict[str, set[Key]] = {}
    ordered = sources()
    pending = list(dict.fromkeys(subjects))
    seen = set(pending)
    while pending:
        for src in ordered:
            parents = {label: sorted(k) for label, k in found.items()}
            keys = found.setdefault(src.label, set())
            with guard(src) if guard else contextlib.nullcontext():
                for subject in pending:
                    keys.update(src.find(subject, parents))
        pending = []
        for src in ordered:
            for subject in revealed(src, sorted(found[src.label])):
                if subject not in seen:
                    seen.add(subject)
                    pending.append(subject)
    return {label: sorted(keys) for label, keys in found.items() if keys}


def _parents_first(found: list[Source]) -> list[Source]:
    by_label = {s.label: s for s in found}
    ordered: list[Source] = []
    state: dict[str, str] = {}

    def visit(src: Source) -> None:
        if state.get(src.label) == "done":
            return
        if state.get(src.label) == "visiting":
            raise DeclarationError(f"{src.label}: its parents form a cycle")
        state[src.label] = "visiting"
        if src.parent is not None:
            if src.parent not in by_label:
                raise DeclarationError(f"{src.label}: parent {src.parent} is not declared")
            visit(by_label[src.parent])
        state[src.label] = "done"
        ordered.append(src)

    for src in found:
        visit(src)
    return ordered


# -- coverage --------------------------------------------------------------------------
PERSONAL_NAME_PARTS = (
    "email", "phone", "mobile", "name", "address", "ip", "user_agent", "street", "postcode",
    "birth", "iban", "note", "comment", "message", "body", "description", "username",
)  # fmt: skip
PERSONAL_FIELD_TYPES = (
    models.EmailField,
    models.GenericIPAddressField,
    models.FileField,
    models.TextField,
    models.JSONField,
    models.BinaryField,
)


def personal_looking_fields(model: type[models.Model]) -> list[str]:
    """Fields of ``model`` that may hold personal data: by type, or by a telling name."""
    found = []
    for f in model._meta.concrete_fields:
        name = f.name.lower()
        parts = name.split("_")
        by_name = any(part in parts or name == part for part in PERSONAL_NAME_PARTS)
        by_name = by_name or name.endswith(("_ip", "email", "phone", "name"))
        if isinstance(f, PERSONAL_FIELD_TYPES) or by_name:
            found.append(f.name)
    return found


def undeclared_models(candidates: Iterable[type[models.Model]] | None = None) -> list[str]:
    """Installed models with personal-looking fields that are neither declared nor exempt."""
    discover()
    declared = {s.label for s in _SOURCES.values()} | set(_EXEMPT)
    missing = []
    for model in candidates if candidates is not None else apps.get_models():
        if not model._meta.managed and not model._meta.proxy:
            continue
        if model._meta.proxy:
            continue
        if model._meta.label in declared:
            continue
        fields = personal_looking_fields(model)
        if fields:
            missing.append(f"{model._meta.label} ({', '.join(fields)})")
    return sorted(missing)


# -- helpers ----------------------------------------------------------------------------
def _batches(keys: Iterable[Key]) -> Iterable[list[Key]]:
    batch: list[Key] = []
    for key in keys:
        batch.append(key)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, models.fields.files.FieldFile):
        return value.name
    if isinstance(value, bytes | memoryview):
        return f"<{len(value)} bytes>"
    return value
