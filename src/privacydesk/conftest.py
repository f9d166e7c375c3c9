"""Fixtures shared by every app's tests: staff users per role, verified sessions, temp dirs."""

from __future__ import annotations

import pytest
from django.conf import settings

from privacydesk.audit.tests.support import audit_log_flushable
from privacydesk.testing import make_staff, sign_in_verified
from privacydesk.testing.smtp import smtp, smtp_sink

# audit_log_flushable (autouse) lets transactional tests empty the audit log; smtp and
# smtp_sink are the real SMTP server every app's tests may use (privacydesk.testing.smtp).
__all__ = ["audit_log_flushable", "smtp", "smtp_sink"]


# Argon2 is the production hasher; hashing with it for every test user cost about three
# quarters of the suite's time. Tests hash with MD5 unless they are about hashing
# (``@pytest.mark.real_hasher``); subprocesses keep the production list, which verifies neither.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_password_hasher(request, settings):
    if request.node.get_closest_marker("real_hasher") is None:
        settings.PASSWORD_HASHERS = FAST_HASHERS + list(settings.PASSWORD_HASHERS)


@pytest.fixture(autouse=True)
def _private_dirs(settings, tmp_path):
    """Each test writes outbox, media and keyring files into its own temporary folder."""
    settings.OUTBOX_DIR = tmp_path / "outbox"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.KEYRING_DIR = tmp_path / "keyring"
    settings.JOBS_RETRY_DELAY_SECONDS = 0


@pytest.fixture(autouse=True)
def _fresh_flood_counts():
    """Each test starts with the cookie banner's flood counts at zero: every test client posts
    its decisions from 127.0.0.1, and one process runs many tests in a minute."""
    from privacydesk.consent import services

    services._per_network.counts.clear()
    services._per_consent_id.counts.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's default language: a request in English leaves its
    language active in the thread (the locale middleware does not undo it)."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def staff(db):
    """``staff("admin")`` makes a staff user with that role (and a confirmed TOTP device)."""
    return make_staff


@pytest.fixture
def staff_client(db, client):
    """``staff_client("sales")`` returns a test client signed in with password and TOTP."""

    def signed_in(role: str, client=client):
        user = make_staff(role)
        sign_in_verified(client, user)
        client.user = user
        return client

    return signed_in


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, launched once for the whole session (privacydesk.testing.chromium)."""
    from privacydesk.testing.chromium import launch

    with launch() as running:
        yield running


@pytest.fixture
def pages(browser, live_server):
    """``pages.open("en")`` is a fresh browser tab on the live server, in that language."""
    from privacydesk.testing.browser import Pages

    opened = Pages(browser, live_server.url)
    yield opened
    opened.close()


def pytest_report_header(config):
    return f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"
