"""The four staff roles (DESIGN.md section 7) and the permissions each app grants them (P3).

The role names belong to the spine, so that an app can say what each role may do with its
own records without importing ``accounts``. An app declares its grants in ``grants.py``::

    from privacydesk.spine.roles import ADMIN, TECHNICIAN

    GRANTS = {
        TECHNICIAN: {"vault.add_recoveryjob", ...},
        ADMIN: {"vault.view_recoveryjob", ...},
    }

A role's permissions are the union over the installed apps; ``accounts.roles.sync_roles``
makes the role groups hold exactly these after every migration (least privilege: a
permission granted by hand does not survive).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from privacydesk.spine.plugins import app_modules

TECHNICIAN = "technician"
SALES = "sales"
PRIVACY_OFFICER = "privacy_officer"
ADMIN = "admin"

#: Every role, in the order forms offer them, with its name in the page's language.
LABELS: dict[str, Promise] = {
    TECHNICIAN: _("Technician"),
    SALES: _("Sales"),
    PRIVACY_OFFICER: _("Privacy officer"),
    ADMIN: _("Administrator"),
}

GRANTS_MODULE = "grants"
_PERMISSION = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")


def grants() -> dict[str, frozenset[str]]:
    """Each role's permissions (``app_label.codename``): the union of every app's ``GRANTS``."""
    found: dict[str, set[str]] = {name: set() for name in LABELS}
    for _config, module in app_modules(GRANTS_MODULE):
        declared = getattr(module, "GRANTS", None)
        if not isinstance(declared, Mapping):
            raise ImproperlyConfigured(f"{module.__name__} must define GRANTS, a dict per role")
        for role, permissions in declared.items():
            if role not in found:
                raise ImproperlyConfigured(f"{module.__name__} grants to unknown role {role!r}")
            if isinstance(permissions, str):
                raise ImproperlyConfigured(f"{module.__name__}: {role} needs a set, not a string")
            for permission in permissions:
                if not _PERMISSION.match(permission):
                    raise ImproperlyConfigured(
                        f"{module.__name__}: {permission!r} is not app_label.codename"
                    )
            found[role].update(permissions)
    return {role: frozenset(permissions) for role, permissions in found.items()}


def permissions_for(role: str) -> frozenset[str]:
    return grants()[role]
