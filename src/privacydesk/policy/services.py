"""The privacy model's services: load it, render and publish the policy, compute retention.

The published policy (P15) is rendered from the same model that drives retention and
exports, so what the text promises and what the software does cannot drift apart unnoticed
(``policy.checks`` compares them).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from privacydesk.audit.services import record
from privacydesk.policy import labels
from privacydesk.policy.models import ModelRevision, PolicyVersion, ProcessingActivity
from privacydesk.policy.schema import (
    LEGAL_BASES,
    MODEL_FILE,
    Activity,
    PrivacyModel,
    load_model,
)
from privacydesk.policy.text import html_to_text

LANGS = ("nl", "en")
SEED_DATE = date(2018, 6, 1)
SEED_DIR = Path(__file__).with_name("data")


# -- the model --------------------------------------------------------------------------
@lru_cache(maxsize=4)
def _load_cached(path: str, mtime_ns: int) -> tuple[PrivacyModel, str]:
    model = load_model(Path(path))
    return model, model_sha256(model)


def current_model() -> PrivacyModel:
    """The validated model from the repository file (reloaded when the file changes)."""
    return _current()[0]


def _current() -> tuple[PrivacyModel, str]:
    return _load_cached(str(MODEL_FILE), MODEL_FILE.stat().st_mtime_ns)


def model_sha256(model: PrivacyModel) -> str:
    canonical = json.dumps(model.model_dump(mode="json", by_alias=True), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


@transaction.atomic
def sync_model(model: PrivacyModel | None = None) -> ModelRevision:
    """Store the model's revision and bring the processing-activity rows up to date."""
    model = model or current_model()
    sha = model_sha256(model)
    revision, _ = ModelRevision.objects.get_or_create(
        sha256=sha, defaults={"content": model.model_dump(mode="json", by_alias=True)}
    )
    keys = []
    for activity in model.activities:
        keys.append(activity.id)
        ProcessingActivity.objects.update_or_create(
            key=activity.id,
            defaults={
                "name_nl": activity.name.nl,
                "name_en": activity.name.en,
                "legal_basis": activity.legal_basis,
                "retention": activity.retention.duration,
                "retention_from": activity.retention.from_,
                "active": True,
                "revision": revision,
            },
        )
    ProcessingActivity.objects.exclude(key__in=keys).update(active=False)
    return revision


def sync_after_migrate(sender, using: str = "default", **kwargs) -> None:
    """After every migrate: load the model, keep version 1 (2018) and a first rendered version."""
    sync_model()
    ensure_seed_version()
    if PolicyVersion.objects.count() == 1:
        publish(note="Privacyvoorwaarden opgesteld uit het privacymodel.", actor="system:install")


# -- rendering ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ActivityView:
    id: str
    name: str
    purpose: str
    legal_basis: str
    legal_basis_article: str
    legal_basis_detail: str
    data_subjects: list[str]
    data_categories: list[str]
    recipients: list[str]
    processors: list[str]
    transfers: str | None
    retention: str
    retention_reason: str
    security_measures: list[str]


@dataclass(frozen=True)
class ProcessorView:
    id: str
    name: str
    service: str
    location: str
    third_country: bool
    safeguards: str
    known: bool  # False: neither the model nor a processor register knows the id


def processor_views(model: PrivacyModel, ids: list[str], lang: str) -> list[ProcessorView]:
    """The processors ``ids`` names: an id the model's own ``processors`` list describes is
    shown as written there; every other id is resolved by the processor register
    (``spine.processors``, read only when an id needs it), the one source of truth."""
    in_model = {p.id: p for p in model.processors}
    register = {}
    if any(pid not in in_model for pid in ids):
        from privacydesk.spine import processors as directory

        register = directory.entries()
    views = []
    for pid in ids:
        if pid in in_model:
            p = in_model[pid]
            views.append(
                ProcessorView(
                    pid, p.name.get(lang), p.service.get(lang), p.location, False, "", True
                )
            )
        elif pid in register:
            e = register[pid]
            views.append(
                ProcessorView(
                    pid, e.name, e.service(lang), e.location, e.third_country, e.safeguards, True
                )
            )
        else:
            views.append(ProcessorView(pid, pid, "", "", False, "", False))
    return views


def named_processor_ids(model: PrivacyModel) -> list[str]:
    """The model's processors, then every further id an activity names, in order."""
    ids = [p.id for p in model.processors]
    for activity in model.activities:
        ids += [pid for pid in activity.processors if pid not in ids]
    return ids


def activity_view(model: PrivacyModel, activity: Activity, lang: str) -> ActivityView:
    def names(collection: str, ids: list[str]) -> list[str]:
        return [model.named(collection, i).name.get(lang) for i in ids]

    return ActivityView(
        id=activity.id,
        name=activity.name.get(lang),
        purpose=activity.purpose.get(lang),
        legal_basis=labels.legal_basis_name(activity.legal_basis, lang),
        legal_basis_article=LEGAL_BASES[activity.legal_basis],
        legal_basis_detail=activity.legal_basis_detail.get(lang),
        data_subjects=names("data_subjects", activity.data_subjects),
        data_categories=names("data_categories", activity.data_categories),
        recipients=[r.get(lang) for r in activity.recipients],
        processors=[p.name for p in processor_views(model, activity.processors, lang)],
        transfers=activity.third_country_transfers.get(lang)
        if activity.third_country_transfers
        else None,
        retention=activity.retention.period.describe(lang),
        retention_reason=activity.retention.reason.get(lang),
        security_measures=names("security_measures", activity.security_measures),
    )


def policy_context(model: PrivacyModel, lang: str, *, version: int, effective: date) -> dict:
    """Everything the policy templates may use, already in ``lang``."""
    return {
        "lang": lang,
        "model": model,
        "controller": model.controller,
        "authority": model.supervisory_authority.get(lang),
        "activities": [activity_view(model, a, lang) for a in model.activities],
        "data_categories": [c.name.get(lang) for c in model.data_categories],
        "data_subjects": [c.name.get(lang) for c in model.data_subjects],
        "security_measures": [m.name.get(lang) for m in model.security_measures],
        "processors": [
            {"name": p.name, "service": p.service}
            for p in processor_views(model, named_processor_ids(model), lang)
        ],
        "cookies": cookie_rows(model, lang),
        "version": version,
        "effective_date": effective,
    }


def cookie_rows(model: PrivacyModel, lang: str) -> list[dict]:
    categories = {
        "nl": {"necessary": "Noodzakelijk", "analytics": "Statistiek", "tracking": "Tracking"},
        "en": {"necessary": "Necessary", "analytics": "Analytics", "tracking": "Tracking"},
    }[lang]
    return [
        {
            "name": c.name,
            "aliases": c.aliases,
            "category": c.category,
            "category_name": categories[c.category],
            "purpose": c.purpose.get(lang),
            "lifetime": c.lifetime.get(lang),
            "activity": model.activity(c.activity).name.get(lang),
        }
        for c in model.cookies
    ]


def render_policy(model: PrivacyModel, lang: str, *, version: int, effective: date) -> str:
    """The policy body (HTML) in ``lang``, from the model and the editorial templates."""
    with translation.override(lang):
        return render_to_string(
            f"policy/policy_{lang}.html",
            policy_context(model, lang, version=version, effective=effective),
        ).strip()


# -- versions ----------------------------------------------------------------------------
def _texts_sha(html_nl: str, html_en: str) -> str:
    return hashlib.sha256(f"{html_nl}\x00{html_en}".encode()).hexdigest()


def ensure_seed_version() -> PolicyVersion:
    """Version 1 is the policy as published on 1 June 2018, kept word for word."""
    existing = PolicyVersion.objects.filter(number=1).first()
    if existing is not None:
        return existing
    texts = {
        lang: (SEED_DIR / f"privacy-policy-2018-{lang}.txt").read_text(encoding="utf-8")
        for lang in LANGS
    }
    html = {lang: render_to_string("policy/seed.html", {"text": texts[lang]}) for lang in LANGS}
    return PolicyVersion.objects.create(
        number=1,
        published_at=timezone.make_aware(datetime(2018, 6, 1, 12, 0)),
        effective_date=SEED_DATE,
        note="Privacyvoorwaarden zoals gepubliceerd op 1 juni 2018.",
        html_nl=html["nl"],
        html_en=html["en"],
        text_nl=texts["nl"].strip(),
        text_en=texts["en"].strip(),
        sha256=_texts_sha(html["nl"], html["en"]),
    )


def latest_version() -> PolicyVersion | None:
    return PolicyVersion.objects.order_by("-number").first()


def current_version_number() -> int:
    """The version consent and subscription records name (P15)."""
    latest = latest_version()
    return latest.number if latest else 0


@transaction.atomic
def publish(*, note: str, actor: str) -> PolicyVersion:
    """Render the current model and text, store it for good as the next version."""
    note = note.strip()
    if not note:
        raise ValueError("a published version needs a change note")
    model = current_model()
    revision = sync_model(model)
    last = PolicyVersion.objects.select_for_update().order_by("-number").first()
    number = (last.number if last else 0) + 1
    today = timezone.localdate()
    html = {lang: render_policy(model, lang, version=number, effective=today) for lang in LANGS}
    version = PolicyVersion.objects.create(
        number=number,
        published_at=timezone.now(),
        effective_date=today,
        note=note,
        html_nl=html["nl"],
        html_en=html["en"],
        text_nl=html_to_text(html["nl"]),
        text_en=html_to_text(html["en"]),
        revision=revision,
        sha256=_texts_sha(html["nl"], html["en"]),
    )
    record(actor=actor, action="policy.published", obj=version, detail={"number": number})
    return version


# -- retention ---------------------------------------------------------------------------
def retention_cutoff(activity: Activity, now: datetime) -> datetime:
    """Rows whose retention date is before this moment have passed the activity's retention."""
    start = timezone.localtime(now) - activity.retention.period.delta
    if activity.retention.from_ == "end_of_fiscal_year":
        # Kept until the end of the fiscal (calendar) year plus the period.
        return timezone.make_aware(datetime(start.year, 1, 1))
    return start


def sweep_retention(*, now: datetime | None = None, actor: str = "system:retention") -> dict:
    """Apply each activity's retention to the sources declared for it (P12, P14).

    The sweep is a plan like a request's (``policy.plans``): expired keys are found first, rows
    under a legal hold are left alone, children are erased before their parents, and every
    step is recorded; an interrupted sweep is finished by the next one, which finds the rest.
    """
    from privacydesk.policy import plans
    from privacydesk.spine import registry

    now = now or timezone.now()
    model = current_model()
    cutoffs = {
        src.label: retention_cutoff(model.activity(src.activity), now) for src in registry.sources()
    }
    done = plans.run("expire", key=f"retention:{now.isoformat()}", actor=actor, cutoffs=cutoffs)
    counts = done.counts
    record(actor=actor, action="retention.swept", obj=done.plan, detail={"removed": counts})
    return counts
