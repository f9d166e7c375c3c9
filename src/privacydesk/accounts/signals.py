"""Sign-in events and role changes go to the audit log (P3).

A failed sign-in names the account that was tried by reference only: ``accounts.User:<pk>``
when the account exists, a keyed hash (``subject_ref``) of the typed name when it does not,
so a typed password or someone's e-mail address in the username field never reaches the log.

A staff user has exactly one role. The model layer enforces it: adding a second role group to
a user, from either side of the relation, raises :class:`TooManyRoles`, and every change of
a user's role that does not go through :func:`roles.assign_role` is audited here.
"""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.exceptions import ValidationError
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from privacydesk.accounts.models import User
from privacydesk.accounts.roles import ROLES, assigning_role, describe_roles, roles_in_database
from privacydesk.audit.services import actor_for, record, subject_ref


class TooManyRoles(ValidationError):
    """A staff user would hold two roles (e.g. admin and privacy officer)."""


def account_reference(username: str | None) -> tuple[User | None, str]:
    """The account a typed username names, and a reference to it fit for the audit log."""
    name = (username or "").strip()
    user = User._default_manager.filter(**{User.USERNAME_FIELD: name}).first() if name else None
    if user is not None:
        return user, f"{User._meta.label}:{user.pk}"
    return None, subject_ref("username", name) if name else ""


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    record(actor=actor_for(user), action="staff.login", obj=user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(actor=actor_for(user), action="staff.logout", obj=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    """Runs after axes has counted the failure (axes' receiver is connected first)."""
    from django.conf import settings

    user, ref = account_reference((credentials or {}).get(User.USERNAME_FIELD))
    detail = {}
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is not None:
        detail["attempts_left"] = max(0, settings.AXES_FAILURE_LIMIT - failures)
    record(actor="anonymous", action="staff.login_failed", obj=user, subject=ref, detail=detail)


@receiver(user_locked_out)
def _locked_out(sender, request=None, username=None, **kwargs):
    user, ref = account_reference(username)
    record(actor="anonymous", action="staff.locked_out", obj=user, subject=ref)


def _role_group_pks(pk_set) -> set[int]:
    return set(
        Group.objects.filter(pk__in=pk_set or (), name__in=ROLES).values_list("pk", flat=True)
    )


@receiver(m2m_changed, sender=User.groups.through)
def _one_role(sender, instance, action, reverse, model, pk_set, **kwargs):
    """Refuse a second role group; audit role changes made around ``assign_role``."""
    if assigning_role():
        return
    if reverse:  # group.user_set.add(...): instance is the group, pk_set the users
        if not (isinstance(instance, Group) and instance.name in ROLES):
            return
        user_pks = set(pk_set or ()) or set(instance.user_set.values_list("pk", flat=True))
        role_pks = {instance.pk}
    else:
        user_pks = {instance.pk}
        role_pks = _role_group_pks(pk_set) if action != "pre_clear" else set()
        if action in ("pre_add", "post_add", "pre_remove", "post_remove") and not role_pks:
            return
    if action.startswith("pre_"):
        if action == "pre_add":
            _refuse_second_role(user_pks, role_pks)
        instance._privacydesk_roles_before = {pk: roles_in_database(pk) for pk in user_pks}
        return
    before = getattr(instance, "_privacydesk_roles_before", {})
    for pk in sorted(user_pks | set(before)):
        old, new = before.get(pk, []), roles_in_database(pk)
        if old != new:
            record(
                actor="system:accounts",
                action="staff.role_changed",
                object_type=User._meta.label,
                object_id=str(pk),
                subject=f"{User._meta.label}:{pk}",
                detail={"old": describe_roles(old), "new": describe_roles(new)},
            )


def _refuse_second_role(user_pks: set[int], role_pks: set[int]) -> None:
    if not role_pks:
        return
    if len(role_pks) > 1:
        raise TooManyRoles("A staff member has exactly one role.", code="too_many_roles")
    held = (
        User.groups.through.objects.filter(user_id__in=user_pks, group__name__in=ROLES)
        .exclude(group_id__in=role_pks)
        .exists()
    )
    if held:
        raise TooManyRoles(
            "A staff member has exactly one role; use assign_role to change it.",
            code="too_many_roles",
        )
