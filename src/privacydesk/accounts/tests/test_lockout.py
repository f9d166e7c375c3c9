"""Lock-out: a warning before it comes, references in the audit log, two limits, and the
client address taken from the proxy's X-Forwarded-For (P3)."""

import json
import os

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ImproperlyConfigured

from privacydesk.audit.models import AuditEntry
from privacydesk.audit.services import subject_ref
from privacydesk.testing import PASSWORD, make_staff, settings_with

WRONG = "wrong password!"


def _try(client, username, password=WRONG, **headers):
    return client.post(
        "/staff/login/", {"username": username, "password": password, "next": "/staff/"}, **headers
    )


def _page(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("exists", [True, False], ids=["known", "unknown"])
def test_sign_in_page_warns_before_the_lock_out(client, db, exists):
    """From the third failure of five the page says how many attempts remain, the same for an
    account that does not exist (so the warning tells an outsider nothing)."""
    username = make_staff("sales").username if exists else "nobody-here"
    pages = [_page(_try(client, username, HTTP_ACCEPT_LANGUAGE="en")) for _ in range(4)]
    assert "more failed attempt" not in pages[0]
    assert "more failed attempt" not in pages[1]
    assert "2 more failed attempts lock this account for 15 minutes." in pages[2]
    assert "One more failed attempt locks this account for 15 minutes." in pages[3]
    assert _try(client, username).status_code == 429


def test_warning_in_dutch(client, db):
    user = make_staff("sales")
    for _ in range(3):
        page = _page(_try(client, user.username, HTTP_ACCEPT_LANGUAGE="nl"))
    assert "Nog 2 mislukte pogingen" in page


def test_failed_sign_in_audit_names_the_account_by_reference(client, db):
    user = make_staff("technician")
    _try(client, user.username, password="my secret guess 1")
    _try(client, "jan@example.nl", password="my secret guess 2")  # an address as user name
    known, unknown = AuditEntry.objects.filter(action="staff.login_failed").order_by("id")
    assert known.subject_ref == f"accounts.User:{user.pk}"
    assert (known.object_type, known.object_id) == ("accounts.User", str(user.pk))
    assert unknown.subject_ref == subject_ref("username", "jan@example.nl")
    assert unknown.object_id == ""
    assert known.detail == {"attempts_left": 4}
    stored = json.dumps(list(AuditEntry.objects.values()), default=str)
    assert "my secret guess" not in stored
    assert "jan@example.nl" not in stored


def test_lock_out_is_audited(client, db):
    user = make_staff("technician")
    for _ in range(5):
        _try(client, user.username)
    entry = AuditEntry.objects.get(action="staff.locked_out")
    assert entry.subject_ref == f"accounts.User:{user.pk}"


def test_per_account_cap_across_addresses(client, db, settings):
    """Failures from many addresses add up to a lock of the account everywhere."""
    settings.ACCOUNTS_ACCOUNT_FAILURE_LIMIT = 12
    user = make_staff("admin")
    for address, tries in (("192.0.2.1", 4), ("192.0.2.2", 4), ("192.0.2.3", 3)):
        for _ in range(tries):  # each below the per-address limit of 5
            assert _try(client, user.username, REMOTE_ADDR=address).status_code == 200
    assert _try(client, user.username, REMOTE_ADDR="192.0.2.4").status_code == 429  # the 12th
    locked = _try(client, user.username, password=PASSWORD, REMOTE_ADDR="198.51.100.50")
    assert locked.status_code == 429


def test_one_address_does_not_lock_the_account_elsewhere(client, db):
    user = make_staff("admin")
    for _ in range(6):
        _try(client, user.username, REMOTE_ADDR="192.0.2.66")
    assert (
        _try(client, user.username, password=PASSWORD, REMOTE_ADDR="192.0.2.66").status_code == 429
    )
    ok = _try(client, user.username, password=PASSWORD, REMOTE_ADDR="198.51.100.7")
    assert ok.status_code == 302


def test_default_per_account_cap_is_ten_addresses_worth(settings):
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"], ["username"]]
    assert settings.ACCOUNTS_ACCOUNT_FAILURE_LIMIT == 10 * settings.AXES_FAILURE_LIMIT


def _proxy_settings(trusted: str | None) -> dict:
    """The lock-out's address settings as privacydesk.settings makes them behind a proxy."""
    env = {**os.environ, "PRIVACYDESK_BEHIND_PROXY": "1"}
    if trusted is not None:
        env["PRIVACYDESK_TRUSTED_PROXIES"] = trusted
    names = [
        "AXES_IPWARE_PROXY_ORDER",
        "AXES_IPWARE_PROXY_COUNT",
        "AXES_IPWARE_META_PRECEDENCE_ORDER",
        "IPWARE_STRICT",
        "TRUSTED_PROXIES",
    ]
    defined = settings_with(env)
    return {name: defined[name] for name in names}


@pytest.fixture
def behind_proxy(settings):
    def apply(trusted: str | None = None) -> None:
        values = _proxy_settings(trusted)
        for name, value in values.items():
            setattr(settings, name, value)

    return apply


PROXY = {"REMOTE_ADDR": "10.0.0.2"}


def test_behind_a_proxy_the_lock_keys_on_the_client_not_the_proxy(client, db, behind_proxy):
    """Before django-ipware, every request keyed on the proxy's address: one attacker locked
    every colleague out. Now each client is counted by the address the proxy saw."""
    behind_proxy()
    victim = make_staff("privacy_officer")
    attacker = {**PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    for _ in range(5):
        _try(client, victim.username, **attacker)
    assert _try(client, victim.username, password=PASSWORD, **attacker).status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}

    colleague = {**PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.20"}
    assert _try(client, victim.username, password=PASSWORD, **colleague).status_code == 302


def test_a_forged_forwarded_for_entry_is_ignored(client, db, behind_proxy):
    """The client may send its own X-Forwarded-For; the proxy appends the real address, and
    only that one counts, so changing the forged part does not escape the lock."""
    behind_proxy()
    user = make_staff("sales")
    for forged in ("1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"):
        _try(client, user.username, **PROXY, HTTP_X_FORWARDED_FOR=f"{forged}, 203.0.113.9")
    again = _try(
        client,
        user.username,
        password=PASSWORD,
        **PROXY,
        HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.9",
    )
    assert again.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}


def test_two_trusted_proxies(client, db, behind_proxy):
    """With a load balancer and a proxy, the client is second from the right."""
    behind_proxy("2")
    user = make_staff("sales")
    _try(client, user.username, **PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9, 10.0.0.1")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.9"]


def test_trusted_proxies_defaults_to_one_and_refuses_zero():
    assert _proxy_settings(None)["TRUSTED_PROXIES"] == 1
    assert _proxy_settings(None)["AXES_IPWARE_PROXY_COUNT"] == 0
    with pytest.raises(
        ImproperlyConfigured, match="PRIVACYDESK_TRUSTED_PROXIES must be at least 1"
    ):
        _proxy_settings("0")
