"""Staff accounts' promise on the board (``spine.promises``): P3, two-step sign-in for all."""

from django.contrib.auth import get_user_model
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from privacydesk.spine.promises import Finding, keeps


@keeps("P3")
def every_staff_account_has_two_step_sign_in() -> Finding:
    staff = get_user_model().objects.filter(is_active=True, is_staff=True)
    with_device = set(
        TOTPDevice.objects.filter(confirmed=True, user__in=staff).values_list("user_id", flat=True)
    )
    without = sorted(u.pk for u in staff if u.pk not in with_device)
    if without:
        return Finding(
            False,
            format_lazy(
                _("active staff accounts without two-step sign-in: {ids}"),
                ids=", ".join(f"#{pk}" for pk in without),
            ),
        )
    return Finding(
        True,
        format_lazy(
            _("all {count} active staff accounts use two-step sign-in"), count=len(with_device)
        ),
    )
