"""Helpers for tests across apps (kept in the package so subprocess tests can import them)."""

from __future__ import annotations

import itertools
import socket

import pytest
from django.conf import settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from privacydesk.accounts.roles import assign_role

_counter = itertools.count(1)
PASSWORD = "correct horse battery staple 42"

requires_postgres = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="PostgreSQL-only behaviour; .ci/run runs the suite on PostgreSQL too",
)


def make_staff(role: str, *, with_device: bool = True, username: str | None = None):
    """A staff user with exactly ``role`` and (by default) a confirmed TOTP device."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(
        username=username or f"{role}{next(_counter)}", password=PASSWORD, is_staff=True
    )
    assign_role(user, role)
    if with_device:
        TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    return user


def sign_in_verified(client, user) -> None:
    """Sign ``client`` in as ``user`` with the second factor already verified."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def totp_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows now (or ``steps_ahead`` periods later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings_with(environ: dict[str, str]) -> dict:
    """The names ``privacydesk/settings.py`` defines when run with ``environ`` as the whole
    environment: what a process started with it would get, without starting one (a bad value
    raises ``ImproperlyConfigured`` here as it would stop the start-up). The running test's
    settings are not touched."""
    import os
    import runpy
    from pathlib import Path
    from unittest import mock

    with mock.patch.dict(os.environ, environ, clear=True):
        return runpy.run_path(str(Path(__file__).parent.parent / "settings.py"))
