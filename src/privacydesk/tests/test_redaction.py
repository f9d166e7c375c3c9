"""No personal data in logs: e-mail addresses, IP addresses and phone numbers are masked."""

import ipaddress
import logging
import os
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.provisional import domains

from privacydesk.redaction import RedactPersonalData, redact

PERSONAL = [
    "jan.jansen@example.nl",
    "o'brien+news@sub.example.co.uk",
    "192.168.10.77",
    "2001:db8:85a3::8a2e:370:7334",
    "fe80::1%eth0",
    "+31 6 12345678",
    "06-12345678",
    "0031 20 123 4567",
    "(020) 123 4567",
    "0412-123456",
]
HARMLESS = [
    "2026-11-25 10:27:30",
    "job 123456789012 finished in 4.5 s",
    "port 8080, 42 items, 100%",
    "uuid 84197635-9028-4878-8827-a42fd7575b8c",
    "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
]


@pytest.mark.parametrize("value", PERSONAL)
def test_personal_values_are_masked(value):
    out = redact(f"before {value} after")
    assert value not in out
    assert out.startswith("before [") and out.endswith("] after")


@pytest.mark.parametrize("text", HARMLESS)
def test_harmless_text_is_kept(text):
    assert redact(text) == text


@given(local=st.from_regex(r"[A-Za-z0-9._%+\-]{1,20}", fullmatch=True), domain=domains())
def test_any_email_is_masked(local, domain):
    address = f"{local}@{domain}"
    assert address not in redact(f"mail to {address}.")
    assert "@" not in redact(f"mail to {address}.").replace("[email]", "")


@given(st.ip_addresses())
def test_any_ip_address_is_masked(address):
    text = f"client {address} connected"
    out = redact(text)
    assert str(address) not in out
    if isinstance(address, ipaddress.IPv6Address):
        assert address.exploded not in redact(f"client {address.exploded} connected")


def test_filter_masks_message_args_and_exceptions():
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "user %s from %s", ("a@b.nl", "10.0.0.1"), None
    )
    try:
        raise ValueError("bad address piet@example.nl")
    except ValueError:
        record.exc_info = sys.exc_info()
    assert RedactPersonalData().filter(record)
    text = logging.Formatter().format(record)
    assert "a@b.nl" not in text and "10.0.0.1" not in text and "piet@example.nl" not in text
    assert "user [email] from [ip]" in text


def test_configured_logging_masks_in_a_real_process(tmp_path):
    """The settings' LOGGING, as a running process uses it, writes no personal data."""
    code = (
        "import logging\n"
        "logging.getLogger('privacydesk.demo').warning("
        "'contact %s at %s from %s', 'klant@example.nl', '+31 6 12345678', '203.0.113.9')\n"
        "from django.test import Client\n"
        "Client().get('/nothing-here/klant@example.nl/')\n"  # django.request logs the path
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PRIVACYDESK_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "privacydesk", "shell", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    logged = result.stderr
    assert "contact [email] at [phone] from [ip]" in logged
    assert "Not Found: /nothing-here/[email]/" in logged
    for value in ("klant@example.nl", "12345678", "203.0.113.9"):
        assert value not in logged


def test_uuids_are_not_phone_numbers():
    """About one random UUID in a thousand has dash-separated digit runs like a phone number."""
    for value in (
        "cf5858b1-0953-4553-8971-4a2b3c4d5e6f",
        "00000000-0000-4000-8000-000000000000",
        "12345678-1234-4123-8123-123456789012",
    ):
        assert redact(f"item {value} stored") == f"item {value} stored"


@given(st.uuids())
def test_no_uuid_is_masked(value):
    assert redact(str(value)) == str(value)


def test_download_link_tokens_are_masked():
    line = '"GET /en/vault/eyJqIjoxLCJ2IjoxfQ:1xWAn0:qAAxc1CItHtIR8V/items/x/ HTTP/1.1" 200'
    assert redact(line) == '"GET /en/vault/[token]/items/x/ HTTP/1.1" 200'
