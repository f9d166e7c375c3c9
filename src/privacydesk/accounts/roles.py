"""Staff roles with least privilege (DESIGN.md section 7, promise P3).

A role is a Django group whose permissions are exactly those the installed apps grant it in
their ``grants.py`` (``privacydesk.spine.roles``); ``sync_roles`` makes the database agree
after every migration, so a permission granted by hand in the admin does not survive.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import transaction
from django.utils.functional import Promise

from privacydesk.spine.roles import ADMIN, LABELS, PRIVACY_OFFICER, SALES, TECHNICIAN, grants

# The role names are the spine's; they are imported from here too, with the rest of the API.
__all__ = [
    "ADMIN",
    "PRIVACY_OFFICER",
    "ROLES",
    "SALES",
    "TECHNICIAN",
    "Role",
    "assign_role",
    "assigning_role",
    "describe_roles",
    "role_of",
    "roles_in_database",
    "sync_roles",
    "sync_roles_after_migrate",
]


@dataclass(frozen=True)
class Role:
    name: str
    label: Promise

    @property
    def permissions(self) -> frozenset[str]:
        """What the installed apps grant this role now."""
        return grants()[self.name]


ROLES: dict[str, Role] = {name: Role(name, label) for name, label in LABELS.items()}


def role_of(user) -> str | None:
    """The single role of ``user``, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    names = [g.name for g in user.groups.all() if g.name in ROLES]
    return names[0] if len(names) == 1 else None


def roles_in_database(user_pk) -> list[str]:
    """The role groups ``user_pk`` has in the database now (no cached relation)."""
    from django.contrib.auth.models import Group

    return sorted(
        Group.objects.filter(user__pk=user_pk, name__in=ROLES).values_list("name", flat=True)
    )


def sync_roles(*, using: str = "default") -> None:
    """Create the role groups and set their permissions to exactly the declared ones."""
    from django.contrib.auth.models import Group, Permission

    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    granted = grants()
    with transaction.atomic(using=using):
        for role in ROLES.values():
            group, _created = Group.objects.using(using).get_or_create(name=role.name)
            wanted = []
            for dotted in sorted(granted[role.name]):
                app_label, codename = dotted.split(".", 1)
                perm = (
                    Permission.objects.using(using)
                    .filter(content_type__app_label=app_label, codename=codename)
                    .first()
                )
                if perm is None:
                    raise LookupError(f"Role {role.name} names unknown permission {dotted}")
                wanted.append(perm)
            group.permissions.set(wanted)


def sync_roles_after_migrate(sender, using: str = "default", **kwargs) -> None:
    sync_roles(using=using)


def describe_roles(names: list[str]) -> str | list[str] | None:
    """A user's role groups for an audit entry: the role, None, or a list (only for rows
    from before one role was enforced)."""
    if not names:
        return None
    return names[0] if len(names) == 1 else names


# While assign_role swaps a user's role group, the m2m signal in accounts/signals.py neither
# refuses the intermediate state nor audits it: assign_role records the change once itself.
_assigning: ContextVar[bool] = ContextVar("privacydesk_assigning_role", default=False)


def assigning_role() -> bool:
    return _assigning.get()


def assign_role(user, role: str, *, actor: str = "system:accounts") -> bool:
    """Give ``user`` exactly one role (replacing any other role group); True when it changed.

    Every change is one ``staff.role_changed`` audit entry with the old and the new role, in
    the same transaction (P3: who gave whom which powers is on record).
    """
    from django.contrib.auth.models import Group

    from privacydesk.audit.services import record

    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}")
    with transaction.atomic():
        before = roles_in_database(user.pk)
        if before == [role]:
            return False
        token = _assigning.set(True)
        try:
            user.groups.remove(*Group.objects.filter(name__in=ROLES).exclude(name=role))
            user.groups.add(Group.objects.get(name=role))
        finally:
            _assigning.reset(token)
        record(
            actor=actor,
            action="staff.role_changed",
            obj=user,
            subject=f"{user._meta.label}:{user.pk}",
            detail={"old": describe_roles(before), "new": role},
        )
    return True
