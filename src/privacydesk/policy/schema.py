"""The shape of the privacy model file and its validation (P2, P5, P10, P13).

``load_model`` reads ``privacy_model.yaml``; any mistake stops loading with
:class:`PrivacyModelError`, whose messages name the entry (by its id) and the field.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import yaml
from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

MODEL_FILE = Path(__file__).with_name("privacy_model.yaml")

Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]
Promise = Annotated[str, Field(pattern=r"^P(?:[1-9]|1[0-5])$")]

#: Art. 6(1) GDPR, (a) to (f).
LEGAL_BASES: dict[str, str] = {
    "consent": "6(1)(a)",
    "contract": "6(1)(b)",
    "legal_obligation": "6(1)(c)",
    "vital_interests": "6(1)(d)",
    "public_task": "6(1)(e)",
    "legitimate_interests": "6(1)(f)",
}
LegalBasis = Literal[
    "consent", "contract", "legal_obligation", "vital_interests", "public_task",
    "legitimate_interests",
]  # fmt: skip

#: The events a retention period runs from.
RetentionEvent = Literal[
    "storage",  # the data was stored (vault items)
    "collection",  # the data was collected (page views)
    "last_contact",  # last interaction with the person or organisation
    "end_of_fiscal_year",  # end of the fiscal year of the document (invoices)
    "withdrawal",  # consent withdrawn / unsubscribed
    "consent_end",  # consent withdrawn or expired
    "request_closed",  # a rights request was closed
    "disclosure",  # data were disclosed
    "account_closed",  # a staff account was deactivated
    "transmission",  # data crossed the network
    "recorded",  # an entry was recorded
]

_DURATION_RE = re.compile(r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<days>\d+)D)?$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A text in Dutch and English; both are required (the policy is published in both)."""

    nl: Annotated[str, Field(min_length=1)]
    en: Annotated[str, Field(min_length=1)]

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.nl


class Duration(Strict):
    """An ISO 8601 calendar duration (``P1M``, ``P7Y``, ``P30D``); months are calendar months."""

    years: int = 0
    months: int = 0
    days: int = 0

    @classmethod
    def parse(cls, value: str) -> Duration:
        match = _DURATION_RE.match(value or "")
        if not match or value == "P":
            raise ValueError(f"{value!r} is not an ISO 8601 duration like P1M, P7Y or P30D")
        return cls(**{k: int(v) for k, v in match.groupdict().items() if v})

    def iso(self) -> str:
        parts = [
            f"{n}{u}" for n, u in ((self.years, "Y"), (self.months, "M"), (self.days, "D")) if n
        ]
        return "P" + ("".join(parts) or "0D")

    @property
    def delta(self) -> relativedelta:
        """Calendar arithmetic: month ends clamp (31 Jan + P1M = 28/29 Feb), days come last."""
        return relativedelta(years=self.years, months=self.months, days=self.days)

    def after(self, start: date) -> date:
        """The date this duration after ``start``."""
        return start + self.delta

    def before(self, end: date) -> date:
        """The date this duration before ``end``."""
        return end - self.delta

    def describe(self, lang: str) -> str:
        names = {
            "nl": {"Y": ("jaar", "jaar"), "M": ("maand", "maanden"), "D": ("dag", "dagen")},
            "en": {"Y": ("year", "years"), "M": ("month", "months"), "D": ("day", "days")},
        }[lang]
        parts = [
            f"{n} {names[u][0] if n == 1 else names[u][1]}"
            for n, u in ((self.years, "Y"), (self.months, "M"), (self.days, "D"))
            if n
        ]
        if not parts:
            return "geen" if lang == "nl" else "none"
        joiner = " en " if lang == "nl" else " and "
        return joiner.join(parts)


class Retention(Strict):
    duration: str
    from_: RetentionEvent = Field(alias="from")
    reason: Text

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("duration")
    @classmethod
    def _valid_duration(cls, value: str) -> str:
        Duration.parse(value)
        return value

    @property
    def period(self) -> Duration:
        return Duration.parse(self.duration)


class Controller(Strict):
    name: str
    street: str
    postcode: str
    city: str
    email: str
    reference: str
    website: str


class Named(Strict):
    id: Slug
    name: Text
    description: Text | None = None


class Processor(Named):
    service: Text
    location: str = "NL"


class Activity(Strict):
    id: Slug
    name: Text
    purpose: Text
    legal_basis: LegalBasis
    legal_basis_detail: Text
    data_subjects: Annotated[list[Slug], Field(min_length=1)]
    data_categories: Annotated[list[Slug], Field(min_length=1)]
    recipients: list[Text] = []
    processors: list[Slug] = []
    third_country_transfers: Text | None = None
    retention: Retention
    security_measures: Annotated[list[Slug], Field(min_length=1)]
    promises: list[Promise] = []
    #: How the activity stores IP addresses, where it stores them: whole, truncated (IPv4
    #: to /24, IPv6 to /48) or not at all. The tracking and consent apps follow it.
    ip_addresses: Literal["full", "truncated", "none"] | None = None


class Cookie(Strict):
    name: str
    aliases: list[str] = []
    category: Literal["necessary", "analytics", "tracking"]
    purpose: Text
    lifetime: Text
    activity: Slug


_SINGULAR = {
    "data_subjects": "data subject",
    "data_categories": "data category",
    "security_measures": "security measure",
    "processors": "processor",
}


class PrivacyModel(Strict):
    controller: Controller
    supervisory_authority: Text
    data_subjects: list[Named]
    data_categories: list[Named]
    security_measures: list[Named]
    processors: list[Processor] = []
    activities: Annotated[list[Activity], Field(min_length=1)]
    cookies: list[Cookie] = []

    @model_validator(mode="after")
    def _references_exist(self) -> PrivacyModel:
        problems: list[str] = []
        known = {
            "data_subjects": {d.id for d in self.data_subjects},
            "data_categories": {d.id for d in self.data_categories},
            "security_measures": {d.id for d in self.security_measures},
            "processors": {p.id for p in self.processors},
        }
        for collection in ("data_subjects", "data_categories", "security_measures", "processors"):
            ids = [item.id for item in getattr(self, collection)]
            for dup in sorted({i for i in ids if ids.count(i) > 1}):
                problems.append(f"{collection}[{dup}]: id is used more than once")
        activity_ids = [a.id for a in self.activities]
        for dup in sorted({i for i in activity_ids if activity_ids.count(i) > 1}):
            problems.append(f"activities[{dup}]: id is used more than once")
        # Processor ids may also be resolved by a processor register (``spine.processors``);
        # ``policy check`` names an id that neither knows.
        del known["processors"]
        for activity in self.activities:
            for field, ids in known.items():
                for ref in getattr(activity, field):
                    if ref not in ids:
                        problems.append(
                            f"activities[{activity.id}].{field}: unknown {_SINGULAR[field]} {ref!r}"
                        )
        for cookie in self.cookies:
            if cookie.activity not in activity_ids:
                problems.append(
                    f"cookies[{cookie.name}].activity: unknown activity {cookie.activity!r}"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # -- lookups -----------------------------------------------------------------------
    def activity(self, activity_id: str) -> Activity:
        for activity in self.activities:
            if activity.id == activity_id:
                return activity
        raise KeyError(activity_id)

    def named(self, collection: str, item_id: str) -> Named:
        for item in getattr(self, collection):
            if item.id == item_id:
                return item
        raise KeyError(item_id)


class PrivacyModelError(ValueError):
    """The model file is invalid; ``problems`` lists each one as ``entry.field: message``."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid privacy model:\n  " + "\n  ".join(problems))


def _entry_name(raw: dict, loc: tuple) -> str:
    """``activities.3.legal_basis`` becomes ``activities[newsletter].legal_basis``."""
    parts: list[str] = []
    node: object = raw
    for i, key in enumerate(loc):
        if isinstance(key, int) and isinstance(node, list):
            item = node[key] if key < len(node) else None
            label = None
            if isinstance(item, dict):
                label = item.get("id") or item.get("name")
            label = label if isinstance(label, str) else f"#{key + 1}"
            if parts:
                parts[-1] = f"{parts[-1]}[{label}]"
            node = item
            continue
        if i and loc[i - 1] == "from_":
            continue
        parts.append("from" if key == "from_" else str(key))
        node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts)


def parse_model(text: str) -> PrivacyModel:
    """Validate model text (YAML); raise :class:`PrivacyModelError` naming entry and field."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PrivacyModelError([f"not valid YAML: {exc}"]) from None
    if not isinstance(raw, dict):
        raise PrivacyModelError(["the model must be a mapping with controller, activities, ..."])
    try:
        return PrivacyModel.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = _entry_name(raw, tuple(error["loc"]))
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "missing":
                message = "is required"
            elif error["type"] == "literal_error":
                message = f"{message} (got {error.get('input')!r})"
            problems.append(f"{where}: {message}" if where else message)
        raise PrivacyModelError(problems) from None


def load_model(path: Path | None = None) -> PrivacyModel:
    return parse_model((path or MODEL_FILE).read_text(encoding="utf-8"))
