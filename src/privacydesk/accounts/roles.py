"""Staff roles with least privilege (DESIGN.md section 7, promise P3).

A role is a Django group whose permissions are exactly the ones listed here; ``sync_roles``
makes the database agree after every migration, so a permission granted by hand in the admin
does not survive. Later domains add their rows to ``ROLE_PERMISSIONS`` when they arrive.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import transaction
from django.utils.translation import gettext_lazy as _

TECHNICIAN = "technician"
SALES = "sales"
PRIVACY_OFFICER = "privacy_officer"
ADMIN = "admin"


@dataclass(frozen=True)
class Role:
    name: str
    label: str
    permissions: frozenset[str]


_STAFF_ADMIN = {
    # users, keys and settings: admin only
    "accounts.view_user",
    "accounts.add_user",
    "accounts.change_user",
    "otp_totp.view_totpdevice",
    "otp_totp.delete_totpdevice",
    "axes.view_accessattempt",
    "axes.delete_accessattempt",
    "django_tasks_database.view_dbtaskresult",
    "jobs.view_periodicrun",
    "jobs.view_workerheartbeat",
}
_AUDIT_READ = {"audit.view_auditentry"}
_POLICY_READ = {
    "policy.view_processingactivity",
    "policy.view_policyversion",
    "policy.view_modelrevision",
}
_OUTBOX_READ = {"backoffice.view_outbox"}

_VAULT_METADATA = {
    "vault.view_recoveryjob",
    "vault.view_vaultitem",
    "vault.view_deletioncertificate",
}
_VAULT_WORK = _VAULT_METADATA | {
    "vault.add_recoveryjob",
    "vault.change_recoveryjob",
    "vault.add_vaultitem",
    "vault.unlock_portal",
}

ROLE_PERMISSIONS: dict[str, set[str]] = {
    TECHNICIAN: _VAULT_WORK,
    SALES: set(),
    PRIVACY_OFFICER: _AUDIT_READ
    | _OUTBOX_READ
    | _POLICY_READ
    | _VAULT_METADATA
    | {"vault.hold_vaultitem"},
    ADMIN: _STAFF_ADMIN
    | _AUDIT_READ
    | _OUTBOX_READ
    | _POLICY_READ
    | _VAULT_METADATA
    | {"vault.unlock_portal", "vault.export_key_vaultitem"},
}

ROLES: dict[str, Role] = {
    TECHNICIAN: Role(TECHNICIAN, _("Technician"), frozenset(ROLE_PERMISSIONS[TECHNICIAN])),
    SALES: Role(SALES, _("Sales"), frozenset(ROLE_PERMISSIONS[SALES])),
    PRIVACY_OFFICER: Role(
        PRIVACY_OFFICER, _("Privacy officer"), frozenset(ROLE_PERMISSIONS[PRIVACY_OFFICER])
    ),
    ADMIN: Role(ADMIN, _("Administrator"), frozenset(ROLE_PERMISSIONS[ADMIN])),
}


def role_of(user) -> str | None:
    """The single role of ``user``, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    names = [g.name for g in user.groups.all() if g.name in ROLES]
    return names[0] if len(names) == 1 else None


def sync_roles(*, using: str = "default") -> None:
    """Create the role groups and set their permissions to exactly the declared ones."""
    from django.contrib.auth.models import Group, Permission

    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    with transaction.atomic(using=using):
        for role in ROLES.values():
            group, _created = Group.objects.using(using).get_or_create(name=role.name)
            wanted = []
            for dotted in sorted(role.permissions):
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


def assign_role(user, role: str) -> None:
    """Give ``user`` exactly one role (replacing any other role group)."""
    from django.contrib.auth.models import Group

    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}")
    with transaction.atomic():
        user.groups.remove(*Group.objects.filter(name__in=ROLES))
        user.groups.add(Group.objects.get(name=role))
