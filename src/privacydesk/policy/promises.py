"""The privacy model's promises on the board (``spine.promises``): P1, P2, P5, P10, P12, P13,
P15.

The mismatches of ``policy check`` are quoted as that command prints them (in English).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from privacydesk.audit.models import AuditEntry
from privacydesk.policy import checks, labels, register, services
from privacydesk.policy.schema import PrivacyModelError
from privacydesk.policy.tasks import SWEEP_AT
from privacydesk.spine import registry
from privacydesk.spine.promises import Finding, keeps


def _messages(check) -> list[str]:
    return [m.msg for m in check(databases=["default"])]


def _mismatch(problems: list[str]) -> Finding:
    return Finding(False, format_lazy(_("policy check: {problems}"), problems="; ".join(problems)))


@keeps("P1")
def every_model_is_declared() -> Finding:
    missing = registry.undeclared_models()
    if missing:
        return Finding(
            False,
            format_lazy(
                _("models not declared in the registry: {models}"), models=", ".join(missing)
            ),
        )
    return Finding(
        True,
        format_lazy(
            _("{count} sources declared; every model with personal data is"),
            count=len(registry.sources()),
        ),
    )


@keeps("P5")
def every_declaration_has_an_activity() -> Finding:
    problems = _messages(checks.registry_is_complete)
    if problems:
        return _mismatch(problems)
    try:
        model = services.current_model()
    except PrivacyModelError:
        return Finding(False, _("the privacy model does not load"))
    return Finding(
        True,
        format_lazy(
            _("{count} activities, each with purpose, legal basis and retention"),
            count=len(model.activities),
        ),
    )


@keeps("P12")
def the_retention_sweep_ran_today() -> Finding:
    """A sweep finished (audited ``retention.swept``) on today's local calendar date
    (``TIME_ZONE``, Europe/Amsterdam): yesterday evening's run does not count for today, except
    in the hour after today's run is due (``SWEEP_AT``, 00:15), while it runs."""
    last = AuditEntry.objects.filter(action="retention.swept").order_by("-id").first()
    if last is None:
        return Finding(False, _("the retention sweep has never run"))
    when = timezone.localtime(last.at).isoformat(timespec="minutes")
    now = timezone.localtime()
    today = now.date()
    # Until an hour after today's run is due (SWEEP_AT), yesterday's run still counts.
    due = now.replace(hour=SWEEP_AT.hour, minute=SWEEP_AT.minute, second=0, microsecond=0)
    if now < due + timedelta(hours=1):
        today -= timedelta(days=1)
    if timezone.localdate(last.at) < today:
        return Finding(
            False,
            format_lazy(
                _("the retention sweep has not run today; it last ran at {when}"), when=when
            ),
        )
    return Finding(True, format_lazy(_("the retention sweep last ran at {when}"), when=when))


@keeps("P13")
def every_cookie_is_explained() -> Finding:
    problems = _messages(checks.cookies_are_declared)
    if problems:
        return _mismatch(problems)
    return Finding(True, _("every cookie the site can set is in the cookie statement"))


@keeps("P15")
def the_published_policy_matches_the_model() -> Finding:
    problems = _messages(checks.model_is_published)
    if problems:
        return _mismatch(problems)
    latest = services.latest_version()
    return Finding(
        True,
        format_lazy(
            _("published version {number} is the current model's text"), number=latest.number
        ),
    )


#: The columns of the Art. 30 register that say "none" rather than stay empty.
_MAY_BE_NONE = {"recipients", "processors", "transfers"}


@keeps("P2")
def the_article_30_register_is_complete() -> Finding:
    """The record of processing activities (Art. 30(1)) builds in both languages, with every
    column filled, a known legal basis (Art. 6(1)) and a retention for every activity."""
    try:
        model = services.current_model()
    except PrivacyModelError:
        return Finding(False, _("the privacy model does not load"))
    problems = _messages(checks.processors_are_known)
    for lang in services.LANGS:
        for activity, row in zip(
            model.activities, register.register_rows(model, lang), strict=True
        ):
            empty = sorted(k for k, v in row.items() if not v.strip() and k not in _MAY_BE_NONE)
            if empty:
                problems.append(
                    f"Art. 30 register ({lang}), {activity.id}: empty {', '.join(empty)}"
                )
    for activity in model.activities:
        if activity.legal_basis not in labels.LEGAL_BASIS_NAMES:
            problems.append(f"activity {activity.id}: unknown legal basis {activity.legal_basis!r}")
        if not activity.retention.reason.nl.strip() or not activity.retention.reason.en.strip():
            problems.append(f"activity {activity.id}: its retention gives no reason")
    if problems:
        return Finding(
            False, format_lazy(_("Art. 30 register: {problems}"), problems="; ".join(problems))
        )
    return Finding(
        True,
        format_lazy(
            _(
                "the Art. 30 register builds in Dutch and English: {count} activities, each "
                "with its legal basis and retention"
            ),
            count=len(model.activities),
        ),
    )


#: The categories the privacy policy names (DESIGN.md, P10): business contact details,
#: information shared for a contract, website usage.
POLICY_CATEGORIES = ("contact_details", "contract_information", "website_usage")


@keeps("P10")
def every_declaration_falls_under_the_categories_of_its_activity() -> Finding:
    """Checked per declaration and activity: the registry does not map single fields to a
    category, so each declaration's activity must list at least one category the model
    defines, and each category the policy names must be held under a declared activity."""
    try:
        model = services.current_model()
    except PrivacyModelError:
        return Finding(False, _("the privacy model does not load"))
    defined = {c.id for c in model.data_categories}
    activities = {a.id: a for a in model.activities}
    problems = []
    held: set[str] = set()
    sources = registry.sources()
    for src in sources:
        activity = activities.get(src.activity)
        if activity is None:
            problems.append(f"{src.label}: unknown activity {src.activity!r}")
            continue
        listed = [c for c in activity.data_categories if c in defined]
        if not listed:
            problems.append(f"{src.label}: activity {activity.id} lists no data category")
        held.update(listed)
    for category in POLICY_CATEGORIES:
        if category not in defined:
            problems.append(f"the policy's category {category} is not in the model")
        elif category not in held:
            problems.append(f"no declared source holds the policy's category {category}")
    if problems:
        return Finding(
            False, format_lazy(_("data categories: {problems}"), problems="; ".join(problems))
        )
    return Finding(
        True,
        format_lazy(
            _(
                "{sources} declared sources, each under an activity that lists its data "
                "categories ({categories} categories held; checked per activity, not per field)"
            ),
            sources=len(sources),
            categories=len(held),
        ),
    )
