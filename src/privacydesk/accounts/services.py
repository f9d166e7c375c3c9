"""Staff sign-in: password first (throttled by django-axes), then a TOTP code (P3).

Every staff account needs a confirmed TOTP device; the first sign-in enrols one by QR code.
"""

from __future__ import annotations

import base64

import segno
from django.db import transaction
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from privacydesk.audit.services import actor_for, record


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def pending_device(user) -> TOTPDevice:
    """The unconfirmed device being enrolled for ``user``, created on first use."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Privacydesk", confirmed=False)
    return device


def enrolment_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG QR code for authenticator apps."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#111")


def enrolment_secret(device: TOTPDevice) -> str:
    """The shared secret in base32, for typing into an app that cannot scan."""
    raw = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def _clean(token: str) -> str:
    return "".join(ch for ch in token if ch.isdigit())


def verify_second_factor(request, *, token: str) -> bool:
    """Check a code against the user's confirmed device; on success the session is verified."""
    user = request.user
    device = confirmed_device(user)
    if device is None:
        return False
    allowed, _ = device.verify_is_allowed()
    ok = bool(allowed) and device.verify_token(_clean(token))
    record(actor=actor_for(user), action="staff.2fa_ok" if ok else "staff.2fa_failed", obj=user)
    if ok:
        otp_login(request, device)
    return ok


@transaction.atomic
def confirm_enrolment(request, *, token: str) -> bool:
    """Confirm the pending device with a first code; on success the session is verified."""
    user = request.user
    device = pending_device(user)
    if not device.verify_token(_clean(token)):
        record(actor=actor_for(user), action="staff.2fa_enrol_failed", obj=user)
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    record(actor=actor_for(user), action="staff.2fa_enrolled", obj=user)
    otp_login(request, device)
    return True
