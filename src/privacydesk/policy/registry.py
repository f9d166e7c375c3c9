"""The personal-data registry: the spine of every data-subject request and of retention (P1, P14).

Each app declares, in its own ``privacy.py``, which of its models hold personal data, the
processing activity they belong to (whose retention applies), and how to find, export,
rectify, restrict and erase the data of one data subject. The ``rights`` app and the retention
sweep only iterate this registry; they know no model by name.

Models with fields that look personal but are not (a server's host name, a role's name) are
declared *exempt* with a reason, so the coverage check (``undeclared_models``) can insist that
every model is one or the other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Literal, Protocol

from django.apps import apps
from django.db import models, transaction

SubjectKind = Literal["email", "phone", "visitor_id", "customer_number"]
SUBJECT_KINDS: tuple[str, ...] = ("email", "phone", "visitor_id", "customer_number")
Erasure = Literal["delete", "anonymise", "keep"]


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
    """Anything that holds personal data: a model declaration or a custom store."""

    label: str
    activity: str

    def find(self, subject: Subject) -> list[Any]: ...
    def export(self, subject: Subject) -> list[dict]: ...
    def erase(self, subject: Subject) -> int: ...
    def expire(self, cutoff: datetime) -> int: ...


@dataclass
class ModelData:
    """A model's personal data.

    ``lookups`` map a subject kind to an ORM lookup (``{"email": "email__iexact"}``) or to a
    function of the value returning a ``Q``.
    ``retention_field`` is the date the activity's retention runs from; ``retention_filter``
    narrows which rows it applies to (e.g. only closed accounts). ``erasure`` is ``delete``,
    ``anonymise`` (set ``anonymised`` values, keep the row) or ``keep`` (a legal duty to keep,
    explained in ``keep_reason``). ``restrict_field`` is a boolean field that marks a row as
    restricted (Art. 18). ``eraser`` replaces the strategy's own erasure when erasing means
    more than changing rows (the vault destroys keys and blobs).
    """

    model: str
    activity: str
    fields: tuple[str, ...]
    lookups: dict[str, str | Callable[[str], models.Q]] = field(default_factory=dict)
    retention_field: str | None = None
    retention_filter: dict[str, Any] = field(default_factory=dict)
    erasure: Erasure = "delete"
    anonymised: dict[str, Any] = field(default_factory=dict)
    keep_reason: str = ""
    restrict_field: str | None = None
    rectifiable: tuple[str, ...] = ()
    exporter: Callable[[models.Model], dict] | None = None
    eraser: Callable[[models.QuerySet], int] | None = None

    def __post_init__(self) -> None:
        if self.erasure == "anonymise" and not self.anonymised:
            raise ValueError(f"{self.model}: anonymise needs the 'anonymised' values")
        if self.erasure == "keep" and not self.keep_reason:
            raise ValueError(f"{self.model}: keep needs a keep_reason")

    @property
    def label(self) -> str:
        return self.model

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    def queryset(self, subject: Subject) -> models.QuerySet:
        lookup = self.lookups.get(subject.kind)
        manager = self.model_class._default_manager
        if lookup is None:
            return manager.none()
        value = subject.value.strip()
        if callable(lookup):
            return manager.filter(lookup(value))
        return manager.filter(**{lookup: value})

    def find(self, subject: Subject) -> list[models.Model]:
        return list(self.queryset(subject))

    def export_row(self, obj: models.Model) -> dict:
        if self.exporter is not None:
            return self.exporter(obj)
        row = {"id": obj.pk}
        for name in self.fields:
            value = getattr(obj, name)
            row[name] = _jsonable(value)
        return row

    def export(self, subject: Subject) -> list[dict]:
        return [self.export_row(obj) for obj in self.queryset(subject)]

    def rectify(self, obj: models.Model, changes: dict[str, Any]) -> None:
        unknown = set(changes) - set(self.rectifiable or self.fields)
        if unknown:
            raise ValueError(f"{self.model}: cannot rectify {', '.join(sorted(unknown))}")
        for name, value in changes.items():
            setattr(obj, name, value)
        obj.full_clean()
        obj.save(update_fields=list(changes))

    def restrict(self, subject: Subject) -> int:
        if self.restrict_field is None:
            return 0
        return self.queryset(subject).update(**{self.restrict_field: True})

    def erase(self, subject: Subject) -> int:
        return self._erase(self.queryset(subject))

    def expired(self, cutoff: datetime) -> models.QuerySet:
        if self.retention_field is None:
            return self.model_class._default_manager.none()
        rows = self.model_class._default_manager.filter(**self.retention_filter)
        return rows.filter(**{f"{self.retention_field}__lt": cutoff})

    def expire(self, cutoff: datetime) -> int:
        return self._erase(self.expired(cutoff))

    def _erase(self, rows: models.QuerySet) -> int:
        if self.erasure == "keep":
            return 0
        if self.eraser is not None:
            return self.eraser(rows)
        with transaction.atomic():
            if self.erasure == "anonymise":
                count = 0
                for obj in rows:
                    for name, value in self.anonymised.items():
                        setattr(obj, name, value(obj) if callable(value) else value)
                    obj.save(update_fields=list(self.anonymised))
                    count += 1
                return count
            count, _ = rows.delete()
            return count


@dataclass(frozen=True)
class Exempt:
    """A model whose personal-looking fields are not personal data, and why."""

    model: str
    reason: str


_SOURCES: dict[str, Source] = {}
_EXEMPT: dict[str, Exempt] = {}


def register(*sources: Source) -> None:
    for source in sources:
        _SOURCES[source.label] = source


def exempt(model: str, reason: str) -> None:
    _EXEMPT[model] = Exempt(model, reason)


def discover() -> None:
    """Import every installed app's ``privacy`` module (idempotent)."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("privacy")


def sources() -> list[Source]:
    discover()
    return list(_SOURCES.values())


def source(label: str) -> Source:
    discover()
    return _SOURCES[label]


def exemptions() -> dict[str, Exempt]:
    discover()
    return dict(_EXEMPT)


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
def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, models.fields.files.FieldFile):
        return value.name
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def iter_export(subject: Subject) -> Iterator[tuple[Source, list[dict]]]:
    """Every source's rows for ``subject`` (Art. 15), in registry order."""
    for src in sources():
        rows = src.export(subject)
        if rows:
            yield src, rows
