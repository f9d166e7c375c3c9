"""The privacy model's promise checks: does the software still do what the published text says?

Django system checks tagged ``privacydesk`` (``spine.checks``), run by ``privacydesk policy
check``. They compare the privacy model, the published policy and the running configuration
(P2, P15); each mismatch is one sentence naming what differs. Other apps add their own
checks in their ``checks.py``; ``retention_follows`` is the one for a retention setting.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core import checks

from privacydesk.policy import services
from privacydesk.policy.models import ModelRevision
from privacydesk.policy.schema import PrivacyModel, PrivacyModelError
from privacydesk.spine import registry
from privacydesk.spine.checks import TAG, problems

Check = Callable[..., list[checks.CheckMessage]]


def run_checks() -> list[str]:
    """Every installed app's promise checks, as sentences (``privacydesk policy check``)."""
    return problems()


def site_cookie_names() -> set[str]:
    """Every cookie name this installation can set."""
    names = {
        settings.SESSION_COOKIE_NAME,
        settings.CSRF_COOKIE_NAME,
        settings.LANGUAGE_COOKIE_NAME,
    }
    names.update(getattr(settings, "PRIVACYDESK_COOKIES", ()))
    return names


def _model() -> PrivacyModel | None:
    """The model, or None when it does not load (``model_is_published`` says why)."""
    try:
        return services.current_model()
    except PrivacyModelError:
        return None


@checks.register(TAG, deploy=True)
def model_is_published(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    """The model loads, the database holds it, and the published text is what it renders."""
    if not databases:
        return []
    try:
        model = services.current_model()
    except PrivacyModelError as exc:
        return [
            checks.Error(f"privacy model does not load: {p}", id="policy.E001")
            for p in exc.problems
        ]
    problems: list[str] = []
    sha = services.model_sha256(model)

    latest_revision = ModelRevision.objects.order_by("-loaded_at", "-id").first()
    if latest_revision is None or latest_revision.sha256 != sha:
        problems.append(
            "the privacy model file changed since it was loaded: run privacydesk migrate"
        )
    latest = services.latest_version()
    if latest is None or latest.revision is None:
        problems.append("no policy version rendered from the model is published")
    else:
        if latest.revision.sha256 != sha:
            problems.append(
                f"published policy v{latest.number} was rendered from an older privacy model: "
                "publish a new version"
            )
        for lang in services.LANGS:
            now = services.render_policy(
                model, lang, version=latest.number, effective=latest.effective_date
            )
            if now != latest.html(lang):
                problems.append(
                    f"published policy v{latest.number} ({lang}) differs from the current "
                    "policy text: publish a new version"
                )
    return [checks.Error(p, id="policy.E002") for p in problems]


@checks.register(TAG, deploy=True)
def cookies_are_declared(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    """Every cookie the site can set is in the cookie statement (P13)."""
    model = _model() if databases else None
    if model is None:
        return []
    declared = {name for c in model.cookies for name in (c.name, *c.aliases)}
    return [
        checks.Error(
            f"cookie {name!r} can be set by the site but is not declared", id="policy.E003"
        )
        for name in sorted(site_cookie_names() - declared)
    ]


@checks.register(TAG, deploy=True)
def registry_is_complete(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    """Every declaration belongs to an activity of the model; every model is declared (P1)."""
    model = _model() if databases else None
    if model is None:
        return []
    activity_ids = {a.id for a in model.activities}
    problems = [
        f"{src.label} is declared for unknown activity {src.activity!r}"
        for src in registry.sources()
        if src.activity not in activity_ids
    ]
    problems += [
        f"model {missing} holds personal-looking fields but is not declared"
        for missing in registry.undeclared_models()
    ]
    return [checks.Error(p, id="policy.E004") for p in problems]


def retention_follows(activity: str, *, setting: str, variable: str, what: str, id: str) -> Check:
    """Register a check that the setting ``setting`` (read from the environment variable
    ``variable``) equals the retention of ``activity`` in the privacy model: an app that keeps
    its own retention setting declares this in its ``checks.py`` (P12)."""

    def retention_is_the_policys(
        app_configs=None, databases=None, **kwargs
    ) -> list[checks.CheckMessage]:
        model = _model() if databases else None
        if model is None:
            return []
        promised = model.activity(activity).retention.duration
        configured = getattr(settings, setting)
        if configured == promised:
            return []
        return [
            checks.Error(
                f"{what} in settings is {configured} ({variable}) but the privacy policy "
                f"says {promised}",
                id=id,
            )
        ]

    retention_is_the_policys.__qualname__ = f"retention_is_the_policys[{activity}]"
    checks.register(retention_is_the_policys, TAG, deploy=True)
    return retention_is_the_policys


@checks.register(TAG, deploy=True)
def processors_are_known(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    """Every processor an activity names is in the model or in a processor register (P9)."""
    model = _model() if databases else None
    if model is None:
        return []
    return [
        checks.Error(
            f"activity {activity.id} names processor {p.id!r}, which is in no processor register",
            id="policy.E005",
        )
        for activity in model.activities
        for p in services.processor_views(model, activity.processors, "en")
        if not p.known
    ]
