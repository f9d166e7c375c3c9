"""Staff roles with least privilege (DESIGN.md section 7, promise P3).

A role is a Django group whose permissions are exactly the ones listed here; ``sync_roles``
makes the database agree after every migration, so a permission granted by hand in the admin
does not survive. Later domains add their rows to ``ROLE_PERMISSIONS`` when they arrive.
"""

from __future__ import annotations

from contextvars import ContextVar
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
    "axes.view_accesslog",
    "axes.view_accessfailurelog",
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
