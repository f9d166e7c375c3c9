"""Nobody but the person sets their password or sees their second factor (P3).

An administrator invites, sends reset links and resets second factors; each is audited and
e-mailed to the person through the real outbox backend, and none of it lets the
administrator sign in as someone else.
"""

import email
import email.policy
import re
import time

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from privacydesk.accounts.models import User
from privacydesk.audit.models import AuditEntry
from privacydesk.backoffice import outbox
from privacydesk.testing import PASSWORD, make_staff, totp_code

NEW_PASSWORD = "a brand new passphrase 77"


@pytest.fixture(autouse=True)
def _real_outbox(settings):
    settings.EMAIL_BACKEND = "privacydesk.backoffice.outbox.OutboxBackend"


def _mails_to(settings, address: str) -> list[email.message.EmailMessage]:
    """What the recipient's mailbox holds: the .eml files, read as the operator would."""
    found = []
    for path in sorted(settings.OUTBOX_DIR.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address in str(msg["To"]):
            found.append(msg)
    return found


def _link(msg) -> str:
    body = msg.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"http://testserver(/staff/password/set/\S+/)", body).group(1)


def _sign_in(client, username, password):
    return client.post(
        "/staff/login/", {"username": username, "password": password, "next": "/staff/"}
    )


def _choose_password(client, link: str, password: str = NEW_PASSWORD):
    page = client.get(link, follow=True)  # Django moves the token out of the URL first
    assert page.status_code == 200
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else link
    return client.post(form_url, {"new_password1": password, "new_password2": password})


# --- TOTP secrets are never shown again -----------------------------------------------------


def test_device_pages_show_no_secret(staff_client, db):
    owner = make_staff("technician")
    device = TOTPDevice.objects.get(user=owner)
    client = staff_client("admin")
    pages = [
        client.get("/staff/otp_totp/totpdevice/", follow=True),
        client.get(f"/staff/otp_totp/totpdevice/{device.pk}/change/", follow=True),
        client.get(f"/staff/otp_totp/totpdevice/{device.pk}/config/", follow=True),
        client.get(f"/staff/otp_totp/totpdevice/{device.pk}/qrcode/", follow=True),
    ]
    for page in pages:
        assert page.status_code == 200  # the list, the record, and twice back to the index
        html = page.content.decode()
        assert device.key not in html
        assert device.key.upper() not in html
        assert "otpauth://" not in html
        assert "image/svg" not in page["Content-Type"]
    assert "qrcode" not in pages[0].content.decode()
    assert pages[2].redirect_chain and pages[3].redirect_chain
    assert not any(p.context and p.context.get("device") for p in pages[2:])


def test_device_cannot_be_added_or_changed(staff_client, db):
    owner = make_staff("technician")
    device = TOTPDevice.objects.get(user=owner)
    client = staff_client("admin")
    assert client.get("/staff/otp_totp/totpdevice/add/").status_code == 403
    client.post(f"/staff/otp_totp/totpdevice/{device.pk}/change/", {"key": "00" * 20})
    device.refresh_from_db()
    assert device.key != "00" * 20


def test_deleting_a_device_is_a_reset(staff_client, settings, db):
    owner = make_staff("technician")
    owner.email = "tech@compjoeter.example"
    owner.save()
    device = TOTPDevice.objects.get(user=owner)
    client = staff_client("admin")
    response = client.post(f"/staff/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=owner).exists()
    entry = AuditEntry.objects.get(action="staff.2fa_reset")
    assert entry.object_id == str(owner.pk) and entry.actor == f"user:{client.user.pk}"
    [notice] = _mails_to(settings, owner.email)
    assert notice["Subject"] == "Uw inloggen in twee stappen bij Privacydesk is opnieuw ingesteld"


# --- Passwords: nobody sets another person's -------------------------------------------------


def test_admin_has_no_page_to_set_a_password(staff_client, db):
    other = make_staff("sales")
    client = staff_client("admin")
    change = client.get(f"/staff/accounts/user/{other.pk}/change/")
    assert change.status_code == 200
    html = change.content.decode()
    assert "/password/" not in html
    assert 'name="password' not in html
    for url in (f"/staff/accounts/user/{other.pk}/password/",):
        client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}, follow=True)
    client.post(
        f"/staff/accounts/user/{other.pk}/change/",
        {
            "username": other.username,
            "role": "sales",
            "is_staff": "on",
            "is_active": "on",
            "password": NEW_PASSWORD,
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    other.refresh_from_db()
    assert other.check_password(PASSWORD)
    assert not other.check_password(NEW_PASSWORD)


def test_admin_cannot_change_another_persons_address(staff_client, db):
    other = make_staff("sales")
    other.email = "sales@compjoeter.example"
    other.save()
    client = staff_client("admin")
    client.post(
        f"/staff/accounts/user/{other.pk}/change/",
        {
            "username": other.username,
            "email": "admin-own@compjoeter.example",
            "role": "sales",
            "is_staff": "on",
            "is_active": "on",
        },
    )
    other.refresh_from_db()
    assert other.email == "sales@compjoeter.example"


def test_new_staff_member_is_invited_and_chooses_a_password(staff_client, client, settings, db):
    admin_client = staff_client("admin")
    add = admin_client.get("/staff/accounts/user/add/").content.decode()
    assert 'type="password"' not in add
    response = admin_client.post(
        "/staff/accounts/user/add/",
        {
            "username": "nieuw",
            "first_name": "Noor",
            "last_name": "Visser",
            "email": "noor@compjoeter.example",
            "role": "technician",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="nieuw")
    assert user.is_staff and user.role == "technician"
    assert not user.has_usable_password()
    invited = AuditEntry.objects.get(action="staff.invited")
    assert invited.actor == f"user:{admin_client.user.pk}" and invited.object_id == str(user.pk)
    assert AuditEntry.objects.filter(action="staff.role_changed", object_id=str(user.pk)).exists()

    # The administrator sees the message in the outbox, but not the link in it.
    [listed] = [m for m in outbox.list_messages() if "noor@" in m.to]
    shown = admin_client.get(f"/staff/outbox/{listed.name}/").content.decode()
    assert "/staff/password/set/" not in shown

    [invitation] = _mails_to(settings, "noor@compjoeter.example")
    link = _link(invitation)
    admin_client.logout()
    done = _choose_password(client, link)
    assert done.status_code == 302 and done["Location"] == "/staff/password/set/done/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEntry.objects.get(action="staff.password_set").actor == f"user:{user.pk}"
    assert len(_mails_to(settings, "noor@compjoeter.example")) == 2  # and a notice

    # The link worked once.
    again = client.get(link, follow=True)
    assert (
        "no longer works" in again.content.decode() or "werkt niet meer" in again.content.decode()
    )

    # Signing in now starts with enrolling a second factor.
    signed = _sign_in(client, "nieuw", NEW_PASSWORD)
    assert client.get(signed["Location"])["Location"].startswith("/staff/2fa/enrol/")


def test_reset_link_is_e_mailed_and_expires(staff_client, client, settings, db):
    other = make_staff("sales")
    other.email = "sales@compjoeter.example"
    other.save()
    admin_client = staff_client("admin")
    admin_client.post(
        "/staff/accounts/user/",
        {"action": "send_password_link", "_selected_action": [other.pk]},
    )
    assert AuditEntry.objects.get(action="staff.password_reset_sent").object_id == str(other.pk)
    [mail] = _mails_to(settings, other.email)
    link = _link(mail)
    other.refresh_from_db()
    assert other.check_password(PASSWORD)  # the current password keeps working until used

    settings.PASSWORD_RESET_TIMEOUT = 0
    time.sleep(1.1)
    expired = client.get(link, follow=True).content.decode()
    assert 'name="new_password1"' not in expired


def test_reset_link_sets_the_password_but_keeps_the_second_factor(
    staff_client, client, settings, db
):
    other = make_staff("sales")
    other.email = "sales@compjoeter.example"
    other.save()
    staff_client("admin").post(
        "/staff/accounts/user/",
        {"action": "send_password_link", "_selected_action": [other.pk]},
    )
    [mail] = _mails_to(settings, other.email)
    client.logout()
    _choose_password(client, _link(mail))
    signed = _sign_in(client, other.username, NEW_PASSWORD)
    assert signed.status_code == 302
    # The e-mail alone does not make an account: the code from the phone is still asked.
    assert client.get(signed["Location"]).status_code == 200
    assert client.get("/staff/").status_code == 302


def test_reset_link_needs_an_address(staff_client, db):
    other = make_staff("sales")
    response = staff_client("admin").post(
        "/staff/accounts/user/",
        {"action": "send_password_link", "_selected_action": [other.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert not AuditEntry.objects.filter(action="staff.password_reset_sent").exists()


def test_own_password_change_works_and_is_audited(client, settings, db):
    from privacydesk.testing import sign_in_verified

    user = make_staff("technician")
    user.email = "tech@compjoeter.example"
    user.save()
    sign_in_verified(client, user)
    assert client.get("/staff/password_change/").status_code == 200
    response = client.post(
        "/staff/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 200  # still signed in, still verified
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEntry.objects.get(action="staff.password_changed").actor == f"user:{user.pk}"
    [notice] = _mails_to(settings, user.email)
    assert "password" in notice["Subject"].lower() or "wachtwoord" in notice["Subject"].lower()


def test_second_factor_reset_mails_the_person_and_forces_enrolment(
    staff_client, client, settings, db
):
    lost = make_staff("sales")
    lost.email = "sales@compjoeter.example"
    lost.save()
    staff_client("admin").post(
        "/staff/accounts/user/", {"action": "reset_two_step", "_selected_action": [lost.pk]}
    )
    assert not TOTPDevice.objects.filter(user=lost).exists()
    [notice] = _mails_to(settings, lost.email)
    assert notice.get("X-Privacydesk-Sign-In-Link") is None
    client.logout()
    signed = _sign_in(client, lost.username, PASSWORD)
    assert client.get(signed["Location"])["Location"].startswith("/staff/2fa/enrol/")
    page = client.get("/staff/2fa/enrol/")
    device = TOTPDevice.objects.get(user=lost, confirmed=False)
    assert page.status_code == 200
    ok = client.post("/staff/2fa/enrol/", {"token": totp_code(device), "next": "/staff/"})
    assert ok.status_code == 302 and client.get("/staff/").status_code == 200


def test_an_admin_has_no_way_to_sign_in_as_someone_else(staff_client, settings, db):
    """Everything an administrator can do to another account, then try to sign in as them."""
    victim = make_staff("privacy_officer")
    victim.email = "po@compjoeter.example"
    victim.save()
    admin_client = staff_client("admin")
    admin_client.post(
        "/staff/accounts/user/", {"action": "reset_two_step", "_selected_action": [victim.pk]}
    )
    admin_client.post(
        "/staff/accounts/user/", {"action": "send_password_link", "_selected_action": [victim.pk]}
    )
    admin_client.post(f"/staff/accounts/user/{victim.pk}/password/", {"password1": "x" * 20})
    admin_client.post(
        f"/staff/accounts/user/{victim.pk}/change/",
        {
            "username": victim.username,
            "email": "mine@compjoeter.example",
            "role": "privacy_officer",
        },
    )
    seen = "".join(
        admin_client.get(f"/staff/outbox/{m.name}/").content.decode()
        for m in outbox.list_messages()
    )
    assert "/staff/password/set/" not in seen
    victim.refresh_from_db()
    assert victim.email == "po@compjoeter.example"
    other_browser = Client()
    for guess in ("x" * 20, NEW_PASSWORD):
        assert _sign_in(other_browser, victim.username, guess).status_code == 200
    assert victim.check_password(PASSWORD)
