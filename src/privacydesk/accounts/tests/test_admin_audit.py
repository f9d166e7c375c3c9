"""Staff admin pages: bad object ids are never a 500 and never reach the audit log; the
sign-in security pages (devices, lock-out records with IP addresses) are audited (P1, P3)."""

import json

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from privacydesk.audit.models import AuditEntry
from privacydesk.testing import make_staff

ODD_IDS = ["0612345678", "jan@example.nl", "192.168.1.20", "+31612345678", "9999", "abc"]


def _audit_text() -> str:
    """What entries say (not their hashes, where any short hex string may turn up)."""
    fields = ("actor", "action", "object_type", "object_id", "subject_ref", "detail")
    return json.dumps(list(AuditEntry.objects.values(*fields)), default=str)


@pytest.mark.parametrize("object_id", ODD_IDS)
@pytest.mark.parametrize(
    "path",
    [
        "/staff/accounts/user/{}/change/",
        "/staff/otp_totp/totpdevice/{}/change/",
        "/staff/otp_totp/totpdevice/{}/config/",
        "/staff/otp_totp/totpdevice/{}/qrcode/",
        "/staff/axes/accessattempt/{}/change/",
        "/staff/axes/accesslog/{}/change/",
        "/staff/axes/accessfailurelog/{}/change/",
    ],
)
def test_an_id_that_names_nothing_is_not_an_error(staff_client, path, object_id):
    client = staff_client("admin")
    response = client.get(path.format(object_id), follow=True)
    assert response.status_code in (200, 404)
    assert response.redirect_chain[-1][0] == "/staff/"  # Django's "does not exist" message
    assert object_id not in _audit_text()
    assert not AuditEntry.objects.filter(action__endswith=".view").exists()


def test_device_list_and_record_are_audited(staff_client):
    owner = make_staff("technician")
    device = TOTPDevice.objects.get(user=owner)
    client = staff_client("admin")
    assert client.get("/staff/otp_totp/totpdevice/").status_code == 200
    assert client.get(f"/staff/otp_totp/totpdevice/{device.pk}/change/").status_code == 200
    assert AuditEntry.objects.filter(action="otp_totp.totpdevice.list").exists()
    viewed = AuditEntry.objects.get(action="otp_totp.totpdevice.view")
    assert viewed.object_id == str(device.pk)


def _lockout_rows():
    now = timezone.now()
    common = {"username": "someone", "ip_address": "203.0.113.5", "user_agent": "x"}
    common.update(http_accept="*/*", path_info="/staff/login/", attempt_time=now)
    attempt = AccessAttempt.objects.create(
        failures_since_start=2, get_data="", post_data="", **common
    )
    log = AccessLog.objects.create(**common)
    failure = AccessFailureLog.objects.create(locked_out=False, **common)
    return {"accessattempt": attempt, "accesslog": log, "accessfailurelog": failure}


@pytest.mark.parametrize("model", ["accessattempt", "accesslog", "accessfailurelog"])
def test_lockout_records_are_audited(staff_client, model):
    row = _lockout_rows()[model]
    client = staff_client("admin")
    listing = client.get(f"/staff/axes/{model}/")
    assert listing.status_code == 200
    assert "203.0.113.5" in listing.content.decode()
    assert client.get(f"/staff/axes/{model}/{row.pk}/change/").status_code == 200
    assert AuditEntry.objects.filter(action=f"axes.{model}.list").exists()
    assert AuditEntry.objects.get(action=f"axes.{model}.view").object_id == str(row.pk)
    assert "203.0.113.5" not in _audit_text()


def test_unlocking_is_audited(staff_client):
    attempt = _lockout_rows()["accessattempt"]
    client = staff_client("admin")
    response = client.post(f"/staff/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(pk=attempt.pk).exists()
    assert AuditEntry.objects.get(action="axes.accessattempt.delete").object_id == str(attempt.pk)


def test_lockout_records_are_read_only(staff_client):
    attempt = _lockout_rows()["accessattempt"]
    client = staff_client("admin")
    client.post(f"/staff/axes/accessattempt/{attempt.pk}/change/", {"failures_since_start": 0})
    attempt.refresh_from_db()
    assert attempt.failures_since_start == 2
