"""The privacy model's promises on the board (``spine.promises``): P1, P5, P12, P13, P15.

The mismatches of ``policy check`` are quoted as that command prints them (in English).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from privacydesk.audit.models import AuditEntry
from privacydesk.policy import checks, services
from privacydesk.policy.schema import PrivacyModelError
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
    since = timezone.now() - timedelta(hours=25)
    last = AuditEntry.objects.filter(action="retention.swept").order_by("-id").first()
    if last is None:
        return Finding(False, _("the retention sweep has never run"))
    when = timezone.localtime(last.at).isoformat(timespec="minutes")
    if last.at < since:
        return Finding(
            False,
            format_lazy(_("the retention sweep last ran at {when}, over a day ago"), when=when),
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
