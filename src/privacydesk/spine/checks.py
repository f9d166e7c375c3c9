"""The promise checks: Django system checks tagged ``privacydesk`` (P2, P15).

Each app registers, in its own ``checks.py``, the checks that compare what the published
policy promises with what the running software does::

    from django.core import checks
    from privacydesk.spine.checks import TAG

    @checks.register(TAG, deploy=True)
    def my_promise(app_configs=None, databases=None, **kwargs):
        if not databases:
            return []  # Django's convention: no database unless asked
        ...
        return [checks.Error("one sentence naming what differs", id="myapp.E001")]

They are deployment checks that read the database, so ``migrate`` and ``runserver`` do not
run them; ``privacydesk policy check`` (and ``privacydesk check --deploy --tag privacydesk
--database default``) does.
"""

from __future__ import annotations

from django.apps import apps
from django.core import checks
from django.db import DEFAULT_DB_ALIAS

TAG = "privacydesk"


def problems() -> list[str]:
    """Every installed app's promise checks, run now: one sentence per mismatch.

    Ordered by app (``INSTALLED_APPS``), then by message id; each check's own order is kept.
    """
    found = checks.run_checks(
        tags=[TAG], include_deployment_checks=True, databases=[DEFAULT_DB_ALIAS]
    )
    order = {config.label: i for i, config in enumerate(apps.get_app_configs())}

    def key(message: checks.CheckMessage) -> tuple[int, str]:
        label = (message.id or "").split(".", 1)[0]
        return order.get(label, len(order)), message.id or ""

    return [m.msg for m in sorted(found, key=key) if m.level >= checks.WARNING]
