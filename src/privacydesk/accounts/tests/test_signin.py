"""Staff sign-in: password, then TOTP; enrolment by QR code at first sign-in; lock-out."""

import base64
import re

import pytest
from django.contrib.auth.hashers import identify_hasher
from django_otp.plugins.otp_totp.models import TOTPDevice

from privacydesk.audit.models import AuditEntry
from privacydesk.testing import PASSWORD, make_staff, totp_code


def _unthrottle(device):
    """After a wrong code the device waits a second before the next try; so does the test."""
    device.refresh_from_db()
    device.throttle_reset()


def _password_step(client, username, password=PASSWORD, next_url="/staff/"):
    return client.post(
        f"/staff/login/?next={next_url}",
        {"username": username, "password": password, "next": next_url},
    )


def test_first_sign_in_enrols_totp_by_qr_code(client, db):
    user = make_staff("sales", with_device=False)
    response = _password_step(client, user.username)
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/2fa/")

    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/2fa/enrol/")

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html  # the QR code, inline
    secret = re.search(r'id="otp-secret">([A-Z2-7 ]+)<', html).group(1)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    raw = secret.replace(" ", "")
    assert base64.b32decode(raw + "=" * (-len(raw) % 8)) == device.bin_key
    assert client.get("/staff/").status_code == 302  # not yet verified

    wrong = client.post("/staff/2fa/enrol/", {"token": "000000", "next": "/staff/"})
    assert wrong.status_code == 200
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()

    _unthrottle(device)
    ok = client.post("/staff/2fa/enrol/", {"token": totp_code(device), "next": "/staff/"})
    assert ok.status_code == 302
    assert ok["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert "staff.login" in actions
    assert "staff.2fa_enrol_failed" in actions
    assert "staff.2fa_enrolled" in actions


def test_second_sign_in_asks_for_code(client, db):
    user = make_staff("technician")
    device = TOTPDevice.objects.get(user=user)
    response = _password_step(client, user.username)
    assert response["Location"].startswith("/staff/2fa/")
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b'name="token"' in page.content

    bad = client.post("/staff/2fa/", {"token": "123456", "next": "/staff/"})
    assert bad.status_code == 200
    assert client.get("/staff/").status_code == 302

    _unthrottle(device)
    good = client.post("/staff/2fa/", {"token": totp_code(device), "next": "/staff/"})
    assert good.status_code == 302
    assert client.get("/staff/").status_code == 200
    assert AuditEntry.objects.filter(action="staff.2fa_ok", object_id=str(user.pk)).exists()


def test_code_cannot_be_reused(client, db):
    user = make_staff("technician")
    device = TOTPDevice.objects.get(user=user)
    code = totp_code(device)
    _password_step(client, user.username)
    assert client.post("/staff/2fa/", {"token": code}).status_code == 302
    client.post("/staff/logout/")
    _password_step(client, user.username)
    assert client.post("/staff/2fa/", {"token": code}).status_code == 200


def test_enrol_page_not_available_once_enrolled(client, db):
    user = make_staff("technician")
    _password_step(client, user.username)
    response = client.get("/staff/2fa/enrol/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/2fa/")
    assert not TOTPDevice.objects.filter(user=user, confirmed=False).exists()


def test_second_step_needs_the_first(client, db):
    response = client.get("/staff/2fa/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")
    assert client.get("/staff/2fa/enrol/")["Location"].startswith("/staff/login/")


def test_open_redirect_refused(client, db):
    user = make_staff("technician")
    response = _password_step(client, user.username, next_url="https://evil.example/")
    assert "evil.example" not in response["Location"].split("next=")[0]
    device = TOTPDevice.objects.get(user=user)
    done = client.post("/staff/2fa/", {"token": totp_code(device), "next": "https://evil.example/"})
    assert done["Location"] == "/staff/"


def test_non_staff_cannot_sign_in(client, db):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user(username="outsider", password=PASSWORD)
    response = _password_step(client, "outsider")
    assert response.status_code == 200
    assert client.get("/staff/").status_code == 302


def test_lock_out_after_repeated_failures(client, db, settings):
    user = make_staff("admin")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _password_step(client, user.username, password="wrong").status_code == 200
    locked = _password_step(client, user.username, password="wrong")
    assert locked.status_code == 429
    # Even the right password is refused while the lock lasts.
    again = _password_step(client, user.username)
    assert again.status_code == 429
    assert client.get("/staff/").status_code == 302
    assert AuditEntry.objects.filter(action="staff.login_failed").count() >= 4


@pytest.mark.real_hasher
def test_passwords_are_hashed_with_argon2(db):
    user = make_staff("sales")
    assert identify_hasher(user.password).algorithm == "argon2"


@pytest.mark.parametrize("lang,word", [("nl", "Inloggen"), ("en", "Sign in")])
def test_sign_in_page_language(client, db, lang, word):
    page = client.get("/staff/login/", HTTP_ACCEPT_LANGUAGE=lang)
    assert word in page.content.decode()


def test_admin_resets_a_lost_second_factor(staff_client, db):
    lost = make_staff("sales")
    client = staff_client("admin")
    response = client.post(
        "/staff/accounts/user/",
        {"action": "reset_two_step", "_selected_action": [lost.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=lost).exists()
    entry = AuditEntry.objects.get(action="staff.2fa_reset")
    assert entry.object_id == str(lost.pk) and entry.actor == f"user:{client.user.pk}"
