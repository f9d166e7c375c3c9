"""``privacydesk policy check``: does the software still do what the published text says?

Compares the privacy model, the published policy and the running configuration (P2, P15).
Each mismatch is one sentence naming what differs.
"""

from __future__ import annotations

from django.conf import settings

from privacydesk.policy import registry, services
from privacydesk.policy.models import ModelRevision
from privacydesk.policy.schema import PrivacyModelError


def site_cookie_names() -> set[str]:
    """Every cookie name this installation can set."""
    names = {
        settings.SESSION_COOKIE_NAME,
        settings.CSRF_COOKIE_NAME,
        settings.LANGUAGE_COOKIE_NAME,
    }
    names.update(getattr(settings, "PRIVACYDESK_COOKIES", ()))
    return names


def run_checks() -> list[str]:
    try:
        model = services.current_model()
    except PrivacyModelError as exc:
        return [f"privacy model does not load: {p}" for p in exc.problems]
    problems: list[str] = []
    sha = services.model_sha256(model)

    # The model in the database is the model in the repository.
    latest_revision = ModelRevision.objects.order_by("-loaded_at", "-id").first()
    if latest_revision is None or latest_revision.sha256 != sha:
        problems.append(
            "the privacy model file changed since it was loaded: run privacydesk migrate"
        )

    # The published text is what the model and templates render today.
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

    # The running configuration keeps the promises the text makes.
    vault = model.activity("recovery_vault").retention.duration
    if vault != settings.VAULT_RETENTION:
        problems.append(
            f"vault retention in settings is {settings.VAULT_RETENTION} "
            f"(PRIVACYDESK_VAULT_RETENTION) but the privacy policy says {vault}"
        )
    declared = {name for c in model.cookies for name in (c.name, *c.aliases)}
    for name in sorted(site_cookie_names() - declared):
        problems.append(f"cookie {name!r} can be set by the site but is not declared")

    # Every declaration in the registry belongs to an activity of the model.
    activity_ids = {a.id for a in model.activities}
    for src in registry.sources():
        if src.activity not in activity_ids:
            problems.append(f"{src.label} is declared for unknown activity {src.activity!r}")
    for missing in registry.undeclared_models():
        problems.append(f"model {missing} holds personal-looking fields but is not declared")
    return problems
