"""The pages each app hangs under /staff/, from its own ``staff.py``.

The way healthchecks' integrations each own their ``urls.py``: an app lists its back-office
pages as ``urlpatterns`` of plain ``path()`` entries, and the shell (``backoffice.site``)
mounts them under /staff/, in the ``admin`` namespace (``admin:vault_jobs``), each view
wrapped with the site's ``admin_view``: a signed-in, verified (password and TOTP) staff
session, never cached. Whether the person's role may see the page is the view's own check.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern

from privacydesk.spine.plugins import app_modules

STAFF_MODULE = "staff"
View = Callable[..., object]


def staff_urlpatterns(wrap: Callable[[View], View]) -> list[URLPattern]:
    """Every installed app's staff pages, each view passed through ``wrap``.

    Two apps naming a page alike would make ``reverse`` pick one silently: that is refused.
    """
    patterns: list[URLPattern] = []
    owners: dict[str, str] = {}
    for _config, module in app_modules(STAFF_MODULE):
        declared = getattr(module, "urlpatterns", None)
        if declared is None:
            raise ImproperlyConfigured(f"{module.__name__} must define urlpatterns")
        for entry in declared:
            if not isinstance(entry, URLPattern):
                raise ImproperlyConfigured(
                    f"{module.__name__}: staff pages are path() entries, not include()"
                )
            if entry.name in owners:
                raise ImproperlyConfigured(
                    f"{module.__name__}: staff page name {entry.name!r} is taken by "
                    f"{owners[entry.name]}"
                )
            if entry.name:
                owners[entry.name] = module.__name__
            patterns.append(
                URLPattern(entry.pattern, wrap(entry.callback), entry.default_args, entry.name)
            )
    return patterns
