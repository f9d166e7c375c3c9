"""Personal data of staff and of sign-in security (P1, P3)."""

from django.db.models import Q

from privacydesk.spine.registry import ModelData, exempt, register


def _attempts_of(email: str) -> Q:
    """Sign-in attempts made with this address or with the user name of its staff account."""
    from django.contrib.auth import get_user_model

    names = get_user_model().objects.filter(email__iexact=email).values("username")
    return Q(username__iexact=email) | Q(username__in=names)


register(
    ModelData(
        model="accounts.User",
        activity="staff_access",
        fields=("username", "first_name", "last_name", "email", "last_login", "date_joined"),
        lookups={"email": "email__iexact"},
        retention_field="deactivated_at",
        retention_filter={"is_active": False},
        erasure="anonymise",
        # The row stays (audit entries refer to user:<id>); nothing of the person remains.
        anonymised={
            "username": lambda user: f"erased-{user.pk}",
            "first_name": "",
            "last_name": "",
            "email": "",
            "is_active": False,
        },
        rectifiable=("first_name", "last_name", "email"),
    ),
    ModelData(
        model="otp_totp.TOTPDevice",
        activity="staff_access",
        fields=("name", "confirmed", "created_at", "last_used_at"),
        parent="accounts.User",
        parent_field="user",
        retention_field="user__deactivated_at",
        retention_filter={"user__is_active": False},
    ),
    ModelData(
        model="admin.LogEntry",
        activity="staff_access",
        fields=("action_time", "object_repr", "change_message"),
        parent="accounts.User",
        parent_field="user",
        retention_field="action_time",
    ),
    ModelData(
        model="sessions.Session",
        activity="fraud_and_network_security",
        fields=("expire_date",),
        retention_field="expire_date",
    ),
    *(
        ModelData(
            model=f"axes.{name}",
            activity="fraud_and_network_security",
            fields=("attempt_time", "ip_address", "user_agent", "username"),
            # Staff sign in with their user name: attempts are found by it too.
            lookups={"email": _attempts_of},
            retention_field="attempt_time",
        )
        for name in ("AccessAttempt", "AccessLog", "AccessFailureLog")
    ),
)
exempt("auth.Group", "role names (technician, sales, ...), not about a person")
exempt("auth.Permission", "permission names, not about a person")
